"""工作日历 — working days for legal periods.

Periods under the 行政许可法 are counted in working days (Art 82): weekends and statutory
holidays do not count, 调休 make-up Saturdays and Sundays do. The first day is not counted
(民法典 Art 201). Data comes from ``chinesecalendar`` plus a deployer's TOML override table; a
year with neither raises :class:`~mdreg.errors.CalendarDataMissing` unless a fallback was
configured explicitly (see ``docs/calendar.md``).

>>> from datetime import date
>>> cal = default_calendar()
>>> cal.add_workdays(date(2026, 2, 13), 20)  # R-DL-5: accepted on Friday 2026-02-13
datetime.date(2026, 3, 19)
>>> cal.data_source(2026)
'chinesecalendar'
"""

from __future__ import annotations

import abc
import functools
import importlib
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Literal

from mdreg.errors import CalendarDataMissing, ValidationError

DataSource = Literal["chinesecalendar", "override", "fallback", "table"]

_log = logging.getLogger(__name__)
_ONE_DAY = timedelta(days=1)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_KEYS = ("holidays", "workdays", "notice")


def _invalid(where: str, message: str, source: str) -> ValidationError:
    suffix = f" (in {source})" if source else ""
    return ValidationError(where, message + suffix, field_label="工作日历覆盖表")


