"""The deadline value on its own: when it is overdue, what closing it twice says, the periods that
need a calendar, and a provisional deadline that cannot be counted yet."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mdreg.domain.calendar import ChineseCalendar, TableCalendar, WeekendFallback
from mdreg.domain.deadlines import (
    PROVISIONAL,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    PeriodUnit,
    due_date,
    recomputed,
)
from mdreg.errors import ValidationError

OPENED = datetime(2026, 3, 2, 1, tzinfo=UTC)


def deadline(due: date = date(2026, 3, 30), start: date = date(2026, 3, 2),
             source: str = "chinesecalendar") -> Deadline:
    return Deadline("DL1", DeadlineKind.DECISION, "A1", "P1", start, due, 20,
                    PeriodUnit.WORKING_DAYS, source, OPENED)


@pytest.mark.parametrize(("as_of", "overdue"), [
    (date(2026, 3, 29), False), (date(2026, 3, 30), False), (date(2026, 3, 31), True)],
    ids=["the_day_before_the_last_day", "the_last_day", "the_day_after"])
def test_an_open_deadline_is_overdue_only_after_its_last_day(as_of: date, overdue: bool) -> None:
    assert deadline().overdue(as_of) is overdue


def test_a_closed_deadline_is_never_overdue() -> None:
    for closed in (deadline().close(date(2026, 3, 3), "approve"),
                   deadline().fire(date(2026, 3, 31)), deadline().end(date(2026, 3, 3), "withdraw")):
        assert not closed.overdue(date(2027, 1, 1))


def test_a_deadline_is_closed_once() -> None:
    met = deadline().close(date(2026, 3, 30), "approve")
    assert (met.status, met.closed_on, met.closed_by, met.version) == (
        DeadlineStatus.MET, date(2026, 3, 30), "approve", 2)
    for again in (lambda: met.close(date(2026, 3, 31), "approve"),
                  lambda: met.fire(date(2026, 3, 31)), lambda: met.end(date(2026, 3, 31), "x")):
        with pytest.raises(ValidationError) as refused:
            again()
        assert (refused.value.field, refused.value.field_label) == ("status", "期限状态")
        assert str(refused.value) == "status: deadline DL1 is already met"
    fired = deadline().fire(date(2026, 3, 31))
    assert (fired.status, fired.closed_by) == (DeadlineStatus.FIRED, "tick")


def test_working_days_need_a_calendar_and_other_units_do_not() -> None:
    with pytest.raises(ValueError, match="a period of decision counts working days: give a calendar"):
        due_date(DeadlineKind.DECISION, date(2026, 3, 2), 20, None)
    assert due_date(DeadlineKind.DECISION, date(2026, 3, 2), 30, None,
                    PeriodUnit.CALENDAR_DAYS) == (date(2026, 4, 1), "none")
    assert due_date(DeadlineKind.FILED_EXPIRY, date(2026, 3, 2), 2, None) == (
        date(2028, 3, 1), "none")


def test_a_provisional_deadline_is_not_recomputed_while_its_years_still_lack_data() -> None:
    provisional = deadline(due=date(2099, 2, 2), start=date(2099, 1, 5), source=PROVISIONAL)
    still = ChineseCalendar(fallback=WeekendFallback())
    assert recomputed(provisional, still) is None
    known = TableCalendar(years=[2026])
    again = recomputed(deadline(due=date(2026, 3, 30), source=PROVISIONAL), known)
    assert again is not None
    assert (again.source, again.version) == ("table", 2)
    assert again.due == known.add_workdays(date(2026, 3, 2), 20)
    assert recomputed(deadline(), known) is None  # never provisional
