"""申请 — creating applications and firing their events.

Every command runs in one unit of work: load → authorize → transition → evaluate the rules in
force → apply the effect → append the audit event → commit. Any error leaves no trace. The
handlers are plain functions of their arguments and the registry's :class:`Services`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from mdreg.domain.application import (
    DRAFT,
    PENDING_ACCEPTANCE,
    UNDER_REVIEW,
    Actor,
    ActorKind,
    Application,
    BusinessType,
    OfflineBusiness,
    Payload,
    RegistrationRequest,
    ScopeApproval,
    is_open,
)
from mdreg.domain.clock import business_date
from mdreg.domain.remedies import Refusal
from mdreg.errors import (
    AccountNotActive,
    ApplicationNotFound,
    ConcurrencyConflict,
    CorrectionAlreadyRequested,
    IdempotencyConflict,
    IneligibleError,
    MdregError,
    OfflineOnlyBusiness,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from mdreg.infra.limits import written_text
from mdreg.infra.logs import CommandEntry, command_log
from mdreg.infra.serialization import dumps, loads
from mdreg.ports import UnitOfWork
from mdreg.rules import Verdict, Violation, evaluate
from mdreg.rules.account import AccountActive
from mdreg.service import account_steps, notices, records
from mdreg.service.announcements import announce
from mdreg.service.authorization import authorize, authorize_applicant, require_inputs
from mdreg.service.context import build_context
from mdreg.service.deadlines import DeadlineKeeper
from mdreg.service.explain import Explanation
from mdreg.service.explain import explain as explanation
from mdreg.service.pinning import engine
from mdreg.service.services import Services, append_audit, in_transaction, read, require
from mdreg.workflows import DECLARATIONS, declaration_for, declaration_for_payload
from mdreg.workflows.effects import Effect
from mdreg.workflows.routing import Routing


@attrs.frozen
class BatchResult:
    """The outcome of a collective 注册 submission."""

    batch_id: str
    accepted: tuple[Application, ...]
    refused: Mapping[str, MdregError]


# -- commands -----------------------------------------------------------------------------------


def apply(services: Services, actor: Actor, payload: Payload, *,
          business: BusinessType | OfflineBusiness | str | None = None,
          physician_id: str | None = None, submit: bool = True,
          idempotency_key: str | None = None, batch_id: str | None = None) -> Application:
    """Create an application (and submit it unless ``submit=False``); see
    :meth:`mdreg.Registry.apply`. Logged on ``mdreg.command``."""
    with command_log("apply", "submit" if submit else "create", actor.kind.value) as entry:
        kind = business_type(business, payload)
        entry.business_type = kind.value
        records.publish_definition(services, declaration_for(kind).definition)
        subject = physician_id or actor.party_id
        key = ("apply", str(actor), kind.value, subject, dumps(payload), submit)

        def run() -> Application:
            with services.uow() as uow:
                replay = replayed(uow, idempotency_key, key)
                if replay is not None:
                    return replay
                uow.hold_physician(subject)  # the rules read the physician's other rows
                app = create(services, uow, actor, kind, subject, payload, batch_id)
                if submit:
                    app = transition(services, uow, app, "submit", actor, "", ())
                remember(uow, idempotency_key, key, app)
                uow.commit()
                return app

        app = in_transaction(services, lambda: once(services, idempotency_key, key, run))
        entry.application_id = app.id
        return app


def apply_batch(services: Services, actor: Actor,
                requests: Sequence[tuple[str, RegistrationRequest]]) -> BatchResult:
    """An institution submits 注册 applications for several of its staff, each in its own unit
    of work under one ``batch_id``; see :meth:`mdreg.Registry.apply_batch`."""
    if actor.kind is not ActorKind.INSTITUTION:
        raise PermissionDenied(str(actor), "submit a batch", "only institutions apply in batch")
    batch = services.ids.new("B")
    accepted: list[Application] = []
    refused: dict[str, MdregError] = {}
    for physician_id, request in requests:
        try:
            accepted.append(apply(services, actor, request, physician_id=physician_id,
                                  batch_id=batch))
        except MdregError as error:
            refused[physician_id] = error
    return BatchResult(batch, tuple(accepted), refused)


def fire(services: Services, application_id: str, event: str, actor: Actor, *, reason: str = "",
         corrections: Sequence[str] = (), expected_version: int | None = None,
         idempotency_key: str | None = None) -> Application:
    """Fire ``event`` on an application as ``actor``; see :meth:`mdreg.Registry.fire`. Logged
    on ``mdreg.command``."""
    reason = written_text(reason, "reason", "理由", services.limits.text_characters)
    corrections = _corrections(services, corrections)
    key = ("fire", application_id, event, str(actor), reason, tuple(corrections))

    def run(entry: CommandEntry) -> Application:
        with services.uow() as uow:
            replay = replayed(uow, idempotency_key, key)
            if replay is not None:
                entry.business_type = replay.type.value
                return replay
            app = application(uow, application_id, for_rules=True)
            entry.business_type = app.type.value
            if expected_version is not None and expected_version != app.version:
                raise ConcurrencyConflict("application", app.id, expected_version, app.version)
            app = transition(services, uow, app, event, actor, reason, tuple(corrections))
            remember(uow, idempotency_key, key, app)
            uow.commit()
            return app

    with command_log("fire", event, actor.kind.value, application_id=application_id) as entry:
        return in_transaction(services,
                              lambda: once(services, idempotency_key, key, lambda: run(entry)))


def receive_materials(services: Services, application_id: str, actor: Actor,
                      materials: Sequence[str] | None = None) -> Application:
    """The deciding department records the paper materials it received (收到纸质材料); see
    :meth:`mdreg.Registry.receive_materials`."""
    with command_log("receive_materials", "receive_materials", actor.kind.value) as entry:
        entry.application_id = application_id

        def run() -> Application:
            with services.uow() as uow:
                app = application(uow, application_id, for_rules=True)
                entry.business_type = app.type.value
                if actor.kind is not ActorKind.AUTHORITY or actor.party_id != app.department_id:
                    raise PermissionDenied(str(actor), f"receive materials of {app.id}",
                                           "only the deciding health department")
                if app.state != PENDING_ACCEPTANCE:
                    raise TransitionNotAllowed(app.type.value, app.state, "receive_materials")
                checklist = [m.name for m in declaration_for(app.type).materials]
                received = checklist if materials is None else _listed(materials)
                now = services.now()
                DeadlineKeeper(services).on_materials(uow, app, now)
                new = record_in_place(services, uow, app, "receive_materials", actor, now, {
                    "materials": received,
                    "missing": [m for m in checklist if m not in received]})
                uow.commit()
                return new

        return in_transaction(services, run)


def approve_scopes(services: Services, application_id: str, actor: Actor) -> Application:
    """The county department records its approval of several scopes; see
    :meth:`mdreg.Registry.approve_scopes`."""

    def run() -> Application:
        with services.uow() as uow:
            app = application(uow, application_id, for_rules=True)
            department = uow.departments.get(actor.party_id) \
                if actor.kind is ActorKind.AUTHORITY else None
            institution = require(uow.institutions.get(app.institution_id), "institution",
                                  app.institution_id)
            if department is None or department.division.level != "county" \
                    or not department.division.contains(institution.division):
                raise PermissionDenied(str(actor), f"approve the scopes of {app.id}",
                                       "only the county department of the institution's county")
            if not is_open(app.state) or len(getattr(app.payload, "scopes", ())) < 2:
                raise TransitionNotAllowed(app.type.value, app.state, "approve_scopes")
            now = services.now()
            approval = ScopeApproval(department.id, department.division.code, business_date(now))
            new = record_in_place(services, uow, app, "approve_scopes", actor, now,
                                  {"scopes": list(getattr(app.payload, "scopes", ()))},
                                  scope_approval=approval)
            uow.commit()
            return new

    return in_transaction(services, run)


def record_in_place(services: Services, uow: UnitOfWork, app: Application, event: str,
                    actor: Actor, now: datetime, data: dict[str, Any], **changes: Any
                    ) -> Application:
    """An act on an application that leaves its state as it is (a receipt, an approval of
    scopes): the application saved with ``changes`` under the next version, and audited."""
    new = attrs.evolve(app, version=app.version + 1, updated_at=now, **changes)
    uow.applications.save(new, app.version)
    audit(services, uow, new, event, app.state, actor, "", None, now, data)
    return new


def _corrections(services: Services, corrections: Sequence[str]) -> list[str]:
    """The corrections of a 补正 request as written text (blank items dropped)."""
    if isinstance(corrections, str) or not isinstance(corrections, Sequence):
        raise ValidationError("corrections", "list the corrections, one item each",
                              field_label="补正事项")
    if len(corrections) > services.limits.corrections:
        raise ValidationError("corrections", f"at most {services.limits.corrections} items",
                              field_label="补正事项")
    items = [written_text(c, "corrections", "补正事项", services.limits.text_characters)
             for c in corrections]
    return [item for item in items if item]


def _listed(materials: Sequence[str]) -> list[str]:
    items = [str(m).strip() for m in materials]
    if not items or not all(items) or len(items) > 50 or any(len(m) > 200 for m in items):
        raise ValidationError("materials", "list the documents received (1-50 names)",
                              field_label="收到的材料")
    return items


# -- queries ------------------------------------------------------------------------------------


def inbox(services: Services, actor: Actor) -> tuple[Application, ...]:
    """The work list of an institution (待机构确认) or a department (待受理, 审核中)."""

    def query(uow: UnitOfWork) -> tuple[Application, ...]:
        if actor.kind is ActorKind.INSTITUTION:
            return uow.applications.inbox(institution_id=actor.party_id,
                                          state="pending_institution")
        if actor.kind is ActorKind.AUTHORITY:
            return tuple(app for state in (PENDING_ACCEPTANCE, UNDER_REVIEW)
                         for app in uow.applications.inbox(department_id=actor.party_id,
                                                           state=state))
        raise PermissionDenied(str(actor), "read an inbox", "only institutions and departments")

    return read(services, query)


def explain(services: Services, application_id: str) -> Explanation:
    """Which events are possible now, which rules block the others, and why (no changes)."""

    def query(uow: UnitOfWork) -> Explanation:
        app = application(uow, application_id, for_rules=True, deciding=False)
        definition = engine(uow, app).definition
        events = definition.allowed(app.state)
        return explanation(app, {e.id: verdict(services, uow, app, e.id) for e in events},
                           definition)

    return read(services, query)


def recorded_refusal(services: Services, application_id: str) -> Refusal | None:
    """The refusal recorded with an application's refusing decision (``None``: none)."""

    def query(uow: UnitOfWork) -> Refusal | None:
        definition = engine(uow, application(uow, application_id)).definition
        for event in reversed(uow.audit.for_aggregate(application_id)):
            if event.event in REFUSING_EVENTS:
                spec = definition.event(event.event)
                return Refusal.from_data(spec.label if spec else event.event, application_id,
                                         business_date(event.at), event.reason, event.data)
        return None

    return read(services, query)


