"""法定期限 — legal time limits as stored rows, computed on the working-day calendar.

Deadlines are opened and closed by the transitions of applications, in the same unit of work
(:mod:`mdreg.service.deadlines`):

* 机构确认 (the materials reach the department) opens the **correction window**: 5 working days
  (行政许可法 Art 32(4), Art 82). If the department neither accepts nor asks for corrections in
  time, the application counts as accepted on the receipt date: :meth:`mdreg.Registry.tick`
  applies it;
* 受理 opens the **decision** deadline, closed by 准予 / 不予 / 退回. Its length, unit, start and
  basis depend on the business type and the application date (:class:`DecisionPeriod`): for a
  注册 dated from 2022-03-01, 20 working days from acceptance (医师法 Art 13); dated before,
  30 days from receipt (执业医师法 Art 13);
* a 注销 application opens the **report** deadline: 30 calendar days from the day the ground
  became known (2017 measures Art 18), closed when it is submitted;
* a departure report opens the **备案 expiry**: two years in 备案 without renewed practice end
  in 注销 (2017 measures Art 19); :meth:`mdreg.Registry.tick` applies it.

The first day is not counted (民法典 Art 201). ``due`` is the last day of the period; a
deadline has *passed* on the day after. Each row records where the calendar's answer came from
(:attr:`Deadline.source`), so one computed with the weekday fallback is never mistaken for a
statutory one.

>>> from datetime import date
>>> from mdreg.domain.calendar import ChineseCalendar
>>> due_date(DeadlineKind.DECISION, date(2026, 2, 13), 20, ChineseCalendar())  # R-DL-5
(datetime.date(2026, 3, 19), 'chinesecalendar')
>>> due_date(DeadlineKind.CANCELLATION_REPORT, date(2026, 9, 1), 30, ChineseCalendar())
(datetime.date(2026, 10, 1), 'none')

Periodic assessment (定期考核, 医师法 Art 42) is in :mod:`mdreg.domain.assessment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from mdreg.domain.calendar import WorkingDayCalendar
from mdreg.domain.dates import add_years
from mdreg.domain.model import LabelledEnum
from mdreg.errors import CalendarDataMissing, ValidationError

_ONE_DAY = timedelta(days=1)

#: Recorded as :attr:`Deadline.source` when the period needs no working-day data (calendar
#: days, years).
NO_CALENDAR_DATA = "none"
#: The source of a deadline counted through a year without holiday data (weekends only).
PROVISIONAL = "fallback"


class DeadlineKind(LabelledEnum):
    """What a deadline is for."""

    DECISION = ("decision", "审批决定期限")
    CORRECTION_WINDOW = ("correction_window", "一次性告知补正期限")
    CANCELLATION_REPORT = ("cancellation_report", "注销情形报告期限")
    FILED_EXPIRY = ("filed_expiry", "备案满二年注销")


class PeriodUnit(LabelledEnum):
    """How a period is counted."""

    WORKING_DAYS = ("working_days", "工作日")
    CALENDAR_DAYS = ("calendar_days", "日")
    YEARS = ("years", "年")


class PeriodStart(LabelledEnum):
    """The day a decision period is counted from (the day itself is not counted)."""

    ACCEPTANCE = ("acceptance", "自受理申请之日起")
    RECEIPT = ("receipt", "自收到申请之日起")


@attrs.frozen
class DecisionPeriod:
    """审批期限 — how long a department has to decide one application, and on what basis.

    ``statutory`` is false for a period no law sets (a policy's service target, tag [I]);
    ``basis`` says where it comes from, and is recorded on the deadline.

    >>> DecisionPeriod(30, PeriodUnit.CALENDAR_DAYS, PeriodStart.RECEIPT, "《执业医师法》第十三条")
    DecisionPeriod(length=30, unit=<PeriodUnit.CALENDAR_DAYS: 'calendar_days'>, \
counted_from=<PeriodStart.RECEIPT: 'receipt'>, basis='《执业医师法》第十三条', statutory=True)
    >>> print(_)
    30日，自收到申请之日起（《执业医师法》第十三条）
    """

    length: int
    unit: PeriodUnit
    counted_from: PeriodStart
    basis: str
    statutory: bool = True

    def __str__(self) -> str:
        return f"{self.length}{self.unit.label}，{self.counted_from.label}（{self.basis}）"


#: The unit of each kind, and the policy parameter that sets its length.
UNITS: Mapping[DeadlineKind, PeriodUnit] = {
    DeadlineKind.DECISION: PeriodUnit.WORKING_DAYS,
    DeadlineKind.CORRECTION_WINDOW: PeriodUnit.WORKING_DAYS,
    DeadlineKind.CANCELLATION_REPORT: PeriodUnit.CALENDAR_DAYS,
    DeadlineKind.FILED_EXPIRY: PeriodUnit.YEARS,
}
LENGTH_PARAMETERS: Mapping[DeadlineKind, str] = {
    DeadlineKind.DECISION: "decision_working_days",
    DeadlineKind.CORRECTION_WINDOW: "correction_working_days",
    DeadlineKind.CANCELLATION_REPORT: "cancellation_report_days",
    DeadlineKind.FILED_EXPIRY: "filed_expiry_years",
}
#: Kinds whose passing the law turns into an act: deemed acceptance, 备案 → 注销.
AUTOMATIC = frozenset({DeadlineKind.CORRECTION_WINDOW, DeadlineKind.FILED_EXPIRY})


class DeadlineStatus(LabelledEnum):
    """Where a deadline stands; every status but ``open`` is final."""

    OPEN = ("open", "进行中")
    MET = ("met", "按期办结")
    MISSED = ("missed", "逾期办结")
    FIRED = ("fired", "到期自动处理")
    ENDED = ("ended", "已终止")


@attrs.frozen
class Deadline:
    """One legal time limit on one subject (an application or a registration).

    ``start`` is the day the period is counted from (not counted itself) and ``due`` its last
    day; ``basis`` is the period's legal basis (a decision period's, see
    :class:`DecisionPeriod`). ``version`` grows by one per change (optimistic concurrency, as
    for applications). Closing states why: ``closed_by`` names the event (``approve``,
    ``withdraw``, ``tick`` …). ``flagged_on`` is the day :meth:`mdreg.Registry.tick` first
    reported it overdue.
    """

    id: str
    kind: DeadlineKind
    subject_id: str
    physician_id: str
    start: date
    due: date
    length: int
    unit: PeriodUnit
    source: str
    opened_at: datetime
    status: DeadlineStatus = DeadlineStatus.OPEN
    version: int = 1
    closed_on: date | None = None
    closed_by: str = ""
    flagged_on: date | None = None
    basis: str = ""
    #: the day the party that must act was reminded that the last day is near
    reminded_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status is DeadlineStatus.OPEN

    @property
    def provisional(self) -> bool:
        """Counted Monday–Friday through a year without holiday data: the due date may move
        when the year's data arrives (see :func:`recomputed`)."""
        return self.source == PROVISIONAL

    @property
    def takes_effect(self) -> date:
        """The first day after the period: when the law's consequence applies."""
        return self.due + _ONE_DAY

    def overdue(self, as_of: date) -> bool:
        """Open, and ``as_of`` is past the last day."""
        return self.is_open and as_of > self.due

    def close(self, on: date, by: str) -> Deadline:
        """Closed by the act it waited for: met if on or before the due date, else missed."""
        status = DeadlineStatus.MET if on <= self.due else DeadlineStatus.MISSED
        return self._final(status, on, by)

    def fire(self, on: date, by: str = "tick") -> Deadline:
        """Passed, and the law's consequence was applied (deemed acceptance, 备案 → 注销)."""
        return self._final(DeadlineStatus.FIRED, on, by)

    def end(self, on: date, by: str) -> Deadline:
        """Ended without the act it waited for: the application was withdrawn, or the subject
        moved on otherwise (a filed registration cancelled by another route)."""
        return self._final(DeadlineStatus.ENDED, on, by)

    def flag(self, on: date) -> Deadline:
        """Reported overdue for the first time; it stays open."""
        return attrs.evolve(self, flagged_on=on, version=self.version + 1)

    def remind(self, on: date) -> Deadline:
        """The party that must act was reminded on ``on``; it stays open."""
        return attrs.evolve(self, reminded_on=on, version=self.version + 1)

    def _final(self, status: DeadlineStatus, on: date, by: str) -> Deadline:
        if not self.is_open:
            raise ValidationError("status", f"deadline {self.id} is already {self.status.value}",
                                  field_label="期限状态")
        return attrs.evolve(self, status=status, closed_on=on, closed_by=by,
                            version=self.version + 1)


