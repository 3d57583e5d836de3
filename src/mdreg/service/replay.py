"""政策回放 — which recorded decisions a candidate policy would have decided otherwise.

Every decision keeps the facts its rules read (:mod:`mdreg.service.records`). :func:`replay`
reads the audit log page by page, restores the facts of each recorded decision made within the
period, evaluates the rules the **candidate** policy has in force for the same business type,
event and application date (with the candidate's parameters), and compares that verdict with
the recorded one. A verdict **changed** when a decision that passed would now be refused, or a
refused one would now pass.

What the report holds is masked: application ids, business types, events, dates and rule ids —
never the facts, which hold names (and never held ID numbers or phones).

What a replay cannot see: a command the rules refused outright (a failed ``submit``) left no
decision record, and an event no rule applied to recorded nothing; a rule the candidate adds to
such an event has nothing to replay.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import partial
from typing import Any

import attrs

from mdreg.domain.application import AuditEvent
from mdreg.domain.clock import business_date
from mdreg.errors import ValidationError
from mdreg.ports import UnitOfWork
from mdreg.rules.base import evaluate
from mdreg.rules.policy import Policy
from mdreg.service.records import restore, revision
from mdreg.service.services import Services, read

#: Audit events read per unit of work.
PAGE = 500
#: Changed decisions a report shows.
EXAMPLES = 10


def _counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Most first, then by name."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@attrs.frozen
class ReplayedDecision:
    """One recorded decision and the verdict of the candidate on its facts.

    ``event`` is what was decided (``approve``, ``reject`` …); ``evaluated`` the event whose
    rules measured it (a ``reject`` is measured against ``approve``). ``failed_before`` are the
    rules the recorded decision found failing, ``failed_after`` those the candidate does.
    """

    application_id: str
    business_type: str
    event: str
    evaluated: str
    on: date
    failed_before: tuple[str, ...]
    failed_after: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Passed before and fails now, or the other way round."""
        return bool(self.failed_before) != bool(self.failed_after)

    def to_dict(self) -> dict[str, Any]:
        return {"application_id": self.application_id, "business_type": self.business_type,
                "event": self.event, "evaluated": self.evaluated, "date": self.on.isoformat(),
                "failed_before": list(self.failed_before),
                "failed_after": list(self.failed_after)}


