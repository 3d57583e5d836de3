"""What the calendar tells the person who wrote an override file or passed a wrong argument: the
exact field and message of each refusal, and the defaults a table may leave out."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest

from mdreg.domain.calendar import (
    CalendarOverrides,
    ChineseCalendar,
    ImportedYear,
    TableCalendar,
    WeekendFallback,
    YearOverride,
)
from mdreg.errors import CalendarDataMissing, ValidationError

LABEL = "工作日历覆盖表"

# file text → (field, message without the source suffix)
REFUSED = {
    "impossible date": ('[years.2027]\nholidays = ["2027-02-30"]\n',
                        "years.2027.holidays[0]", "'2027-02-30' is not a date (YYYY-MM-DD)"),
    "second item": ('[years.2027]\nholidays = ["2027-01-01", "1 May"]\n',
                    "years.2027.holidays[1]", "'1 May' is not a date (YYYY-MM-DD)"),
    "workday item": ('[years.2027]\nworkdays = [20270101]\n',
                     "years.2027.workdays[0]", "20270101 is not a date (YYYY-MM-DD)"),
    "datetime": ("[years.2027]\nholidays = [2027-01-01T00:00:00]\n", "years.2027.holidays[0]",
                 "datetime.datetime(2027, 1, 1, 0, 0) is not a date (YYYY-MM-DD)"),
    "holiday of another year": ('[years.2027]\nholidays = ["2028-01-01"]\n',
                                "years.2027.holidays", "2028-01-01 is not in 2027"),
    "workday of another year": ('[years.2027]\nworkdays = ["2026-01-04"]\n',
                                "years.2027.workdays", "2026-01-04 is not in 2027"),
    "both": ('[years.2027]\nholidays = ["2027-01-31"]\nworkdays = ["2027-01-31"]\n',
             "years.2027", "2027-01-31 is listed both as a holiday and as a workday"),
    "weekday workday": ('[years.2027]\nworkdays = ["2027-02-09", "2027-02-08"]\n',
                        "years.2027.workdays",
                        "2027-02-08 is a Monday; list make-up days on weekends only"),
    "unknown key": ('[years.2027]\nholiday = ["2027-01-01"]\n', "years.2027.holiday",
                    "unknown key; expected one of ('holidays', 'workdays', 'notice')"),
    "short year": ('[years.27]\nholidays = ["2027-01-01"]\n', "years.27",
                   "expected a [years.YYYY] table with a four-digit year"),
    "year not a table": ("[years]\n2027 = 1\n", "years.2027",
                         "expected a [years.YYYY] table with a four-digit year"),
    "not a list": ('[years.2027]\nholidays = "2027-01-01"\n', "years.2027.holidays",
                   "expected a list of dates"),
    "workdays not a list": ("[years.2027]\nworkdays = 1\n", "years.2027.workdays",
                            "expected a list of dates"),
    "notice type": ("[years.2027]\nnotice = 1\n", "years.2027.notice", "expected a string"),
    "top-level key": ('[year.2027]\nholidays = ["2027-01-01"]\n', "year",
                      "unknown key; expected [years.YYYY] tables"),
    "years not a table": ("years = 2027\n", "years", "expected [years.YYYY] tables"),
}


@pytest.mark.parametrize(("text", "where", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_an_override_file_is_refused_naming_the_entry(text: str, where: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides.loads(text, "holidays.toml")
    assert refused.value.field == where
    assert refused.value.field_label == LABEL
    assert str(refused.value) == f"{where}: {message} (in holidays.toml)"


def test_text_that_is_not_toml_is_refused_with_the_parsers_reason() -> None:
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides.loads("[years.2027\n", "holidays.toml")
    assert refused.value.field == "toml"
    assert refused.value.field_label == LABEL
    assert str(refused.value).startswith("toml: not valid TOML: Expected ']'")
    assert str(refused.value).endswith("(in holidays.toml)")


def test_text_without_a_source_is_named_string() -> None:
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides.loads("years = 1\n")
    assert str(refused.value) == "years: expected [years.YYYY] tables (in <string>)"


def test_a_table_built_in_code_has_no_source_suffix() -> None:
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides({2027: YearOverride(2028)})
    assert str(refused.value) == "years.2027: holds the schedule of 2028"
    assert refused.value.field_label == LABEL
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides.from_dict({"other": 1})
    assert str(refused.value) == "other: unknown key; expected [years.YYYY] tables"


def test_what_a_table_may_leave_out() -> None:
    assert CalendarOverrides.from_dict({}) == CalendarOverrides({}, "")
    assert CalendarOverrides.loads("", "empty.toml") == CalendarOverrides({}, "empty.toml")
    only_holidays = CalendarOverrides.loads('[years.2027]\nholidays = ["2027-01-01"]\n')
    assert only_holidays.years[2027] == YearOverride(2027, frozenset({date(2027, 1, 1)}),
                                                      frozenset(), "")
    only_workdays = CalendarOverrides.loads('[years.2027]\nworkdays = ["2027-02-07"]\n')
    assert only_workdays.years[2027] == YearOverride(2027, frozenset(),
                                                      frozenset({date(2027, 2, 7)}), "")
    noticed = CalendarOverrides.loads('[years.2027]\nnotice = "国办发明电〔2026〕1号"\n')
    assert noticed.years[2027].notice == "国办发明电〔2026〕1号"
    assert noticed.source == "<string>"


def test_an_imported_year_round_trips_and_is_checked() -> None:
    schedule = YearOverride(2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 2, 7)}), "n")
    at = datetime(2026, 12, 1, 9)
    imported = ImportedYear(schedule, "import.toml", at)
    data = imported.to_json()
    assert data == {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-07"],
                    "notice": "n"}
    assert ImportedYear.from_json(data, "import.toml", at) == imported
    assert ImportedYear.from_json({"year": 2027}, "s", at).schedule == YearOverride(2027)
    with pytest.raises(ValidationError) as refused:
        ImportedYear.from_json({"year": 2027, "workdays": ["2027-02-08"]}, "db", at)
    assert str(refused.value) == ("years.2027.workdays: 2027-02-08 is a Monday; list make-up days "
                                  "on weekends only (in db)")


# argument errors: the field, its label and what was given
def test_a_datetime_start_is_refused_as_the_start_date() -> None:
    cal = TableCalendar(years=[2026])
    given = datetime(2026, 3, 2, 9)
    for call in (lambda: cal.add_workdays(given, 1),  # type: ignore[arg-type]
                 lambda: cal.add_days(given, 1),  # type: ignore[arg-type]
                 lambda: cal.workdays_between(given, date(2026, 3, 3))):  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.field == "start"
        assert refused.value.field_label == "日期"
        assert str(refused.value) == (
            "start: expected a datetime.date (see mdreg.domain.clock.business_date), got "
            "datetime.datetime(2026, 3, 2, 9, 0)")


def test_a_datetime_day_or_end_is_refused_by_its_name() -> None:
    cal = TableCalendar(years=[2026])
    with pytest.raises(ValidationError) as refused:
        cal.workdays_between(date(2026, 3, 2), "2026-03-03")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.field_label) == ("end", "日期")
    for calendar in (cal, ChineseCalendar()):
        with pytest.raises(ValidationError) as refused:
            calendar.is_workday(datetime(2026, 3, 2))
        assert (refused.value.field, refused.value.field_label) == ("d", "日期")


@pytest.mark.parametrize("n", [-1, True, 1.0, "1"])
def test_a_count_that_is_not_a_non_negative_int_is_refused(n: object) -> None:
    cal = TableCalendar(years=[2026])
    for call in (lambda: cal.add_workdays(date(2026, 3, 2), n),  # type: ignore[arg-type]
                 lambda: cal.add_days(date(2026, 3, 2), n)):  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as refused:
            call()
        assert (refused.value.field, refused.value.field_label) == ("n", "天数")
        assert str(refused.value) == f"n: expected a non-negative int, got {n!r}"


def test_a_reversed_range_names_the_end_date() -> None:
    cal = TableCalendar(years=[2026])
    assert cal.workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    with pytest.raises(ValidationError) as refused:
        cal.workdays_between(date(2026, 3, 3), date(2026, 3, 2))
    assert (refused.value.field, refused.value.field_label) == ("end", "截止日期")
    assert str(refused.value) == "end: 2026-03-02 is before 2026-03-03"


def test_a_table_calendar_names_the_year_it_lacks() -> None:
    # ChineseCalendar's hint: tests/rules/test_what_users_are_told.py
    with pytest.raises(CalendarDataMissing) as missing:
        TableCalendar(years=[2026]).data_source(2027)
    assert missing.value.year == 2027
    assert str(missing.value).endswith(" (TableCalendar covers only the years it was given)")


def test_the_fallback_answers_weekdays_and_warns_once_per_year(
        caplog: pytest.LogCaptureFixture) -> None:
    cal = ChineseCalendar(fallback=WeekendFallback())
    with caplog.at_level(logging.WARNING, logger="mdreg.domain.calendar"):
        assert cal.is_workday(date(2099, 1, 5)) is True  # a Monday
        assert cal.is_workday(date(2099, 1, 3)) is False  # a Saturday
        assert cal.is_workday(date(2098, 1, 4)) is False  # a Saturday
    assert [r.getMessage() for r in caplog.records] == [
        "working days of 2099 are counted Monday–Friday by the fallback",
        "working days of 2098 are counted Monday–Friday by the fallback"]
    assert cal.fallback_years == {2098, 2099}
    assert cal.data_source(2099) == "fallback"
    assert cal.covers(2099) is None


def test_with_years_adds_to_the_overrides_and_joins_their_sources(tmp_path: Path) -> None:
    path = tmp_path / "y.toml"
    path.write_text('[years.2098]\nholidays = ["2098-01-01"]\n', encoding="utf-8")
    base = ChineseCalendar.from_toml(path, fallback=WeekendFallback())
    assert base.fallback == WeekendFallback()
    more = base.with_years([YearOverride(2099, frozenset({date(2099, 1, 5)}))], "db")
    assert more.overrides.source == f"{path}, db"
    assert more.fallback is base.fallback
    assert more.covers(2098) == more.covers(2099) == "override"
    assert more.is_workday(date(2099, 1, 5)) is False
    assert more.is_workday(date(2099, 1, 6)) is True
    assert more.is_workday(date(2098, 1, 1)) is False
    assert ChineseCalendar().with_years([], "db").overrides.source == "db"


def test_a_table_built_in_code_with_a_source_names_it_in_every_refusal() -> None:
    with pytest.raises(ValidationError) as refused:
        CalendarOverrides({2027: YearOverride(2028)}, "province.toml")
    assert str(refused.value) == "years.2027: holds the schedule of 2028 (in province.toml)"


def test_a_table_calendar_names_itself_as_its_table_s_source() -> None:
    calendar = TableCalendar(holidays=[date(2027, 1, 1)], years=[2028])
    assert calendar.table.source == "TableCalendar"
    assert sorted(calendar.table.years) == [2027, 2028]