def _require_date(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        msg = f"expected a datetime.date (see mdreg.domain.clock.business_date), got {value!r}"
        raise ValidationError(name, msg, field_label="日期")
    return value


def _require_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValidationError("n", f"expected a non-negative int, got {n!r}", field_label="天数")
    return n


class WorkingDayCalendar(abc.ABC):
    """Port: which dates are working days, and period arithmetic built on that.

    Every method raises :class:`~mdreg.errors.CalendarDataMissing` when it needs a year the
    calendar has no data for, and :class:`~mdreg.errors.ValidationError` for a ``datetime``.
    """

    @abc.abstractmethod
    def is_workday(self, d: date) -> bool:
        """True if ``d`` is a working day (a 调休 make-up weekend day included)."""

    @abc.abstractmethod
    def data_source(self, year: int) -> DataSource:
        """Which data answers for ``year``; record it next to a deadline."""

    def is_holiday(self, d: date) -> bool:
        """True if ``d`` is a rest day: a weekend day or a statutory holiday."""
        return not self.is_workday(d)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself is not counted."""
        day, remaining = _require_date(start, "start"), _require_count(n)
        while remaining:
            day += _ONE_DAY
            remaining -= self.is_workday(day)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """The number of working days in ``(start, end]``; ``end`` must not precede ``start``."""
        if _require_date(end, "end") < _require_date(start, "start"):
            raise ValidationError("end", f"{end} is before {start}", field_label="截止日期")
        days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
        return sum(self.is_workday(d) for d in days)

    def add_days(self, start: date, n: int, *, roll_forward: bool = False) -> date:
        """The last day of a period of ``n`` calendar days after ``start`` (民法典 Art 201).

        Args:
            start: the day the period is counted from; not counted itself.
            n: the length in calendar days.
            roll_forward: if the last day is a rest day, move it to the next working day
                (民法典 Art 203). Off by default; it needs data for the end date's year.
        """
        end = _require_date(start, "start") + timedelta(days=_require_count(n))
        while roll_forward and not self.is_workday(end):
            end += _ONE_DAY
        return end


@dataclass(frozen=True)
class YearOverride:
    """One year's schedule, copied from the State Council's holiday notice (放假安排).

    A date of ``year`` is a working day iff it is in ``workdays`` (make-up days, which fall
    on weekends) or it is a Monday–Friday not in ``holidays``.
    """

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    notice: str = ""

    def is_workday(self, d: date) -> bool:
        """Whether ``d``, a date of :attr:`year`, is a working day."""
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)


@dataclass(frozen=True)
class CalendarOverrides:
    """The deployer's override table, checked when built.

    Raises:
        ValidationError: a date outside its year's section, a weekday listed as a workday,
            or a date listed both as a holiday and as a workday.
    """

    years: Mapping[int, YearOverride] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        for key, year in self.years.items():
            _check_year(key, year, self.source)

    @classmethod
    def from_dict(cls, data: Mapping[str, object], source: str = "") -> CalendarOverrides:
        """Build from ``{"years": {"2027": {"holidays": [...], "workdays": [...]}}}``.

        Dates are ``YYYY-MM-DD`` strings or TOML dates; ``notice`` (optional) names the
        State Council notice. Unknown keys and malformed dates raise ``ValidationError``.
        """
        if extra := sorted(set(data) - {"years"}):
            raise _invalid(extra[0], "unknown key; expected [years.YYYY] tables", source)
        years = data.get("years", {})
        if not isinstance(years, Mapping):
            raise _invalid("years", "expected [years.YYYY] tables", source)
        parsed = [_parse_year(str(key), body, source) for key, body in years.items()]
        return cls({y.year: y for y in parsed}, source)

    @classmethod
    def loads(cls, text: str, source: str = "<string>") -> CalendarOverrides:
        """Parse TOML text; see :meth:`from_dict`."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _invalid("toml", f"not valid TOML: {exc}", source) from exc
        return cls.from_dict(data, source)

    @classmethod
    def from_toml(cls, path: str | Path) -> CalendarOverrides:
        """Read a UTF-8 TOML override file; see :meth:`from_dict`."""
        return cls.loads(Path(path).read_text(encoding="utf-8"), str(path))


def _check_year(key: int, y: YearOverride, source: str) -> None:
    where = f"years.{key}"
    if key != y.year:
        raise _invalid(where, f"holds the schedule of {y.year}", source)
    for name, days in (("holidays", y.holidays), ("workdays", y.workdays)):
        if strays := sorted(d for d in days if d.year != y.year):
            raise _invalid(f"{where}.{name}", f"{strays[0]} is not in {y.year}", source)
    if weekdays := sorted(d for d in y.workdays if d.weekday() < 5):
        msg = f"{weekdays[0]} is a {weekdays[0]:%A}; list make-up days on weekends only"
        raise _invalid(f"{where}.workdays", msg, source)
    if both := sorted(y.holidays & y.workdays):
        raise _invalid(where, f"{both[0]} is listed both as a holiday and as a workday", source)


def _parse_year(key: str, body: object, source: str) -> YearOverride:
    where = f"years.{key}"
    if not re.fullmatch(r"\d{4}", key) or not isinstance(body, Mapping):
        raise _invalid(where, "expected a [years.YYYY] table with a four-digit year", source)
    if extra := sorted(set(body) - set(_YEAR_KEYS)):
        raise _invalid(f"{where}.{extra[0]}", f"unknown key; expected one of {_YEAR_KEYS}", source)
    notice = body.get("notice", "")
    if not isinstance(notice, str):
        raise _invalid(f"{where}.notice", "expected a string", source)
    days = {k: _parse_days(body.get(k, []), f"{where}.{k}", source) for k in _YEAR_KEYS[:2]}
    return YearOverride(int(key), days["holidays"], days["workdays"], notice)


def _parse_days(values: object, where: str, source: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise _invalid(where, "expected a list of dates", source)
    return frozenset(_parse_day(v, f"{where}[{i}]", source) for i, v in enumerate(values))


def _parse_day(value: object, where: str, source: str) -> date:
    if type(value) is date:
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid(where, f"{value!r} is not a date (YYYY-MM-DD)", source)


@dataclass(frozen=True)
class ImportedYear:
    """A year's schedule imported into a registry (``mdreg calendar import``), stored in its
    database so that every process counts the same working days."""

    schedule: YearOverride
    source: str
    imported_at: datetime

    @property
    def year(self) -> int:
        return self.schedule.year

    def to_json(self) -> dict[str, object]:
        """The schedule as plain data (sorted ISO dates)."""
        return {"year": self.year, "holidays": sorted(d.isoformat() for d in self.schedule.holidays),
                "workdays": sorted(d.isoformat() for d in self.schedule.workdays),
                "notice": self.schedule.notice}

    @classmethod
    def from_json(cls, data: Mapping[str, object], source: str,
                  imported_at: datetime) -> ImportedYear:
        """The inverse of :meth:`to_json` (checked as an override table is)."""
        body = {k: data[k] for k in _YEAR_KEYS if k in data}
        table = CalendarOverrides.from_dict({"years": {str(data["year"]): body}}, source)
        return cls(table.years[int(str(data["year"]))], source, imported_at)


@dataclass(frozen=True)
class WeekendFallback:
    """Opt-in answer for years without data: Monday–Friday are working days.

    It knows no holidays and no 调休, so deadlines counted with it may be wrong; the calendar
    records each year it answered (:attr:`ChineseCalendar.fallback_years`).
    """

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a Monday–Friday."""
        return d.weekday() < 5


def _load_upstream() -> ModuleType | None:
    try:
        return importlib.import_module("chinese_calendar")
    except ImportError:
        return None


class ChineseCalendar(WorkingDayCalendar):
    """Statutory holidays and 调休 from ``chinesecalendar``, overridden per year by a table.

    Args:
        overrides: years the deployer supplies; they take precedence over chinesecalendar.
        fallback: answers years without data; if ``None`` (the default) such years raise
            :class:`~mdreg.errors.CalendarDataMissing`.
    """

    def __init__(
        self, *, overrides: CalendarOverrides | None = None, fallback: WeekendFallback | None = None
    ) -> None:
        self.overrides = overrides if overrides is not None else CalendarOverrides()
        self.fallback = fallback
        self._upstream = _load_upstream()
        self._covered: dict[int, bool] = {}
        self._fallback_years: set[int] = set()

    @classmethod
    def from_toml(cls, path: str | Path, *, fallback: WeekendFallback | None = None) -> ChineseCalendar:
        """A calendar with the override file at ``path``; see :class:`CalendarOverrides`."""
        return cls(overrides=CalendarOverrides.from_toml(path), fallback=fallback)

    def with_years(self, years: Iterable[YearOverride], source: str) -> ChineseCalendar:
        """This calendar with ``years`` added to its overrides (replacing those years)."""
        merged = {**self.overrides.years, **{y.year: y for y in years}}
        sources = ", ".join(s for s in (self.overrides.source, source) if s)
        return ChineseCalendar(overrides=CalendarOverrides(merged, sources),
                               fallback=self.fallback)

    def covers(self, year: int) -> DataSource | None:
        """Where holiday data for ``year`` comes from (``override`` or ``chinesecalendar``), or
        ``None`` when the year has none (the fallback, if any, would answer)."""
        if year in self.overrides.years:
            return "override"
        return "chinesecalendar" if self._upstream_covers(year) else None

    @property
    def fallback_years(self) -> frozenset[int]:
        """The years the fallback has answered so far."""
        return frozenset(self._fallback_years)

    def data_source(self, year: int) -> DataSource:
        if year in self.overrides.years:
            return "override"
        if self._upstream_covers(year):
            return "chinesecalendar"
        if self.fallback is not None:
            return "fallback"
        raise CalendarDataMissing(year, hint=self._hint(year))

    def is_workday(self, d: date) -> bool:
        source = self.data_source(_require_date(d, "d").year)
        if source == "override":
            return self.overrides.years[d.year].is_workday(d)
        if source == "chinesecalendar":  # a year it answers for (data_source checked)
            return bool(self._upstream_answer(d))
        return self._fallback_is_workday(d)

    def _upstream_covers(self, year: int) -> bool:
        if year not in self._covered:
            self._covered[year] = self._upstream_answer(date(year, 1, 1)) is not None
        return self._covered[year]

    def _upstream_answer(self, d: date) -> bool | None:
        """chinesecalendar's answer for ``d``; ``None`` when it is not installed or has no data
        for the year (:meth:`data_source` then says so to the caller)."""
        if self._upstream is None:
            return None
        try:
            return bool(self._upstream.is_workday(d))
        except NotImplementedError:  # chinesecalendar's "no data for this year"
            return None

    def _fallback_is_workday(self, d: date) -> bool:
        if self.fallback is None:
            raise CalendarDataMissing(d.year, hint=self._hint(d.year))
        if d.year not in self._fallback_years:
            self._fallback_years.add(d.year)
            _log.warning("working days of %d are counted Monday–Friday by the fallback", d.year)
        return self.fallback.is_workday(d)

    def _hint(self, year: int) -> str:
        install = "install chinesecalendar (an mdreg dependency) or " if self._upstream is None else ""
        return (
            f"{install}put a [years.{year}] table (holidays, workdays) in a TOML file and load "
            "it with ChineseCalendar.from_toml(path); see docs/calendar.md"
        )


class TableCalendar(WorkingDayCalendar):
    """A calendar from explicit tables only, for tests; years not covered raise.

    Args:
        holidays: rest days on weekdays (weekend dates are allowed and change nothing).
        workdays: make-up working days on weekends.
        years: years covered besides those of the listed dates.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        rest, work = frozenset(holidays), frozenset(workdays)
        covered = set(years) | {d.year for d in rest | work}
        table = {y: YearOverride(y, _in_year(rest, y), _in_year(work, y)) for y in covered}
        self.table = CalendarOverrides(table, source="TableCalendar")

    def data_source(self, year: int) -> DataSource:
        if year not in self.table.years:
            raise CalendarDataMissing(year, hint="TableCalendar covers only the years it was given")
        return "table"

    def is_workday(self, d: date) -> bool:
        self.data_source(_require_date(d, "d").year)
        return self.table.years[d.year].is_workday(d)


def _in_year(days: frozenset[date], year: int) -> frozenset[date]:
    return frozenset(d for d in days if d.year == year)


def net_days_off(calendar: WorkingDayCalendar, year: int) -> int:
    """Rest days on Monday–Friday minus working days on weekends, in ``year``.

    This is the year's statutory holiday count (11 for 2008–2024, 13 from 2025) unless a
    make-up day crosses the year boundary or a one-off holiday was declared: a quick check
    for a newly added override year.
    """
    first = date(year, 1, 1)
    days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
    return sum((d.weekday() < 5) - calendar.is_workday(d) for d in days)


@functools.cache
def default_calendar() -> ChineseCalendar:
    """The default :class:`ChineseCalendar`: ``chinesecalendar``'s data, and for a year without
    data the :class:`WeekendFallback`, so that a deadline reaching such a year is *provisional*
    (counted Monday–Friday, recomputed when the year's data is imported) instead of stopping the
    business; the policy parameter ``provisional_deadlines`` refuses them instead."""
    return ChineseCalendar(fallback=WeekendFallback())