def check(services: Services, application_id: str, event: str) -> Verdict:
    """The verdict ``event`` would get now, without changing anything."""
    return read(services, lambda uow: verdict(
        services, uow, application(uow, application_id, for_rules=True, deciding=False), event),
        one_statement=True)


# -- steps inside a unit of work ------------------------------------------------------------------


def create(services: Services, uow: UnitOfWork, actor: Actor, business: BusinessType,
           physician_id: str, payload: Payload, batch_id: str | None) -> Application:
    """Route, authorize and add a new draft application (and open its deadlines)."""
    physician = require(uow.physicians.get(physician_id), "physician", physician_id)
    declaration = declaration_for(business)
    routed = declaration.route(Routing(uow), physician, payload, services.policy)
    authorize_applicant(actor, declaration, physician.id, routed.institution.id,
                        services.policy)
    now = services.now()
    app = Application(
        id=services.ids.new("A"), type=business, physician_id=physician.id, applicant=actor,
        payload=payload, institution_id=routed.institution.id,
        department_id=routed.department.id, target=routed.target, state=DRAFT, version=1,
        created_at=now, updated_at=now, application_date=business_date(now),
        batch_id=batch_id, policy_revision=records.revision(services.policy),
        definition_revision=records.definition_revision(declaration.definition),
    )
    uow.applications.add(app)  # one open application per type and target (the port's invariant)
    DeadlineKeeper(services).on_create(uow, app, now)
    audit(services, uow, app, "create", "", actor, "", None, now)
    return app


