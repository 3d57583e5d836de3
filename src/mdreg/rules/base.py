"""规则 — rules, violations, verdicts and the context rules read.

A rule is a small frozen object with a stable dotted ``id``, a Chinese ``label``, an English
``title``, its legal ``citations``, a ``version`` and an effective period. ``check(ctx)`` is pure:
it reads an immutable :class:`EligibilityContext` and yields *every* :class:`Violation` it finds.
The service builds the context with targeted repository queries; rules never touch a repository.

A rule is in force while every instrument it cites is: its period is derived from its
citations unless the class declares a narrower one. A rule whose substance outlives an
instrument is written as dated versions — subclasses with the same ``id``, another ``version``
and the citations of their time — so an application is judged, and its refusal cited, by the
law of its date.

A rule names the payload classes it reads as its type argument: ``class R(Rule[ChangeRequest])``
checks an ``EligibilityContext[ChangeRequest]`` and reads ``ctx.payload.scopes`` as a typed
attribute, so mypy catches a misspelt field. ``R.reads`` lists those classes (``()`` for a rule
that reads no payload field and serves any business type) and ``R.accepts(payload_cls)`` says
whether the rule may be attached to the business type of ``payload_cls``.

>>> from mdreg.rules.base import Verdict
>>> Verdict(as_of=date(2026, 1, 5), checked=("a.rule",), violations=()).passed
True
"""

from __future__ import annotations

import abc
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, ClassVar, Generic, cast

import attrs
from typing_extensions import TypeVar

from mdreg.domain.application import Application, Payload
from mdreg.domain.law import Citation as Citation
from mdreg.domain.law import Instrument as Instrument
from mdreg.domain.law import Violation as Violation
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Qualification,
    Registration,
)
from mdreg.errors import RuleDefinitionError


@attrs.frozen
class Verdict:
    """The outcome of evaluating every rule in force for one event."""

    as_of: date
    checked: tuple[str, ...]
    violations: tuple[Violation, ...]
    policy: str = ""

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def failed_rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule_id for v in self.violations))


#: The payload class(es) a context holds; ``EligibilityContext`` alone holds any payload.
P_co = TypeVar("P_co", covariant=True, default=Payload)
#: The payload class(es) a rule reads; ``Rule`` alone reads no payload field (any payload).
P_contra = TypeVar("P_contra", contravariant=True, default=Payload)


@attrs.frozen
class EligibilityContext(Generic[P_co]):
    """Everything a rule may read, gathered by the service before evaluation.

    ``EligibilityContext[P]`` holds an application whose payload is a ``P``; a ``Rule[P]`` is
    only attached to business types whose payload class it reads (:meth:`Rule.accepts`).

    Attributes:
        as_of: the application date (Asia/Shanghai) that selects the rules in force.
        application: the application being decided; its payload says what is asked.
        physician: the applicant physician.
        institution: the institution that confirms the application (the intended primary
            institution, the filed institution, the registration's primary institution …).
        department: the deciding health department.
        registrations: every registration of the physician, any status (indexed lookup).
        filings: every filing of the physician, any status (indexed lookup).
        legacy: every legacy multi-site record of the physician.
        parameters: the policy's parameters (scope lists, switches).
        account_state: the state of the physician's portal account (``""``: no account); read
            only when a rule in force reads it (``Rule.reads_account``).
    """

    as_of: date
    application: Application
    physician: Physician
    institution: Institution
    department: HealthDepartment
    registrations: tuple[Registration, ...] = ()
    filings: tuple[Filing, ...] = ()
    legacy: tuple[LegacySite, ...] = ()
    parameters: Mapping[str, Any] = attrs.field(factory=dict)
    account_state: str = ""

    @property
    def payload(self) -> P_co:
        """The application's payload, typed as the payload class(es) of this context."""
        return cast(P_co, self.application.payload)

    def qualification_named(self, number: str | None) -> Qualification | None:
        """The qualification ``number`` names (certificate or, until one is issued, exam
        admission number), if the physician holds it."""
        return self.physician.qualification(number) if number else None

    def registration_named(self, registration_id: str | None) -> Registration | None:
        """The physician's registration ``registration_id`` (any status), if there is one."""
        return next((r for r in self.registrations if r.id == registration_id), None)

    def valid_registrations(self) -> tuple[Registration, ...]:
        return tuple(r for r in self.registrations if r.is_valid)


