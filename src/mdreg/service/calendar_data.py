"""节假日数据 — importing a year's holiday schedule, provisional deadlines, calendar health.

The holiday data package ends with the last year the State Council has announced. A deadline
that reaches a later year is *provisional* (counted Monday–Friday, ``source == "fallback"``)
unless the policy refuses them. When the year's schedule is imported (``mdreg calendar import
FILE``, :meth:`mdreg.Registry.import_calendar`), it is stored in the registry's database and
every provisional deadline that now has data is counted again, once, in the same unit of work:
the new due date is saved, the change audited on the deadline's trail, and the applicant and the
department are sent a notice if the date moved. Other processes read the stored years when they
open the registry and at every :meth:`~mdreg.Registry.tick`, which recomputes what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from mdreg.domain.account import Channel, OutboxMessage
from mdreg.domain.application import Actor
from mdreg.domain.calendar import (
    CalendarOverrides,
    ChineseCalendar,
    ImportedYear,
    WorkingDayCalendar,
)
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import Deadline, recomputed
from mdreg.ports import UnitOfWork
from mdreg.service.services import Services, append_audit, read, transact

#: How long before the holiday data runs out :func:`health` starts warning.
WARN_DAYS = 60
#: The aggregate imported years are audited on.
CALENDAR = "calendar"


@attrs.frozen
class Recomputed:
    """A provisional deadline counted again once its years had data."""

    before: Deadline
    after: Deadline

    @property
    def moved(self) -> bool:
        return self.before.due != self.after.due


@attrs.frozen
class CalendarImport:
    """What :meth:`mdreg.Registry.import_calendar` did."""

    years: tuple[int, ...]
    recomputed: tuple[Recomputed, ...]


@attrs.frozen
class YearStatus:
    """Where one year's holiday data comes from: ``override`` (imported or configured),
    ``chinesecalendar``, or ``None`` (none: deadlines reaching it are provisional)."""

    year: int
    source: str | None
    imported_at: datetime | None = None
    notice: str = ""


@attrs.frozen
class Health:
    """What needs a deployer's attention: ``warnings`` in plain words, the calendar's coverage,
    and how many open deadlines are provisional."""

    as_of: date
    warnings: tuple[str, ...]
    calendar: tuple[YearStatus, ...]
    provisional_deadlines: int

    @property
    def ok(self) -> bool:
        return not self.warnings


def with_stored_years(calendar: WorkingDayCalendar, years: Iterable[ImportedYear]
                      ) -> WorkingDayCalendar:
    """``calendar`` with the imported ``years`` added (a calendar of another kind unchanged)."""
    stored = [y.schedule for y in years]
    if not stored or not isinstance(calendar, ChineseCalendar):
        return calendar
    return calendar.with_years(stored, "imported")


def refreshed(services: Services) -> Services:
    """``services`` whose calendar includes every year stored in the database."""
    years = read(services, lambda uow: uow.calendar_years.all())
    calendar = with_stored_years(services.calendar, years)
    return services if calendar is services.calendar else attrs.evolve(services, calendar=calendar)


def import_calendar(services: Services, overrides: CalendarOverrides, actor: Actor
                    ) -> tuple[CalendarImport, Services]:
    """Store the years of ``overrides`` (validated when it was built) and recompute every
    provisional deadline that now has data, in one unit of work; returns what was done and the
    services with the new calendar."""
    now = services.now()
    imported = [ImportedYear(schedule, overrides.source or "import", now)
                for _, schedule in sorted(overrides.years.items())]

    def run(uow: UnitOfWork) -> tuple[CalendarImport, WorkingDayCalendar]:
        for year in imported:
            uow.calendar_years.put(year)
            append_audit(uow, CALENDAR, "import_calendar_year", "", str(year.year), actor, now,
                         reason=year.schedule.notice, data={
                             "year": [str(year.year)], "source": [year.source],
                             "holidays": [str(len(year.schedule.holidays))],
                             "workdays": [str(len(year.schedule.workdays))]})
        calendar = with_stored_years(services.calendar, uow.calendar_years.all())
        done = recompute_provisional(services, uow, calendar, now)
        return CalendarImport(tuple(y.year for y in imported), done), calendar

    result, calendar = transact(services, run)
    return result, attrs.evolve(services, calendar=calendar)


def recompute_provisional(services: Services, uow: UnitOfWork, calendar: WorkingDayCalendar,
                          now: datetime) -> tuple[Recomputed, ...]:
    """Count every open provisional deadline again on ``calendar``; those whose years all have
    data now are saved (audited; a notice to the applicant and the department if the date
    moved). A provisional deadline's last day lies in a year without data, so only deadlines
    due from this year on are read, and only provisional ones (not every open deadline)."""
    today = business_date(now)
    done: list[Recomputed] = []
    for deadline in uow.deadlines.provisional(date(today.year, 1, 1)):
        new = recomputed(deadline, calendar)
        if new is None:
            continue
        uow.deadlines.save(new, deadline.version)
        change = Recomputed(deadline, new)
        append_audit(uow, deadline.id, "recompute_deadline", deadline.source, new.source,
                     Actor.system(), now, reason="节假日数据已导入，期限重新计算",
                     data={"subject": [deadline.subject_id], "kind": [deadline.kind.value],
                           "due_before": [deadline.due.isoformat()],
                           "due_after": [new.due.isoformat()]})
        if change.moved:
            _notify(services, uow, change, now)
        done.append(change)
    return tuple(done)


def _notify(services: Services, uow: UnitOfWork, change: Recomputed, now: datetime) -> None:
    """Tell the applicant and the deciding department that a due date moved."""
    deadline = change.after
    body = (f"{deadline.kind.label}的截止日期由{change.before.due.isoformat()}调整为"
            f"{deadline.due.isoformat()}（节假日安排已公布，按法定工作日重新计算）")
    app = uow.applications.get(deadline.subject_id)
    registration = uow.registrations.get(deadline.subject_id) if app is None else None
    parties: list[str] = []
    if app is not None:
        parties = [str(app.applicant), str(Actor.authority(app.department_id))]
    elif registration is not None:
        parties = [str(Actor.physician(registration.physician_id)),
                   str(Actor.authority(registration.approved_by))]
    for party in parties:
        uow.outbox.add(OutboxMessage(services.ids.new("M"), Channel.NOTICE, party,
                                     "deadline_moved", body, deadline.subject_id, now))


def calendar_status(services: Services, as_of: date | None = None, *, before: int = 1,
                    after: int = 2) -> tuple[YearStatus, ...]:
    """Where the holiday data of each year from ``before`` years before ``as_of`` to ``after``
    years after it comes from."""
    day = as_of or business_date(services.now())
    stored = {y.year: y for y in read(services, lambda uow: uow.calendar_years.all())}
    calendar = with_stored_years(services.calendar, stored.values())
    found = []
    for year in range(day.year - before, day.year + after + 1):
        source = calendar.covers(year) if isinstance(calendar, ChineseCalendar) else \
            calendar.data_source(year)
        imported = stored.get(year)
        found.append(YearStatus(year, source, imported.imported_at if imported else None,
                                imported.schedule.notice if imported else ""))
    return tuple(found)


def data_ends(statuses: Iterable[YearStatus], as_of: date) -> date | None:
    """The last day with holiday data in the run of covered years from ``as_of``'s year
    (``None``: not even that year is covered)."""
    covered = {s.year for s in statuses if s.source is not None}
    year = as_of.year
    if year not in covered:
        return None
    while year + 1 in covered:
        year += 1
    return date(year, 12, 31)


def health(services: Services, as_of: date | None = None) -> Health:
    """Warnings a deployer acts on: holiday data that runs out within :data:`WARN_DAYS` days
    (or has run out), and open provisional deadlines."""
    day = as_of or business_date(services.now())
    statuses = calendar_status(services, day)
    warnings = []
    ends = data_ends(statuses, day)
    if ends is None:
        warnings.append(f"no holiday data for {day.year}: working-day deadlines are "
                        "provisional; import the year's schedule (mdreg calendar import)")
    elif ends - day <= timedelta(days=WARN_DAYS):
        warnings.append(f"holiday data ends on {ends.isoformat()} ({(ends - day).days} days): "
                        f"import the {ends.year + 1} schedule when the State Council publishes "
                        "it (mdreg calendar import)")
    provisional = read(services, lambda uow: sum(
        d.provisional for d in uow.deadlines.due_between(date(day.year, 1, 1), date.max)))
    if provisional:
        warnings.append(f"{provisional} open deadline(s) are provisional (counted Monday–Friday "
                        "through a year without holiday data)")
    return Health(day, tuple(warnings), statuses, provisional)