def transition(services: Services, uow: UnitOfWork, app: Application, event: str, actor: Actor,
               reason: str, corrections: tuple[str, ...], *, now: datetime | None = None,
               deemed_at: datetime | None = None) -> Application:
    """Fire ``event`` on ``app``: check, save, apply the declaration's facts, effects,
    announcement and account activation, and audit it.

    ``deemed_at``: the law accepts the application as of that time (tick), so no party is
    authorized and ``accepted_at`` is that time."""
    if uow.hold_physician(app.physician_id):  # read before the hold: is it still current?
        current = application(uow, app.id)
        if current.version != app.version:
            raise ConcurrencyConflict("application", app.id, app.version, current.version)
    flow = engine(uow, app)
    dest = flow.fire(app.state, event)
    spec = flow.definition.event(event)
    if spec is None:  # pragma: no cover - fire() already refused unknown events
        raise TransitionNotAllowed(flow.id, app.state, event)
    if deemed_at is None:
        authorize(actor, app, spec)
    require_inputs(spec, reason, corrections)
    if spec.needs_corrections and _corrected_since_submission(uow, app):
        raise CorrectionAlreadyRequested(flow.id, app.id)
    checked, record = decision(services, uow, app, event)
    if not checked.passed:
        raise refusal_error(app, event, checked.violations)
    now = now or services.now()
    changes: dict[str, Any] = {"state": dest, "version": app.version + 1, "updated_at": now}
    if spec.stamp is not None:
        changes[spec.stamp] = now
    if deemed_at is not None:
        changes["accepted_at"] = deemed_at
    if spec.needs_reason:
        changes["reason"] = reason
    if spec.needs_corrections:
        changes["corrections"] = corrections
    new = attrs.evolve(app, **changes)
    keeper = DeadlineKeeper(services)
    keeper.on_transition(uow, app, new, event, now)  # before the save: lock order
    uow.applications.save(new, app.version)
    done = consequences(services, uow, new, event, actor, now, keeper)
    written: Refusal | None = None
    if event in REFUSING_EVENTS:
        written, record = refusal(services, uow, new, event, reason, now)
        done.update(written.data())
    notices.issue(services, uow, new, event, actor, now, written)
    done.update(record())  # what the decision was made under and on
    audit(services, uow, new, event, app.state, actor, reason, checked, now, done)
    return new


