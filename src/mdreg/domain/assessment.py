"""定期考核 — periodic assessment (医师法 Art 42; 医师定期考核管理办法).

:func:`assessment_cycles` lays out a physician's cycles from the first registration and
:func:`assessment_status` reads the recorded results against them: missed cycles, a suspension
after a failed result, and the cancellation grounds two missed cycles or a failed re-assessment
give (reported by :func:`~mdreg.domain.deadlines.cancellation_report_due`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import attrs

from mdreg.domain.account import Assessment, AssessmentResult
from mdreg.domain.application import CancellationGround
from mdreg.domain.dates import add_months
from mdreg.domain.deadlines import cancellation_report_due
from mdreg.domain.model import (
    LabelledEnum,
    Physician,
    Record,
    RecordKind,
    Registration,
    practice_periods,
)
from mdreg.errors import ValidationError

_ONE_DAY = timedelta(days=1)

#: 医师法 in force: cycles starting on or after this day last ``periodic_assessment_years``
#: (3, Art 42); earlier ones ``periodic_assessment_years_before_2022`` (2, 2007 measures).
PHYSICIANS_LAW_IN_FORCE = date(2022, 3, 1)
#: 医师定期考核管理办法 in force: no physician had an assessment duty before this day.
ASSESSMENT_MEASURES_IN_FORCE = date(2007, 5, 1)


class CycleResult(LabelledEnum):
    """How a physician's assessment cycle ended (or stands)."""

    PASSED = ("passed", "合格")
    FAILED = ("failed", "不合格")
    MISSED = ("missed", "未参加考核")
    CURRENT = ("current", "本周期进行中")
    NO_DUTY = ("no_duty", "无考核义务")


@attrs.frozen
class AssessmentCycle:
    """One assessment cycle, ``start`` to ``end`` inclusive; labelled ``"2023-2025"``."""

    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start.year}-{self.end.year}"

    def holds(self, assessment: Assessment) -> bool:
        """The result belongs to this cycle: same label, or assessed within it."""
        return assessment.cycle == self.label or self.start <= assessment.assessed_on <= self.end


def cycle_years(starts_on: date, parameters: Mapping[str, Any]) -> int:
    """How long a cycle starting on ``starts_on`` lasts (R-ASM-1)."""
    if starts_on < PHYSICIANS_LAW_IN_FORCE:
        return int(parameters["periodic_assessment_years_before_2022"])
    return int(parameters["periodic_assessment_years"])


def assessment_cycles(first_registered_on: date, until: date,
                      parameters: Mapping[str, Any]) -> tuple[AssessmentCycle, ...]:
    """The cycles from the year of the first registration up to the one holding ``until``.

    [I] Cycles are aligned to calendar years and start on 1 January of the year the physician
    was first registered; each lasts :func:`cycle_years` of its start. The national start of
    the first 3-year cycle is not published.
    """
    cycles: list[AssessmentCycle] = []
    start = date(first_registered_on.year, 1, 1)
    while start <= until:
        end = date(start.year + cycle_years(start, parameters), 1, 1) - _ONE_DAY
        cycles.append(AssessmentCycle(start, end))
        start = end + _ONE_DAY
    return tuple(cycles)


@attrs.frozen
class CycleOutcome:
    """A cycle and what the recorded results say about it."""

    cycle: AssessmentCycle
    result: CycleResult
    assessment_ids: tuple[str, ...] = ()


