"""业务类型声明 — everything one business type is, in one value.

A :class:`BusinessTypeDeclaration` holds a type's id and labels, its payload class, its state
machine, the rules checked on each event, its routing (who confirms, who decides), who may apply,
the effect of each event on the registry, the portal account activation it triggers, whether its
changes are announced, the paper materials the department needs and the basis of its decision
period. The engine and the service
read declarations and nothing else; each of the nine types is declared in its own module of
:mod:`mdreg.workflows`.

A declaration is checked when it is built: rules, effects and notes name events the state machine
has; every rule reads the declared payload class (:meth:`mdreg.rules.Rule.accepts`); the
payload class is an attrs class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from mdreg.domain.application import CLOSED_STATES, Application, BusinessType
from mdreg.domain.model import Physician
from mdreg.errors import WorkflowDefinitionError
from mdreg.rules.account import SUBMISSION_RULES
from mdreg.rules.base import Citation, Rule
from mdreg.rules.policy import PARAMETERS, Policy
from mdreg.workflows.base import WorkflowDefinition
from mdreg.workflows.effects import Effect
from mdreg.workflows.periods import UNDECLARED, DecisionBasis
from mdreg.workflows.routing import Route, Routing

P = TypeVar("P")
#: A rule of any payload type.
AnyRule = Rule[Any]

#: Events on which a business type's eligibility rules are checked by default: whenever the
#: applicant hands the application in, and when the department decides.
CHECKED_ON = ("submit", "resubmit", "supplement", "approve")

RouteFunction = Callable[[Routing, Physician, P, Policy], Route]
EffectFunction = Callable[[Effect, Application, P], None]
#: Facts recorded in the audit event of an event (e.g. the 注销 report deadline on ``submit``).
FactsFunction = Callable[[Application, P, Policy], dict[str, list[str]]]


@attrs.frozen
class Material:
    """A paper document the applicant brings to the department (需带纸质资料)."""

    name: str
    english: str
    citation: Citation | None = None
    note: str = ""

    def __str__(self) -> str:
        cited = f"（{self.citation}）" if self.citation else ""
        return f"{self.name}{cited}"


def checked_on(rules: Iterable[AnyRule], events: Iterable[str] = CHECKED_ON
               ) -> dict[str, tuple[AnyRule, ...]]:
    """The same rules on each of ``events`` (by default :data:`CHECKED_ON`)."""
    chosen = tuple(rules)
    return dict.fromkeys(events, chosen)


def _rules(value: Mapping[str, Iterable[AnyRule]]) -> Mapping[str, tuple[AnyRule, ...]]:
    return {event: tuple(rules) for event, rules in value.items()}


@attrs.frozen(kw_only=True)
class BusinessTypeDeclaration(Generic[P]):
    """One business type, declared in one place.

    Attributes:
        business: the type's id and Chinese label.
        payload: the payload class an application of this type carries.
        definition: its state machine (the shared lifecycle with this type's labels).
        basis: the legal basis in a sentence or two (shown on the generated page).
        rules: the rules checked on each event (event id → rules).
        route: who confirms and who decides a new application, and its target key.
        confirms, decides: the routing in words, with the article it rests on.
        effects: what each event changes in the registry (event id → effect).
        institution_may_apply: the routed institution may apply on a physician's behalf
            (``True``), or whether it may is the value of the policy parameter this names.
        activates_account_on: the event that activates the physician's verified portal account.
        announces: registrations this type creates, changes or ends are announced (医师法 Art 21).
        facts: extra facts an event records in its audit event.
        materials: the paper documents the department checks.
        decision_period: the decision period and its basis, by application date
            (:mod:`mdreg.workflows.periods`); by default no statutory period.
    """

    business: BusinessType
    payload: type[P]
    definition: WorkflowDefinition
    basis: str
    rules: Mapping[str, tuple[AnyRule, ...]] = attrs.field(converter=_rules)
    route: RouteFunction[P]
    confirms: str
    decides: str
    effects: Mapping[str, EffectFunction[P]] = attrs.field(factory=dict)
    institution_may_apply: bool | str = False
    activates_account_on: str | None = None
    announces: bool = True
    facts: Mapping[str, FactsFunction[P]] = attrs.field(factory=dict)
    materials: tuple[Material, ...] = ()
    decision_period: DecisionBasis = UNDECLARED

    def __attrs_post_init__(self) -> None:
        validate(self)

    def institution_applies(self, policy: Policy) -> bool:
        """Whether the routed institution may apply on a physician's behalf under ``policy``."""
        if isinstance(self.institution_may_apply, str):
            return bool(policy.param(self.institution_may_apply))
        return self.institution_may_apply

    def rule_table(self) -> dict[tuple[BusinessType, str], tuple[AnyRule, ...]]:
        """This type's rules as a policy's table, the portal account rule (R-ACC-2) first on
        ``submit``."""
        table = {(self.business, event): rules for event, rules in self.rules.items()}
        if "submit" in self.definition.event_ids:
            key = (self.business, "submit")
            table[key] = SUBMISSION_RULES + table.get(key, ())
        return table

    def payload_of(self, app: Application) -> P:
        """The application's payload, checked to be this type's.

        Raises:
            WorkflowDefinitionError: the application carries another type's payload.
        """
        payload: object = app.payload
        if not isinstance(payload, self.payload):
            raise WorkflowDefinitionError(
                f"application {app.id} of {self.business.value} carries a "
                f"{type(payload).__name__}, not a {self.payload.__name__}")
        return payload


def _fail(declaration: BusinessTypeDeclaration[Any], problem: str) -> WorkflowDefinitionError:
    return WorkflowDefinitionError(f"business type {declaration.business.value!r}: {problem}")


def validate(declaration: BusinessTypeDeclaration[Any]) -> None:
    """Raise :class:`WorkflowDefinitionError` unless ``declaration`` is consistent."""
    events = set(declaration.definition.event_ids)
    if declaration.definition.id != declaration.business.value:
        raise _fail(declaration, f"its workflow is {declaration.definition.id!r}")
    final = declaration.definition.final_states
    if final != CLOSED_STATES & set(declaration.definition.state_ids) or not final:
        raise _fail(declaration, f"its final states must be outcomes that close an application "
                                 f"({', '.join(sorted(CLOSED_STATES))}), and those only final")
    if not attrs.has(declaration.payload):
        raise _fail(declaration, f"{declaration.payload.__name__} is not an attrs class")
    for kind, keys in (("rules", declaration.rules), ("effects", declaration.effects),
                       ("facts", declaration.facts)):
        unknown = set(keys) - events
        if unknown:
            raise _fail(declaration, f"{kind} name unknown events {sorted(unknown)}")
    if declaration.activates_account_on not in (None, *events):
        raise _fail(declaration, f"activation on unknown event "
                                 f"{declaration.activates_account_on!r}")
    for event, rules in declaration.rules.items():
        for rule in rules:
            if not rule.accepts(declaration.payload):
                raise _fail(declaration, f"rule {rule.id} on {event!r} reads "
                                         f"{_names(rule.reads)}, not {declaration.payload.__name__}")
    may_apply = declaration.institution_may_apply
    if isinstance(may_apply, str) and may_apply not in PARAMETERS:
        raise _fail(declaration, f"institution_may_apply names no policy parameter {may_apply!r}")
    if not declaration.basis.strip() or not declaration.confirms or not declaration.decides:
        raise _fail(declaration, "basis, confirms and decides must be described")


def _names(classes: Iterable[type[Any]]) -> str:
    return " | ".join(c.__name__ for c in classes)

