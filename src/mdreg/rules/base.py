"""规则 — rules, violations, verdicts and the context rules read.

A rule is a small frozen object with a stable dotted ``id``, a Chinese ``label``, an English
``title``, its legal ``citations`` and an effective period. ``check(ctx)`` is pure: it reads an
immutable :class:`EligibilityContext` and yields *every* :class:`Violation` it finds. The service
builds the context with targeted repository queries; rules never touch a repository.

>>> from mdreg.rules.base import Verdict
>>> Verdict(as_of=date(2026, 1, 5), checked=("a.rule",), violations=()).passed
True
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, ClassVar

import attrs

from mdreg.domain.application import Application, Payload
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Qualification,
    Registration,
)


@attrs.frozen
class Instrument:
    """A legal instrument (法律、规章、规范性文件) with the period it was in force."""

    key: str
    title: str
    english: str
    effective_from: date
    effective_until: date | None = None
    url: str = ""

    def article(self, article: str, source: str = "") -> Citation:
        """A citation of one article of this instrument; ``source`` is domain.md's tag (S1…)."""
        return Citation(self, article, source)


@attrs.frozen
class Citation:
    """《instrument》article, with the domain reference's source tag."""

    instrument: Instrument
    article: str
    source: str = ""

    def __str__(self) -> str:
        tag = f" [{self.source}]" if self.source else ""
        return f"《{self.instrument.title}》{self.article}{tag}"


@attrs.frozen
class Violation:
    """One failed rule: which rule, why (Chinese and English), under which law, how to fix.

    ``facts`` holds the values the rule looked at, already masked where personal.
    """

    rule_id: str
    label: str
    message: str
    message_en: str
    citations: tuple[Citation, ...]
    facts: Mapping[str, str] = attrs.field(factory=dict)
    fix: str = ""

    def __str__(self) -> str:
        cited = "; ".join(str(c) for c in self.citations)
        return f"[{self.rule_id}] {self.message} ({self.message_en}) — {cited}"


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


@attrs.frozen
class EligibilityContext:
    """Everything a rule may read, gathered by the service before evaluation.

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

    @property
    def payload(self) -> Payload:
        return self.application.payload

    def field(self, name: str) -> Any:
        """A payload field, or ``None`` when this payload has no such field."""
        return getattr(self.payload, name, None)

    @property
    def qualification(self) -> Qualification | None:
        """The qualification named in the payload, if the physician holds it."""
        number = self.field("qualification_no")
        return self.physician.qualification(number) if number else None

    @property
    def target_registration(self) -> Registration | None:
        """The registration the payload names (upgrade, change, cancellation, filing …)."""
        wanted = self.field("registration_id")
        return next((r for r in self.registrations if r.id == wanted), None)

    def valid_registrations(self) -> tuple[Registration, ...]:
        return tuple(r for r in self.registrations if r.is_valid)


class Rule(abc.ABC):
    """Base class of every rule. Subclasses set the class attributes and implement ``check``.

    ``ref`` is the rule's number in the domain reference's list of testable rules (R-REG-1, …).
    ``inferred`` marks a rule that is a design assumption rather than verified law (tag [I] in
    the domain reference): a policy can switch it off by id.
    """

    id: ClassVar[str]
    ref: ClassVar[str] = ""
    label: ClassVar[str]
    title: ClassVar[str]
    citations: ClassVar[tuple[Citation, ...]]
    effective_from: ClassVar[date] = date(1999, 5, 1)
    effective_until: ClassVar[date | None] = None
    fix: ClassVar[str] = ""
    inferred: ClassVar[bool] = False
    reads: ClassVar[tuple[type, ...]] = ()

    @classmethod
    def accepts(cls, payload: type) -> bool:
        return not cls.reads or payload in cls.reads

    @abc.abstractmethod
    def check(self, ctx: EligibilityContext) -> Iterable[Violation]:
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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


#: Callbacks told of every rule outcome (rule, passed); the testing kit's coverage uses this.
OBSERVERS: list[Callable[[Rule, bool], None]] = []


def evaluate(rules: Iterable[Rule], ctx: EligibilityContext, policy: str = "") -> Verdict:
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

