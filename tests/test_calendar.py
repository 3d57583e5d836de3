"""Working-day calendar: RELIABILITY.md C.3 (D-01 … D-05), domain.md R-DL-5, override files."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdreg.domain.calendar import (
    CalendarOverrides,
    ChineseCalendar,
    TableCalendar,
    WeekendFallback,
    WorkingDayCalendar,
    YearOverride,
    default_calendar,
    net_days_off,
)
from mdreg.domain.clock import business_date
from mdreg.errors import CalendarDataMissing, MdregError, ValidationError

CAL = ChineseCalendar()

# An illustrative 2027 schedule in the override format. It is NOT the State Council's notice
# for 2027 (not published when this was written); it only follows the 2025 rules (13 days).
EXAMPLE_2027 = """
[years.2027]
notice = "illustrative schedule for tests, not an official notice"
holidays = [
  "2027-01-01",
  "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
  "2027-02-11", "2027-02-12",
  "2027-04-03", "2027-04-04", "2027-04-05",
  "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-05-05",
  "2027-06-09",
  "2027-09-15",
  "2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05", "2027-10-06",
  "2027-10-07",
]
workdays = ["2027-01-31", "2027-02-20", "2027-04-25", "2027-09-25", "2027-10-09"]
"""


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture
def example_2027_file(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(EXAMPLE_2027, encoding="utf-8")
    return path


# --- D-01: agreement with chinesecalendar on every day it covers ---------------------------


def test_d01_every_day_2004_to_2026_agrees_with_chinesecalendar() -> None:
    all_days = days(date(2004, 1, 1), date(2026, 12, 31))
    assert len(all_days) == 8401
    mismatches = [d for d in all_days if CAL.is_workday(d) != chinese_calendar.is_workday(d)]
    assert mismatches == []
    assert {CAL.data_source(y) for y in range(2004, 2027)} == {"chinesecalendar"}


def test_d01_is_holiday_is_the_complement() -> None:
    for d in days(date(2026, 1, 1), date(2026, 12, 31)):
        assert CAL.is_holiday(d) == (not CAL.is_workday(d)) == chinese_calendar.is_holiday(d)


# --- D-02: 2026 调休 spot checks (domain.md §10.5, RELIABILITY D-02) -----------------------

WORKDAYS_2026 = {
    date(2026, 1, 4): "Sun",
    date(2026, 2, 14): "Sat",
    date(2026, 2, 28): "Sat",
    date(2026, 5, 9): "Sat",
    date(2026, 9, 20): "Sun",
    date(2026, 10, 10): "Sat",
}
HOLIDAYS_2026 = days(date(2026, 2, 15), date(2026, 2, 23)) + days(date(2026, 10, 1), date(2026, 10, 7))


@pytest.mark.parametrize(("day", "weekday"), WORKDAYS_2026.items())
def test_d02_make_up_weekend_days_of_2026_are_workdays(day: date, weekday: str) -> None:
    assert f"{day:%a}" == weekday
    assert CAL.is_workday(day)


@pytest.mark.parametrize("day", HOLIDAYS_2026)
def test_d02_2026_spring_festival_and_national_day_are_holidays(day: date) -> None:
    assert CAL.is_holiday(day)


# --- D-03: net statutory days off per year -------------------------------------------------

# The raw figure differs from the statutory count where a make-up day crosses a year boundary
# or a one-off holiday was declared. These adjustments are the ones documented upstream
# (LKI/chinese-calendar tests/test_holiday_amount.py); the reasons were checked in the data:
ADJUSTMENTS = {
    # Raw 12. 2007 still had the 1999 rules (10 days), and its New Year break (01-01..03) was
    # paid for by 2006-12-30/31, so 2007 keeps two weekday rest days it never made up. (The
    # 2008 New Year pair, Mon 2007-12-31 off / Sat 2007-12-29 on, both fall in 2007: net 0.)
    # Upstream subtracts 1 with a different reason ("国庆多了两天，元旦少了一天"); 11 is its label.
    2007: 1,
    2011: -1,  # Raw 10: Saturday 2011-12-31 was the make-up day for the 2012 New Year break.
    2012: 1,  # Raw 12: the other half of 2011; 2012-01-02/03 off, made up in 2011.
    2015: 1,  # Raw 12: one-off holiday 2015-09-03, 70th anniversary of the 1945 victory.
    2020: 2,  # Raw 13: Spring Festival extended to 02-02 (COVID-19): Fri 01-31 off, Sat 02-01 free.
}


@pytest.mark.parametrize("year", range(2007, 2025))
def test_d03_net_days_off_2007_to_2024_is_11_after_documented_adjustments(year: int) -> None:
    assert net_days_off(CAL, year) - ADJUSTMENTS.get(year, 0) == 11


@pytest.mark.parametrize("year", [2025, 2026])
def test_d03_net_days_off_is_13_from_2025(year: int) -> None:
    assert net_days_off(CAL, year) == 13


def test_d03_pre_2008_years_are_not_11() -> None:
    # 2004-2006 had 10 statutory days; 2006 also lost two weekend days to the 2007 New Year.
    assert [net_days_off(CAL, y) for y in (2004, 2005, 2006)] == [10, 10, 9]


def test_d03_the_same_check_runs_on_an_override_year(example_2027_file: Path) -> None:
    assert net_days_off(ChineseCalendar.from_toml(example_2027_file), 2027) == 13


def test_d03_check_detects_a_missing_holiday() -> None:
    text = EXAMPLE_2027.replace('"2027-06-09",', "")
    assert net_days_off(ChineseCalendar(overrides=CalendarOverrides.loads(text)), 2027) == 12


# --- D-04: a year without data ---------------------------------------------------------------

START = date(2026, 12, 10)


@pytest.mark.parametrize("year", [1999, 2003, 2027, 2100])
def test_d04_years_without_data_raise_calendar_data_missing(year: int) -> None:
    with pytest.raises(CalendarDataMissing, match=str(year)) as info:
        CAL.is_workday(date(year, 6, 1))
    assert info.value.year == year
    assert not isinstance(info.value, NotImplementedError)


def test_d04_deadline_into_2027_raises_with_a_hint() -> None:
    with pytest.raises(CalendarDataMissing, match="2027") as info:
        ChineseCalendar().add_workdays(START, 20)
    assert info.value.year == 2027
    assert "[years.2027]" in str(info.value)
    assert "ChineseCalendar.from_toml" in str(info.value)
    with pytest.raises(CalendarDataMissing):
        CAL.data_source(2027)
    with pytest.raises(CalendarDataMissing):
        CAL.is_holiday(date(2027, 1, 2))


def test_d04_fallback_is_opt_in_and_recorded(caplog: pytest.LogCaptureFixture) -> None:
    cal = ChineseCalendar(fallback=WeekendFallback())
    assert cal.data_source(2026) == "chinesecalendar"
    assert cal.add_workdays(date(2026, 2, 13), 20) == date(2026, 3, 19)
    assert cal.fallback_years == frozenset()
    with caplog.at_level(logging.WARNING, logger="mdreg.domain.calendar"):
        # Fri 2027-01-01 counts: the fallback knows no holidays.
        assert cal.add_workdays(START, 20) == date(2027, 1, 7)
    assert cal.data_source(2027) == "fallback"
    assert cal.fallback_years == {2027}
    assert ["2027" in r.getMessage() for r in caplog.records] == [True]


def test_d04_override_file_answers_2027(example_2027_file: Path) -> None:
    cal = ChineseCalendar.from_toml(example_2027_file, fallback=WeekendFallback())
    assert cal.add_workdays(START, 20) == date(2027, 1, 8)  # 2027-01-01 is a holiday
    assert cal.data_source(2027) == "override"
    assert cal.data_source(2026) == "chinesecalendar"
    assert cal.fallback_years == frozenset()
    assert cal.overrides.years[2027].notice.startswith("illustrative")


def test_d04_without_chinesecalendar_every_year_needs_an_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # import now fails
    cal = ChineseCalendar(overrides=CalendarOverrides.loads(EXAMPLE_2027))
    with pytest.raises(CalendarDataMissing, match="install chinesecalendar"):
        cal.is_workday(date(2026, 1, 5))
    assert cal.is_holiday(date(2027, 1, 1))


# --- D-05: business date --------------------------------------------------------------------


def test_d05_business_date_is_the_shanghai_date() -> None:
    assert business_date(datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)) == date(2026, 9, 30)
    assert business_date(datetime(2026, 9, 30, 16, 0, 0, tzinfo=UTC)) == date(2026, 10, 1)


def test_d05_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="naive"):
        business_date(datetime(2026, 9, 30, 16, 0, 0))


def test_calendar_refuses_datetimes_to_force_a_business_date() -> None:
    with pytest.raises(ValidationError, match="business_date"):
        CAL.is_workday(datetime(2026, 9, 30, 16, 0, tzinfo=UTC))
    with pytest.raises(ValidationError):
        CAL.add_workdays(datetime(2026, 9, 30, 16, 0, tzinfo=UTC), 1)


# --- R-DL-5 and period arithmetic -----------------------------------------------------------


@pytest.mark.parametrize(
    "cal",
    [
        CAL,
        # The 2026 Spring Festival from domain.md §10.5 alone, no package data needed.
        TableCalendar(
            [*days(date(2026, 2, 16), date(2026, 2, 20)), date(2026, 2, 23)],
            [date(2026, 2, 14), date(2026, 2, 28)],
        ),
    ],
    ids=["chinesecalendar", "table"],
)
def test_r_dl_5_twenty_working_days_from_friday_2026_02_13(cal: WorkingDayCalendar) -> None:
    accepted = date(2026, 2, 13)
    assert cal.add_workdays(accepted, 1) == date(2026, 2, 14)  # make-up Saturday counts
    assert cal.add_workdays(accepted, 2) == date(2026, 2, 24)  # 02-15..23 skipped
    assert cal.add_workdays(accepted, 20) == date(2026, 3, 19)
    assert cal.workdays_between(accepted, date(2026, 3, 19)) == 20


def test_add_workdays_zero_and_negative() -> None:
    assert CAL.add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValidationError):
        CAL.add_workdays(date(2026, 2, 15), -1)


def test_workdays_between_refuses_reversed_ranges() -> None:
    assert CAL.workdays_between(date(2026, 2, 15), date(2026, 2, 15)) == 0
    with pytest.raises(ValidationError):
        CAL.workdays_between(date(2026, 3, 1), date(2026, 2, 1))


def test_add_days_counts_calendar_days_and_can_roll_past_holidays() -> None:
    assert CAL.add_days(date(2026, 9, 1), 30) == date(2026, 10, 1)
    assert CAL.add_days(date(2026, 9, 1), 30, roll_forward=True) == date(2026, 10, 8)
    assert CAL.add_days(date(2026, 12, 20), 30) == date(2027, 1, 19)  # needs no data
    with pytest.raises(CalendarDataMissing):
        CAL.add_days(date(2026, 12, 20), 30, roll_forward=True)


def test_table_calendar_covers_only_its_years() -> None:
    cal = TableCalendar(years=[2030])
    assert cal.data_source(2030) == "table"
    assert cal.is_workday(date(2030, 1, 1))  # no holidays given: only weekends rest
    with pytest.raises(CalendarDataMissing, match="2031"):
        cal.is_workday(date(2031, 1, 1))


def test_default_calendar_is_shared() -> None:
    assert default_calendar() is default_calendar()
    assert isinstance(default_calendar().fallback, WeekendFallback)  # provisional deadlines


# --- Hypothesis properties (ChineseCalendar over 2005..2026) -------------------------------

START_DATES = st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 6, 30))
COUNTS = st.integers(min_value=1, max_value=60)


@given(START_DATES, COUNTS)
def test_add_workdays_lands_on_a_workday(start: date, n: int) -> None:
    assert CAL.is_workday(CAL.add_workdays(start, n))


@given(START_DATES, COUNTS)
def test_add_workdays_is_strictly_increasing(start: date, n: int) -> None:
    assert start < CAL.add_workdays(start, n) < CAL.add_workdays(start, n + 1)


@given(START_DATES, COUNTS)
def test_workdays_between_inverts_add_workdays(start: date, n: int) -> None:
    assert CAL.workdays_between(start, CAL.add_workdays(start, n)) == n


@given(START_DATES, COUNTS)
def test_add_workdays_agrees_with_chinesecalendar_find_workday(start: date, n: int) -> None:
    # find_workday(k, d) first moves to the first workday on or after d, then k more.
    k = n if chinese_calendar.is_workday(start) else n - 1
    assert CAL.add_workdays(start, n) == chinese_calendar.find_workday(k, start)


# --- Overrides ----------------------------------------------------------------------------


def test_override_replaces_chinesecalendar_for_its_whole_year() -> None:
    text = '[years.2026]\nholidays = ["2026-03-02"]\nworkdays = ["2026-03-07"]\n'
    cal = ChineseCalendar(overrides=CalendarOverrides.loads(text))
    assert cal.data_source(2026) == "override"
    assert not cal.is_workday(date(2026, 3, 2))
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.is_workday(date(2026, 2, 16))  # a holiday upstream, but not in this table
    assert cal.is_workday(date(2025, 10, 11)) is chinese_calendar.is_workday(date(2025, 10, 11))


def test_override_accepts_toml_dates(tmp_path: Path) -> None:
    path = tmp_path / "dates.toml"
    path.write_text("[years.2027]\nholidays = [2027-01-01]\nworkdays = []\n", encoding="utf-8")
    overrides = CalendarOverrides.from_toml(path)
    assert overrides.years[2027] == YearOverride(2027, frozenset({date(2027, 1, 1)}))
    assert overrides.source == str(path)


BAD_FILES = {
    "not toml": ("[years.2027\n", "not valid TOML"),
    "impossible date": ('[years.2027]\nholidays = ["2027-02-30"]\n', r"years\.2027\.holidays\[0\]"),
    "compact date": ('[years.2027]\nholidays = ["20270101"]\n', "not a date"),
    "number": ("[years.2027]\nholidays = [20270101]\n", "not a date"),
    "datetime": ("[years.2027]\nholidays = [2027-01-01T00:00:00]\n", "not a date"),
    "wrong year": ('[years.2027]\nholidays = ["2028-01-01"]\n', "2028-01-01 is not in 2027"),
    "both": (
        '[years.2027]\nholidays = ["2027-01-31"]\nworkdays = ["2027-01-31"]\n',
        "both as a holiday and as a workday",
    ),
    "weekday workday": ('[years.2027]\nworkdays = ["2027-02-08"]\n', "is a Monday"),
    "unknown key": ('[years.2027]\nholiday = ["2027-01-01"]\n', r"years\.2027\.holiday"),
    "short year": ('[years.27]\nholidays = ["2027-01-01"]\n', "four-digit year"),
    "not a list": ('[years.2027]\nholidays = "2027-01-01"\n', "list of dates"),
    "notice type": ("[years.2027]\nnotice = 1\n", "notice"),
    "top-level key": ('[year.2027]\nholidays = ["2027-01-01"]\n', "unknown key"),
    "years not a table": ("years = 2027\n", "years"),
}


@pytest.mark.parametrize(("text", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_override_files_raise_validation_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message) as info:
        ChineseCalendar.from_toml(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, MdregError)


def test_overrides_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="holds the schedule of 2028"):
        CalendarOverrides({2027: YearOverride(2028)})
    with pytest.raises(ValidationError, match="is a Monday"):
        TableCalendar(workdays=[date(2027, 2, 8)])