#: Decisions that refuse: written, with reasons and remedies (行政许可法 Arts 32, 38), and the
#: event whose rules they are measured against.
REFUSING_EVENTS = {"reject": "approve", "refuse_acceptance": "accept"}


def refusal(services: Services, uow: UnitOfWork, app: Application, event: str, reason: str,
            now: datetime) -> tuple[Refusal, Callable[[], dict[str, list[str]]]]:
    """The written refusal ``event`` makes: the reason, the rules of the decision it refuses
    that are not met now (all of them), the physician and the institution to notify, and the
    remedies (行政许可法 Art 38; 医师法 Art 16); and how to make its decision record, which
    keeps the facts and verdict of the rules it was measured against."""
    measured, record = decision(services, uow, app, REFUSING_EVENTS[event])
    spec = engine(uow, app).definition.event(event)
    failed = tuple(dict.fromkeys(v.rule_id for v in measured.violations))
    written = Refusal(
        spec.label if spec else event, app.id, business_date(now), reason, failed,
        tuple(v.message for v in measured.violations),
        (str(Actor.physician(app.physician_id)), str(Actor.institution(app.institution_id))))

    def refused() -> dict[str, list[str]]:
        kept = record()
        return {**kept, "failed": list(failed)} if kept else kept

    return written, refused