@attrs.frozen
class AssessmentStatus:
    """A physician's periodic assessment as of a day (see :func:`assessment_status`).

    ``ground`` is a 注销 ground the results establish — two consecutive missed cycles (R-ASM-3,
    2017 Art 18(5)) or a failed re-assessment (R-ASM-2, 医师法 Art 17(4)) — known since
    ``ground_known_on``; the 30-day report duty (R-CAN-3) runs to ``report_due``.
    """

    physician_id: str
    as_of: date
    cycles: tuple[CycleOutcome, ...]
    suspended_until: date | None = None
    ground: CancellationGround | None = None
    ground_known_on: date | None = None
    report_due: date | None = None

    @property
    def current(self) -> CycleOutcome | None:
        """The cycle running on :attr:`as_of`, if the physician is registered."""
        return next((c for c in self.cycles if c.cycle.start <= self.as_of <= c.cycle.end), None)

    @property
    def missed_in_a_row(self) -> int:
        """Consecutive missed cycles, counted back from the last completed one."""
        count = 0
        for outcome in reversed([c for c in self.cycles if c.cycle.end < self.as_of]):
            if outcome.result is not CycleResult.MISSED:
                break
            count += 1
        return count

    @property
    def needs_action(self) -> bool:
        """A cancellation ground, a missed last cycle, or a running suspension."""
        return (self.ground is not None or self.missed_in_a_row > 0
                or (self.suspended_until is not None and self.suspended_until >= self.as_of))


def _outcome(cycle: AssessmentCycle, held: list[Assessment], as_of: date, duty: bool
             ) -> CycleOutcome:
    ids = tuple(a.id for a in held)
    if any(a.result is AssessmentResult.PASSED for a in held):
        return CycleOutcome(cycle, CycleResult.PASSED, ids)
    if held:
        return CycleOutcome(cycle, CycleResult.FAILED, ids)
    if cycle.end >= as_of:
        return CycleOutcome(cycle, CycleResult.CURRENT)
    return CycleOutcome(cycle, CycleResult.MISSED if duty else CycleResult.NO_DUTY)


def had_duty(cycle: AssessmentCycle, periods: Iterable[tuple[date, date]],
             parameters: Mapping[str, Any]) -> bool:
    """Whether the physician had to be assessed in ``cycle`` (R-ASM-3): they held a
    registration in force on at least ``assessment_duty_min_days`` days of it on which the
    assessment measures were in force (from 2007-05-01)."""
    start = max(cycle.start, ASSESSMENT_MEASURES_IN_FORCE)
    days = sum(max(0, (min(end, cycle.end) - max(begin, start)).days + 1)
               for begin, end in periods)
    return days >= int(parameters["assessment_duty_min_days"])


def assessment_status(physician: Physician, registrations: Iterable[Registration],
                      assessments: Iterable[Assessment], as_of: date,
                      parameters: Mapping[str, Any]) -> AssessmentStatus:
    """Read a physician's assessment results against their cycles.

    * a cycle is *passed* if any result in it passed (a pass on re-assessment restores
      practice), *failed* if it holds only failures; one that ended with no result is
      *missed* if the physician had a duty in it (:func:`had_duty`), else *no duty*;
    * a first failure suspends practice (an ``assessment_suspension`` record, see
      :meth:`mdreg.Registry.record_assessment`) until the re-assessment; a pass ends it;
    * failing the re-assessment — the next result after a failure, in whichever cycle — is the
      ground ``failed_reassessment``, known on that result's day (:func:`reassessment_chain`);
    * two consecutive missed cycles — two adjacent cycles, each with a duty and no result —
      are the ground ``missed_assessments`` (2017 Art 18(5)), known on the day after the
      second cycle ended; a cycle without a duty between two missed ones breaks the run.
    """
    registrations = tuple(registrations)
    results = sorted(assessments, key=lambda a: (a.assessed_on, a.id))
    if not registrations:
        return AssessmentStatus(physician.id, as_of, ())
    periods = practice_periods(registrations, as_of)
    cycles = assessment_cycles(min(r.granted_on for r in registrations), as_of, parameters)
    outcomes = tuple(_outcome(c, [a for a in results if c.holds(a)], as_of,
                              had_duty(c, periods, parameters)) for c in cycles)
    grounds: list[tuple[date, CancellationGround]] = []
    for before, after in pairwise(outcomes):
        if before.result is after.result is CycleResult.MISSED:
            grounds.append((after.cycle.end + _ONE_DAY, CancellationGround.MISSED_ASSESSMENTS))
    _, failed_again = reassessment_chain([a for a in results if a.assessed_on <= as_of],
                                         registrations)
    grounds.extend((a.assessed_on, CancellationGround.FAILED_REASSESSMENT) for a in failed_again)
    known, ground = min(grounds, default=(None, None))
    report_due = None if known is None else cancellation_report_due(known, parameters)
    return AssessmentStatus(physician.id, as_of, outcomes, _suspended_until(physician, results),
                            ground, known, report_due)