def _payload_classes(rule: str, argument: Any) -> tuple[type, ...]:
    """The payload classes a rule's type argument names; ``()`` for any payload."""
    if argument is Any or isinstance(argument, typing.TypeVar):
        return ()
    if typing.get_origin(argument) in (typing.Union, types.UnionType):
        members = typing.get_args(argument)
    else:
        members = (argument,)
    if not all(isinstance(m, type) for m in members):
        raise RuleDefinitionError(
            f"rule {rule} reads {argument!r}: name payload classes, e.g. Rule[RegistrationRequest]"
        )
    if set(typing.get_args(Payload)) <= set(members):
        return ()
    return tuple(dict.fromkeys(members))


class Rule(abc.ABC, Generic[P_contra]):
    """Base class of every rule. Subclasses set the class attributes and implement ``check``.

    A rule's type argument names the payload classes it reads: ``Rule[RegistrationRequest]``
    checks an ``EligibilityContext[RegistrationRequest]``. ``reads`` holds those classes,
    computed when the subclass is defined (a union gives its members); it is ``()`` for a rule
    that reads no payload field, declared ``Rule[Payload]`` or plain ``Rule``. A subclass of a
    parameterised rule reads what its parent reads.

    ``ref`` is the rule's stable number (R-REG-1, …), shown in the rule catalogue. ``inferred``
    marks a rule that is a design assumption rather than verified law (tag [I]): a policy can
    switch it off by id. ``reads_account`` asks the service to read the physician's portal
    account state into the context.

    ``effective_from`` and ``effective_until`` are derived from the citations a class declares:
    the latest start and the earliest end of the instruments cited. A class may declare a
    narrower period itself. ``version`` numbers the dated versions of one rule (1 for a rule
    that has only one); versions share the ``id`` and ``ref`` and their periods do not overlap.
    """

    id: ClassVar[str]
    ref: ClassVar[str] = ""
    version: ClassVar[int] = 1
    label: ClassVar[str]
    title: ClassVar[str]
    citations: ClassVar[tuple[Citation, ...]]
    effective_from: ClassVar[date] = date.min
    effective_until: ClassVar[date | None] = None
    fix: ClassVar[str] = ""
    inferred: ClassVar[bool] = False
    reads: ClassVar[tuple[type, ...]] = ()
    reads_account: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if own.get("citations"):
            instruments = [c.instrument for c in own["citations"]]
            if "effective_from" not in own:
                cls.effective_from = max(i.effective_from for i in instruments)
            if "effective_until" not in own:
                cls.effective_until = min((i.effective_until for i in instruments
                                           if i.effective_until is not None), default=None)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Rule):
                cls.reads = _payload_classes(cls.__name__, typing.get_args(base)[0])
                return

    @classmethod
    def accepts(cls, payload_cls: type) -> bool:
        """Whether this rule may check applications whose payload is a ``payload_cls``."""
        return not cls.reads or payload_cls in cls.reads

    @abc.abstractmethod
    def check(self, ctx: EligibilityContext[P_contra]) -> Iterable[Violation]:
        """Yield every violation of this rule in ``ctx``; yield nothing when it holds."""

    def in_force(self, on: date) -> bool:
        """Whether the rule applies to an application dated ``on``."""
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )

    def violation(self, message: str, message_en: str, **facts: str) -> Violation:
        """Build a violation of this rule carrying its metadata."""
        return Violation(
            rule_id=self.id,
            label=self.label,
            message=message,
            message_en=message_en,
            citations=self.citations,
            facts=facts,
            fix=self.fix,
        )

    @classmethod
    def period(cls) -> str:
        """``2017-04-01 – 2022-02-28``; an open end reads ``…``."""
        until = cls.effective_until.isoformat() if cls.effective_until else "…"
        return f"{cls.effective_from.isoformat()} – {until}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} v{self.version}>"


#: Callbacks told of every rule outcome (rule, passed); the testing kit's coverage uses this.
OBSERVERS: list[Callable[[Rule[Any], bool], None]] = []


def evaluate(
    rules: Iterable[Rule[Any]], ctx: EligibilityContext[Any], policy: str = ""
) -> Verdict:
    """Run every rule in force on ``ctx.as_of`` and collect all violations."""
    checked: list[str] = []
    found: list[Violation] = []
    for rule in rules:
        if not rule.in_force(ctx.as_of):
            continue
        checked.append(rule.id)
        violations = list(rule.check(ctx))
        found.extend(violations)
        for observer in OBSERVERS:
            observer(rule, not violations)
    return Verdict(ctx.as_of, tuple(checked), tuple(found), policy)