def _corrected_since_submission(uow: UnitOfWork, app: Application) -> bool:
    """Whether corrections were requested since the application was last (re)submitted."""
    for event in reversed(uow.audit.for_aggregate(app.id)):
        if event.event in ("submit", "resubmit"):
            return False
        if event.event == "request_correction":
            return True
    return False


def consequences(services: Services, uow: UnitOfWork, app: Application, event: str,
                 actor: Actor, now: datetime, keeper: DeadlineKeeper) -> dict[str, Any]:
    """What the declaration of ``app``'s type says ``event`` does besides the state change — the
    facts it records, its effect on the registry (announced, and ending the deadlines of what it
    ended), the account it activates — and the audit data that lists them."""
    declaration = declaration_for(app.type)
    done: dict[str, Any] = {}
    facts = declaration.facts.get(event)
    if facts is not None:
        done.update(facts(app, declaration.payload_of(app), services.policy))
    effect_of = declaration.effects.get(event)
    if effect_of is not None:
        effect = Effect(uow, services.ids, business_date(now), services.policy)
        effect_of(effect, app, declaration.payload_of(app))
        done.update(effect.done)
        if declaration.announces:
            spec = declaration.definition.event(event)
            announce(uow, services.ids, now, [*effect.done["created"], *effect.done["ended"],
                                              *effect.done["changed"]],
                     changed=effect.done["changed"], decision=spec.label if spec else "")
        keeper.end_for(uow, effect.done["ended"], business_date(now), event)
    if event == declaration.activates_account_on:
        account_steps.activate_on_approval(uow, app, actor, now)
    return done


def verdict(services: Services, uow: UnitOfWork, app: Application, event: str) -> Verdict:
    """The verdict of the rules in force on ``event`` for ``app``."""
    return decision(services, uow, app, event)[0]


def decision(services: Services, uow: UnitOfWork, app: Application, event: str
             ) -> tuple[Verdict, Callable[[], dict[str, list[str]]]]:
    """The verdict of the rules in force on ``event`` for ``app``, and how to make what the
    decision record keeps of it (:mod:`mdreg.service.records`): the policy revision, the rule
    versions and the facts they read (nothing when no rule applies). The record is made only
    when asked for — by a decision that passed, not by ``check`` or ``explain``."""
    policy = services.policy
    rules = policy.rules_for(app.type, event, app.application_date)
    if not rules:
        return Verdict(app.application_date, (), (), policy.name), dict
    context = build_context(uow, app, dict(policy.parameters),
                            account=any(r.reads_account for r in rules))

    def record() -> dict[str, list[str]]:
        return {"policy_revision": [records.revision(policy)], "evaluated": [event],
                "rules": records.rule_keys(rules), "facts": [records.snapshot(context)]}

    return evaluate(rules, context, policy.name), record