@attrs.frozen
class ReplayReport:
    """What a candidate policy changes in the decisions recorded between ``since`` and
    ``until`` (inclusive; ``None``: unbounded).

    Attributes:
        candidate: the candidate's revision (``name@hash``).
        replayed: recorded decisions replayed.
        changed: decisions whose verdict changed; ``now_refused`` + ``now_passing``.
        now_refused: decisions that passed and the candidate refuses.
        now_passing: refused decisions the candidate lets pass.
        reasons_changed: refused decisions the candidate refuses on other rules.
        by_type: changed verdicts per business type.
        newly_failing: per rule id, the decisions in which it fails under the candidate and
            did not fail before (whether or not the verdict changed).
        no_longer_failing: per rule id, the decisions in which it failed and does not fail
            under the candidate.
        examples: the first changed decisions, in the order they were recorded (at most
            :data:`EXAMPLES`).
    """

    candidate: str
    since: date | None
    until: date | None
    replayed: int
    changed: int
    now_refused: int
    now_passing: int
    reasons_changed: int
    by_type: Mapping[str, int] = attrs.field(converter=_counts)
    newly_failing: Mapping[str, int] = attrs.field(converter=_counts)
    no_longer_failing: Mapping[str, int] = attrs.field(converter=_counts)
    examples: tuple[ReplayedDecision, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "candidate": self.candidate,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "replayed": self.replayed, "changed": self.changed,
            "now_refused": self.now_refused, "now_passing": self.now_passing,
            "reasons_changed": self.reasons_changed, "by_type": dict(self.by_type),
            "newly_failing": dict(self.newly_failing),
            "no_longer_failing": dict(self.no_longer_failing),
            "examples": [example.to_dict() for example in self.examples],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


@attrs.define
class _Tally:
    """The report, gathered one replayed decision at a time."""

    replayed: int = 0
    now_refused: int = 0
    now_passing: int = 0
    reasons_changed: int = 0
    by_type: Counter[str] = attrs.field(factory=Counter)
    newly_failing: Counter[str] = attrs.field(factory=Counter)
    no_longer_failing: Counter[str] = attrs.field(factory=Counter)
    examples: list[ReplayedDecision] = attrs.field(factory=list)

    def add(self, decision: ReplayedDecision) -> None:
        self.replayed += 1
        before, after = set(decision.failed_before), set(decision.failed_after)
        self.newly_failing.update(after - before)
        self.no_longer_failing.update(before - after)
        if decision.changed:
            self.now_refused += bool(after)
            self.now_passing += bool(before)
            self.by_type[decision.business_type] += 1
            if len(self.examples) < EXAMPLES:
                self.examples.append(decision)
        elif before and before != after:
            self.reasons_changed += 1

    def report(self, candidate: Policy, since: date | None, until: date | None) -> ReplayReport:
        return ReplayReport(
            revision(candidate), since, until, self.replayed,
            self.now_refused + self.now_passing, self.now_refused, self.now_passing,
            self.reasons_changed, self.by_type, self.newly_failing, self.no_longer_failing,
            tuple(self.examples))


def check_period(since: date | None, until: date | None) -> None:
    """Raises:
        ValidationError: ``until`` is before ``since``."""
    if since is not None and until is not None and until < since:
        raise ValidationError("until", f"{until.isoformat()} is before since "
                                       f"{since.isoformat()}", field_label="截止日期")


def recorded_decisions(services: Services, since: date | None = None,
                       until: date | None = None,
                       progress: Callable[[int], None] | None = None) -> Iterator[AuditEvent]:
    """The audit events that recorded a decision (their data hold ``facts``) on a business date
    within ``[since, until]``, in the order they were committed, read :data:`PAGE` at a time;
    ``progress`` is told how many audit events were read so far after each page."""
    position, seen = 0, 0
    while True:
        page = read(services, partial(_page, after=position))
        if not page:
            return
        for _, event in page:
            day = business_date(event.at)
            if "facts" in event.data and (since is None or since <= day) \
                    and (until is None or day <= until):
                yield event
        position, seen = page[-1][0], seen + len(page)
        if progress is not None:
            progress(seen)


def _page(uow: UnitOfWork, after: int) -> tuple[tuple[int, AuditEvent], ...]:
    return uow.audit.since(after, PAGE)


def replay_decision(event: AuditEvent, candidate: Policy) -> ReplayedDecision:
    """The candidate's verdict on a recorded decision's facts, next to the recorded one."""
    ctx = restore(event.data["facts"][0])
    ctx = attrs.evolve(ctx, parameters=dict(candidate.parameters))
    app = ctx.application
    evaluated = event.data["evaluated"][0]
    rules = candidate.rules_for(app.type, evaluated, app.application_date)
    verdict = evaluate(rules, ctx, candidate.name)
    return ReplayedDecision(event.aggregate_id, app.type.value, event.event, evaluated,
                            business_date(event.at), tuple(event.data.get("failed", ())),
                            verdict.failed_rule_ids)


def replayed(services: Services, candidate: Policy, *, since: date | None = None,
             until: date | None = None, progress: Callable[[int], None] | None = None
             ) -> Iterator[ReplayedDecision]:
    """Each decision recorded on a business date within ``[since, until]``, replayed under
    ``candidate``, in the order they were recorded."""
    for event in recorded_decisions(services, since, until, progress):
        yield replay_decision(event, candidate)


def summary(decisions: Iterable[ReplayedDecision], candidate: Policy, since: date | None = None,
            until: date | None = None) -> ReplayReport:
    """The report of ``decisions`` replayed under ``candidate``."""
    tally = _Tally()
    for decision in decisions:
        tally.add(decision)
    return tally.report(candidate, since, until)


def replay(services: Services, candidate: Policy, *, since: date | None = None,
           until: date | None = None,
           progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Replay every decision recorded in ``services``' database on a business date within
    ``[since, until]`` under ``candidate`` (see the module's description).

    Raises:
        ValidationError: ``until`` is before ``since``.
    """
    check_period(since, until)
    return summary(replayed(services, candidate, since=since, until=until, progress=progress),
                   candidate, since, until)