def reassessment_chain(results: Iterable[Assessment], registrations: Iterable[Registration]
                       ) -> tuple[Assessment | None, tuple[Assessment, ...]]:
    """Which failures wait for a re-assessment and which re-assessments failed (R-ASM-2).

    医师法 Art 42: a failed assessment suspends practice 3–6 months; when the suspension ends
    the physician is assessed again, and a pass lets them practise on. Art 17(4): failing that
    re-assessment is a 注销 ground. Read in date order, a failure waits for its re-assessment —
    the next result, in the same cycle or a later one; a pass ends the wait; a failure while
    one waits is a failed re-assessment, and the next failure after it starts afresh. A
    registration granted after a waiting failure starts afresh too (it was decided on its own
    evidence).

    Returns:
        the failure still waiting for its re-assessment (``None`` if none), and the failed
        re-assessments, oldest first.
    """
    granted = sorted(r.granted_on for r in registrations)
    waiting: Assessment | None = None
    failed_again: list[Assessment] = []
    for result in sorted(results, key=lambda a: (a.assessed_on, a.id)):
        if waiting is not None and any(waiting.assessed_on < g <= result.assessed_on
                                       for g in granted):
            waiting = None
        if result.result is AssessmentResult.PASSED:
            waiting = None
        elif waiting is None:
            waiting = result
        else:
            failed_again.append(result)
            waiting = None
    return waiting, tuple(failed_again)


def suspension_end(physician: Physician, failure: Assessment) -> date | None:
    """The last day of the 暂停执业活动 a failed result brought, if it is on record."""
    return next((r.until for r in physician.records
                 if r.on == failure.assessed_on and is_assessment_suspension(r, {r.on})), None)


def is_assessment_suspension(record: Record, failed_on: Collection[date]) -> bool:
    """Whether ``record`` is the 暂停执业活动 of a failed assessment: an
    ``assessment_suspension``, or a ``practice_suspended`` record mdreg wrote for one before it
    told 暂停 from 中止 apart (it starts on a failed result's day and has an end)."""
    if record.kind is RecordKind.ASSESSMENT_SUSPENSION:
        return True
    return (record.kind is RecordKind.PRACTICE_SUSPENDED and record.until is not None
            and record.on in failed_on)


def _suspended_until(physician: Physician, results: list[Assessment]) -> date | None:
    """The end of the latest assessment suspension, or the day a later pass restored practice."""
    failed_on = {a.assessed_on for a in results if a.result is AssessmentResult.FAILED}
    suspensions = [(r.on, r.until) for r in physician.records
                   if is_assessment_suspension(r, failed_on) and r.until is not None]
    if not suspensions:
        return None
    since, until = max(suspensions)
    passes = [a.assessed_on for a in results
              if a.result is AssessmentResult.PASSED and a.assessed_on > since]
    return min([until, *passes])


def suspension(assessment: Assessment, months: int, parameters: Mapping[str, Any]) -> Record:
    """The ``assessment_suspension`` record (暂停执业活动) a failed assessment brings (医师法
    Art 42: 3–6 months).

    Raises:
        ValidationError: ``months`` outside the policy's range.
    """
    shortest, longest = (int(m) for m in parameters["periodic_assessment_suspension_months"])
    if not shortest <= months <= longest:
        raise ValidationError("suspension_months",
                              f"a failed assessment suspends practice {shortest}–{longest} months",
                              field_label="暂停执业期限")
    return Record(RecordKind.ASSESSMENT_SUSPENSION, assessment.assessed_on,
                  add_months(assessment.assessed_on, months))