def refusal_error(app: Application, event: str, violations: tuple[Violation, ...]
                  ) -> IneligibleError:
    """The error refusing ``event``: :class:`~mdreg.errors.AccountNotActive` when the portal
    account rule (R-ACC-2) is among the failed rules, else :class:`~mdreg.errors.IneligibleError`;
    either lists every violation."""
    for violation in violations:
        if violation.rule_id == AccountActive.id:
            return AccountNotActive(app.physician_id, violation.facts.get("account_state", ""),
                                    violations, subject=f"application {app.id}", event=event)
    return IneligibleError(f"application {app.id}", event, violations)


def audit(services: Services, uow: UnitOfWork, app: Application, event: str, from_state: str,
          actor: Actor, reason: str, checked: Verdict | None, now: datetime,
          data: dict[str, Any] | None = None) -> None:
    """Append an application's audit event (capped by the registry's limits)."""
    append_audit(uow, app.id, event, from_state, app.state, actor, now, reason=reason,
                 verdict=checked.checked if checked else (), policy=services.policy.name,
                 data=data or {}, cap=services.limits.audit_events_per_application)


def application(uow: UnitOfWork, application_id: str, *, for_rules: bool = False,
                deciding: bool = True) -> Application:
    """The application; ``for_rules``: the rules will read about it, for a decision (holding
    the physician) unless not ``deciding`` (see
    :meth:`~mdreg.ports.UnitOfWork.application_for_rules`)."""
    app = (uow.application_for_rules(application_id, hold=deciding) if for_rules
           else uow.applications.get(application_id))
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


def business_type(business: BusinessType | OfflineBusiness | str | None,
                  payload: Payload) -> BusinessType:
    """The business type of an application; offline-only business is refused (R-OFF-1)."""
    if business is not None and not isinstance(business, BusinessType):
        offline = {o.value: o for o in OfflineBusiness} | {o.label: o for o in OfflineBusiness}
        if isinstance(business, OfflineBusiness) or business in offline:
            item = offline[str(business)]
            raise OfflineOnlyBusiness(item.value, item.label)
        online = {b.value: b for b in DECLARATIONS} | {b.label: b for b in DECLARATIONS}
        if business not in online:
            raise ValidationError("business", f"unknown business type {business!r}",
                                  field_label="业务类型")
        business = online[business]
    implied = declaration_for_payload(payload).business
    if business is not None and business is not implied:
        raise ValidationError("business", f"a {type(payload).__name__} is not a {business.value}",
                              field_label="业务类型")
    return implied


# -- idempotency ------------------------------------------------------------------------------------


def once(services: Services, idempotency_key: str | None, key: tuple[object, ...],
         command: Callable[[], Application]) -> Application:
    """Run a command that may carry an idempotency key.

    A duplicate sent while the first is still running does not see its key yet: it fails on
    the version, the key or a unique index, or is refused because the application moved on.
    Once the first has committed, the duplicate returns the first result instead, as a later
    duplicate would. The key, stored in the same unit of work, means only one can commit.
    """
    try:
        return command()
    except MdregError:
        if idempotency_key is None:
            raise
        replay = read(services, lambda uow: replayed(uow, idempotency_key, key))
        if replay is None:
            raise
        return replay


def fingerprint(key: tuple[object, ...]) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def replayed(uow: UnitOfWork, idempotency_key: str | None,
             key: tuple[object, ...]) -> Application | None:
    """The stored result of an earlier command with this key, if any.

    Raises:
        IdempotencyConflict: the key was used for a different command.
    """
    if idempotency_key is None:
        return None
    stored = uow.idempotency.get(idempotency_key)
    if stored is None:
        return None
    stored_fingerprint, result = stored
    if stored_fingerprint != fingerprint(key):
        raise IdempotencyConflict(f"idempotency key {idempotency_key!r} was used for "
                                  "a different command")
    return loads(result, Application)


def remember(uow: UnitOfWork, idempotency_key: str | None, key: tuple[object, ...],
             app: Application) -> None:
    """Store the result under the key, in the command's unit of work."""
    if idempotency_key is not None:
        uow.idempotency.put(idempotency_key, fingerprint(key), dumps(app))
