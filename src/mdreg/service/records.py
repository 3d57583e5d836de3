"""决定记录 — what a decision was made under and on: the policy revision, the rule versions and
the facts the rules read.

Months after a decision, a reconsideration (行政复议) or a court asks on which law and which facts
it was made. Every event that evaluates rules records, with its state change:

* the **policy revision** (:func:`revision`): the policy's name and a content hash of its
  canonical export (rules, their versions and citations, parameters), so a changed rule or
  parameter is a new revision;
* the **rules evaluated**, each as ``id@vN``;
* the **facts** (:func:`snapshot`): the application and the physician's rows the rules read —
  ids, dates, levels, statuses — as compact JSON. The resident ID number is never recorded (no
  rule reads it); :func:`restore` puts a placeholder in its place.

:func:`reevaluate` checks the recorded facts against the recorded rule versions again, without
the registry's current state.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from mdreg.domain.application import Application
from mdreg.domain.identifiers import ResidentId
from mdreg.domain.model import Filing, HealthDepartment, Institution, LegacySite, Physician, Registration
from mdreg.infra.serialization import structure, unstructure
from mdreg.ports import UnitOfWork
from mdreg.rules.base import EligibilityContext, Rule, Verdict, evaluate
from mdreg.rules.export import export
from mdreg.rules.policy import Policy
from mdreg.service.services import Services, read, transact
from mdreg.workflows import DECLARATIONS
from mdreg.workflows.base import WorkflowDefinition

#: What stands for the ID number in restored facts: it was never recorded.
UNRECORDED_ID = ResidentId.parse("11010519491231002X")

_REVISIONS: dict[int, tuple[Policy, str]] = {}


def revision(policy: Policy) -> str:
    """``name@hash``: the policy's name and the first 16 hex digits of the SHA-256 of its
    canonical export; the same content gives the same revision.

    >>> from mdreg.workflows import BASE_POLICY
    >>> revision(BASE_POLICY) == revision(BASE_POLICY.with_changes("base")) != revision(
    ...     BASE_POLICY.with_changes("base", filed_expiry_years=3))
    True
    """
    held = _REVISIONS.get(id(policy))
    if held is not None and held[0] is policy:
        return held[1]
    canonical = json.dumps(export(policy), ensure_ascii=False, sort_keys=True, default=str)
    found = f"{policy.name}@{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"
    _REVISIONS[id(policy)] = (policy, found)
    return found


_DEFINITIONS: dict[int, tuple[WorkflowDefinition, str]] = {}


def definition_revision(definition: WorkflowDefinition) -> str:
    """``id@hash``: a business type's state machine (states, events, who fires them, what they
    require) and the first 16 hex digits of the SHA-256 of its canonical form; a state or an
    event added, renamed or removed is a new revision.

    >>> from mdreg.workflows import DEFINITIONS
    >>> from mdreg import BusinessType
    >>> definition_revision(DEFINITIONS[BusinessType.REGISTRATION]).startswith("registration@")
    True
    """
    held = _DEFINITIONS.get(id(definition))
    if held is not None and held[0] is definition:
        return held[1]
    canonical = json.dumps(unstructure(definition), ensure_ascii=False, sort_keys=True,
                           default=str)
    found = f"{definition.id}@{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"
    _DEFINITIONS[id(definition)] = (definition, found)
    return found


def rule_keys(rules: Iterable[Rule[Any]]) -> list[str]:
    """``id@vN`` of each rule, as recorded."""
    return [f"{rule.id}@v{rule.version}" for rule in rules]


def snapshot(ctx: EligibilityContext[Any]) -> str:
    """The facts ``ctx`` holds, as compact JSON without the ID number."""
    physician = unstructure(ctx.physician)
    physician.pop("id_number", None)
    facts = {
        "as_of": ctx.as_of.isoformat(),
        "application": unstructure(ctx.application),
        "physician": physician,
        "institution": unstructure(ctx.institution),
        "department": unstructure(ctx.department),
        "registrations": unstructure(list(ctx.registrations)),
        "filings": unstructure(list(ctx.filings)),
        "legacy": unstructure(list(ctx.legacy)),
        "parameters": unstructure(dict(ctx.parameters)),
        "account_state": ctx.account_state,
    }
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def restore(text: str) -> EligibilityContext[Any]:
    """The context :func:`snapshot` recorded (the ID number a placeholder)."""
    facts = json.loads(text)
    physician = structure({**facts["physician"], "id_number": UNRECORDED_ID.value}, Physician)
    return EligibilityContext(
        as_of=date.fromisoformat(facts["as_of"]),
        application=structure(facts["application"], Application),
        physician=physician,
        institution=structure(facts["institution"], Institution),
        department=structure(facts["department"], HealthDepartment),
        registrations=tuple(structure(r, Registration) for r in facts["registrations"]),
        filings=tuple(structure(f, Filing) for f in facts["filings"]),
        legacy=tuple(structure(s, LegacySite) for s in facts["legacy"]),
        parameters=_parameters(facts["parameters"]),
        account_state=facts.get("account_state", ""),
    )


def _parameters(recorded: Mapping[str, Any]) -> dict[str, Any]:
    return {name: tuple(value) if isinstance(value, list) else value
            for name, value in recorded.items()}


def reevaluate(data: Mapping[str, Any], rules: Iterable[Rule[Any]]) -> Verdict:
    """The verdict of the rule versions an audit event's ``data`` recorded, on the facts it
    recorded; ``rules`` are the rule objects to pick them from (a policy's ``all_rules()``).

    Raises:
        KeyError: a recorded rule version is not among ``rules``.
    """
    known = list(rules)
    by_key = dict(zip(rule_keys(known), known, strict=True))
    chosen = [by_key[key] for key in data["rules"]]
    return evaluate(chosen, restore(data["facts"][0]), data["policy_revision"][0])


def definition_document(definition: WorkflowDefinition) -> dict[str, Any]:
    """What is published for a definition revision (see :mod:`mdreg.service.pinning`)."""
    return {"definition": unstructure(definition)}


def publish(services: Services) -> str:
    """Store the registry's policy revision (its export) and every declared business type's
    definition revision in the database unless they are there; return the policy revision.
    :func:`mdreg.open` and a change of ``Registry.policy`` publish."""
    policy = services.policy
    found = revision(policy)

    definitions = {definition_revision(d.definition): d.definition
                   for d in DECLARATIONS.values()}

    documents: dict[str, Callable[[], Mapping[str, Any]]] = {found: lambda: export(policy)}
    documents.update({name: functools.partial(definition_document, definition)
                      for name, definition in definitions.items()})
    # read first: opening a registry whose revisions are stored takes no write lock
    missing = read(services, lambda uow: [name for name in documents
                                          if uow.revisions.get(name) is None])
    if missing:
        def store(uow: UnitOfWork) -> None:
            now = services.now()
            for name in missing:
                uow.revisions.publish(name, documents[name](), now)

        transact(services, store)
    services.published.update({found, *definitions})
    return found


def publish_definition(services: Services, definition: WorkflowDefinition) -> str:
    """Store ``definition``'s revision in the database unless this registry knows it is there;
    return the revision. A new application publishes its type's definition this way first, so
    every revision an application names can be rebuilt (a type redeclared after the registry
    opened included)."""
    found = definition_revision(definition)
    if found not in services.published:
        transact(services, lambda uow: uow.revisions.publish(
            found, definition_document(definition), services.now()))
        services.published.add(found)
    return found


def published(services: Services, name: str) -> Mapping[str, Any] | None:
    """The exported policy of revision ``name`` as it was published, or ``None``."""
    return read(services, lambda uow: uow.revisions.get(name))