def data_source(calendar: WorkingDayCalendar, start: date, due: date) -> str:
    """The least authoritative data source among the years ``start`` … ``due``.

    ``fallback`` beats ``override`` beats ``table`` beats ``chinesecalendar``: a period that
    touched a fallback year is a fallback deadline.
    """
    sources = {calendar.data_source(year) for year in range(start.year, due.year + 1)}
    for weakest in ("fallback", "override", "table"):
        if weakest in sources:
            return weakest
    return "chinesecalendar"


def due_date(kind: DeadlineKind, start: date, length: int,
             calendar: WorkingDayCalendar | None, unit: PeriodUnit | None = None
             ) -> tuple[date, str]:
    """The last day of a period of ``kind`` (in ``unit``, by default the kind's) counted from
    ``start``, and its data source.

    Working days need calendar data for every year they touch
    (:class:`~mdreg.errors.CalendarDataMissing` otherwise, unless the calendar has a
    fallback). Calendar days end ``length`` days after ``start``. A period in years ends the
    day before the anniversary: a registration filed on 2026-03-02 is in 备案 until 2028-03-01
    and cancelled on 2028-03-02. Only working days read ``calendar``.
    """
    unit = unit or UNITS[kind]
    if unit is PeriodUnit.WORKING_DAYS:
        if calendar is None:
            raise ValueError(f"a period of {kind.value} counts working days: give a calendar")
        due = calendar.add_workdays(start, length)
        return due, data_source(calendar, start, due)
    if unit is PeriodUnit.CALENDAR_DAYS:
        return start + timedelta(days=length), NO_CALENDAR_DATA
    return add_years(start, length) - _ONE_DAY, NO_CALENDAR_DATA


def cancellation_report_due(known: date, parameters: Mapping[str, Any]) -> date:
    """R-CAN-3: the last day to report a 注销 ground known on ``known`` (calendar days, policy
    parameter ``cancellation_report_days``; 2017 measures Art 18).

    >>> cancellation_report_due(date(2026, 9, 1), {"cancellation_report_days": 30})
    datetime.date(2026, 10, 1)
    """
    length = int(parameters[LENGTH_PARAMETERS[DeadlineKind.CANCELLATION_REPORT]])
    return due_date(DeadlineKind.CANCELLATION_REPORT, known, length, None)[0]


def filed_expired(filed_on: date, as_of: date, parameters: Mapping[str, Any]) -> bool:
    """R-CAN-6: whether a registration in 备案 since ``filed_on`` is cancelled by ``as_of`` (two
    years, policy parameter ``filed_expiry_years``; 2017 measures Art 19) — the day after its
    expiry deadline's last day.

    >>> years = {"filed_expiry_years": 2}
    >>> filed_expired(date(2024, 2, 29), date(2026, 2, 27), years)
    False
    >>> filed_expired(date(2024, 2, 29), date(2026, 2, 28), years)
    True
    """
    length = int(parameters[LENGTH_PARAMETERS[DeadlineKind.FILED_EXPIRY]])
    return as_of > due_date(DeadlineKind.FILED_EXPIRY, filed_on, length, None)[0]


def filed_expiry_cutoff(as_of: date, parameters: Mapping[str, Any]) -> date:
    """The latest ``filed_on`` that can have expired by ``as_of``: what a sweep asks the store
    for (a day later than the plain anniversary, for 29 February); :func:`filed_expired`
    decides.

    >>> filed_expiry_cutoff(date(2026, 2, 28), {"filed_expiry_years": 2})
    datetime.date(2024, 2, 29)
    """
    return add_years(as_of, -int(parameters[LENGTH_PARAMETERS[DeadlineKind.FILED_EXPIRY]])) + _ONE_DAY


def checked_due_date(kind: DeadlineKind, start: date, length: int,
                     calendar: WorkingDayCalendar, parameters: Mapping[str, Any],
                     unit: PeriodUnit | None = None) -> tuple[date, str]:
    """:func:`due_date`, refusing a provisional answer unless the policy allows it.

    A working-day period that reaches a year without holiday data is counted Monday–Friday by
    the calendar's fallback and the deadline is *provisional* (source ``fallback``) until the
    year's data arrives (:func:`recomputed`). With the policy parameter
    ``provisional_deadlines`` off, such a period is refused instead.

    Raises:
        CalendarDataMissing: the period needs a year without data and the calendar has no
            fallback, or the policy refuses provisional deadlines.
    """
    due, source = due_date(kind, start, length, calendar, unit)
    if source == PROVISIONAL and not parameters.get("provisional_deadlines", True):
        year = next(y for y in range(start.year, due.year + 1)
                    if calendar.data_source(y) == PROVISIONAL)
        raise CalendarDataMissing(year, hint=(
            "the policy refuses provisional deadlines (provisional_deadlines=False): import the "
            f"year's schedule (mdreg calendar import FILE with a [years.{year}] table) or "
            "configure ChineseCalendar.from_toml"))
    return due, source


def new_deadline(deadline_id: str, kind: DeadlineKind, subject_id: str, physician_id: str,
                 start: date, opened_at: datetime, calendar: WorkingDayCalendar,
                 parameters: Mapping[str, Any], period: DecisionPeriod | None = None
                 ) -> Deadline:
    """An open deadline of ``kind``: as long as ``period`` says (a decision deadline), else as
    the policy ``parameters`` set the kind's length (see :func:`checked_due_date`)."""
    if period is None:
        length, unit, basis = int(parameters[LENGTH_PARAMETERS[kind]]), UNITS[kind], ""
    else:
        length, unit, basis = period.length, period.unit, str(period)
    due, source = checked_due_date(kind, start, length, calendar, parameters, unit)
    return Deadline(deadline_id, kind, subject_id, physician_id, start, due, length, unit,
                    source, opened_at, basis=basis)


def recomputed(deadline: Deadline, calendar: WorkingDayCalendar) -> Deadline | None:
    """A provisional open deadline counted again on ``calendar``: the new version once every
    year it touches has data (its due date possibly moved), ``None`` while it is still
    provisional or if it never was."""
    if not deadline.is_open or not deadline.provisional:
        return None
    due, source = due_date(deadline.kind, deadline.start, deadline.length, calendar,
                           deadline.unit)
    if source == PROVISIONAL:
        return None
    return attrs.evolve(deadline, due=due, source=source, version=deadline.version + 1)
