"""Across the year boundary: provisional deadlines, an imported year, recomputed exactly once.

chinesecalendar's data ends with 2026. An application accepted on Tuesday 2026-12-15 has 20
working days to its decision: 12 in 2026 (16–18, 21–25, 28–31 December), then 8 in 2027. Without
2027 data they are counted Monday–Friday (1, 4–8, 11, 12 January): due 2027-01-12, provisional.
The test schedule below (not the State Council's: a made-up one, marked so) makes 1 January a
holiday, so the recomputed due date is 2027-01-13.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

import mdreg
from mdreg import Actor, RegistrationRequest
from mdreg.domain.account import Channel
from mdreg.domain.calendar import CalendarOverrides
from mdreg.domain.clock import SHANGHAI, FakeClock
from mdreg.domain.deadlines import DeadlineKind
from mdreg.errors import CalendarDataMissing, ValidationError
from mdreg.testing import World
from mdreg.testing.databases import scratch_postgres
from mdreg.workflows import BASE_POLICY

SCHEDULE_2027 = CalendarOverrides.loads(
    '[years.2027]\nnotice = "测试用安排（非国务院通知）"\nholidays = ["2027-01-01"]\n',
    source="test-2027.toml")
PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")


def nine_am(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'year.db'}"
    else:
        if not PG_URL:
            pytest.skip("needs MDREG_TEST_POSTGRES_URL")
        with scratch_postgres(PG_URL, "mdreg_year") as scratch:
            yield scratch


class Office:
    """A hospital and its department on one registry, the clock in December 2026."""

    def __init__(self, url: str, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock(nine_am(date(2026, 12, 14)))
        self.registry = mdreg.open(url, clock=self.clock, ids=mdreg.SequentialIds())
        self.world = World(self.registry)
        self.hospital = self.world.institution("110105")
        self.dept = Actor.authority(self.hospital.approved_by)

    def accepted(self, received: date, accepted: date) -> mdreg.Application:
        doctor = self.world.physician()
        self.clock.set(nine_am(received))
        app = self.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            self.hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        self.registry.fire(app.id, "confirm", Actor.institution(self.hospital.id))
        self.clock.set(nine_am(accepted))
        return self.registry.fire(app.id, "accept", self.dept)

    def decision(self, app_id: str) -> mdreg.Deadline:
        (found,) = [d for d in self.registry.deadlines(app_id)
                    if d.kind is DeadlineKind.DECISION]
        return found


def test_a_deadline_into_a_year_without_data_is_provisional(url: str) -> None:
    office = Office(url)
    app = office.accepted(date(2026, 12, 14), date(2026, 12, 15))
    assert app.state == "under_review"  # the business goes on
    decision = office.decision(app.id)
    assert (decision.due, decision.source, decision.provisional) == (date(2027, 1, 12),
                                                                     "fallback", True)


def test_the_imported_year_recomputes_each_provisional_deadline_exactly_once(url: str) -> None:
    office = Office(url)
    app = office.accepted(date(2026, 12, 14), date(2026, 12, 15))
    before = office.decision(app.id)
    done = office.registry.import_calendar(SCHEDULE_2027)
    assert done.years == (2027,)
    ((change),) = done.recomputed
    assert (change.before.due, change.after.due) == (date(2027, 1, 12), date(2027, 1, 13))
    after = office.decision(app.id)
    assert (after.due, after.source, after.provisional, after.version) == (
        date(2027, 1, 13), "override", False, 2)
    assert before.version == 1
    (audit,) = office.registry.trail(before.id)
    assert (audit.event, audit.data["due_before"], audit.data["due_after"]) == (
        "recompute_deadline", ["2027-01-12"], ["2027-01-13"])
    notices = [m for m in office.registry.accounts.pending_messages()
               if m.template == "deadline_moved"]
    assert {(m.channel, m.to) for m in notices} == {
        (Channel.NOTICE, str(app.applicant)), (Channel.NOTICE, str(office.dept))}
    assert office.registry.import_calendar(SCHEDULE_2027).recomputed == ()  # once only
    assert office.registry.tick(nine_am(date(2026, 12, 16))).recomputed == ()
    assert len(office.registry.trail(before.id)) == 1
    later = office.accepted(date(2026, 12, 16), date(2026, 12, 17))
    assert office.decision(later.id).provisional is False  # counted on the imported year


def test_an_unmoved_date_is_recomputed_without_a_notice(url: str) -> None:
    office = Office(url)
    app = office.accepted(date(2026, 12, 14), date(2026, 12, 15))
    plain = CalendarOverrides.loads('[years.2027]\nholidays = ["2027-02-01"]\n', "test.toml")
    ((change),) = office.registry.import_calendar(plain).recomputed
    assert change.before.due == change.after.due == office.decision(app.id).due
    assert not [m for m in office.registry.accounts.pending_messages()
                if m.template == "deadline_moved"]


def test_other_processes_read_the_imported_year_and_tick_recomputes_theirs(url: str) -> None:
    if url == "memory://":
        pytest.skip("one process: nothing to share")
    office = Office(url)
    other = mdreg.open(url, clock=office.clock, ids=mdreg.SequentialIds(worker=2),
                       migrate=False)
    other.import_calendar(SCHEDULE_2027)
    stale = office.accepted(date(2026, 12, 14), date(2026, 12, 15))  # old calendar: provisional
    assert office.decision(stale.id).provisional
    report = office.registry.tick(nine_am(date(2026, 12, 16)))
    assert [d.subject_id for d in report.recomputed] == [stale.id]
    assert office.decision(stale.id).due == date(2027, 1, 13)
    reopened = mdreg.open(url, clock=office.clock, migrate=False)
    assert {s.year: s.source for s in reopened.calendar_status(date(2026, 12, 16))}[2027] == \
        "override"


def test_a_policy_may_refuse_provisional_deadlines(url: str) -> None:
    office = Office(url)
    office.registry.policy = BASE_POLICY.with_changes("strict", provisional_deadlines=False)
    with pytest.raises(CalendarDataMissing) as refused:
        office.accepted(date(2026, 12, 14), date(2026, 12, 15))
    assert refused.value.year == 2027 and "calendar import" in str(refused.value)


def test_health_warns_from_sixty_days_before_the_data_runs_out() -> None:
    office = Office("memory://")
    assert office.registry.health(date(2026, 10, 31)).ok
    warned = office.registry.health(date(2026, 11, 1))  # 60 days to 2026-12-31
    assert not warned.ok and "2026-12-31 (60 days)" in warned.warnings[0]
    office.accepted(date(2026, 12, 14), date(2026, 12, 15))
    late = office.registry.health(date(2026, 12, 20))
    assert late.provisional_deadlines == 1 and "1 open deadline(s)" in late.warnings[-1]
    office.registry.import_calendar(SCHEDULE_2027)
    assert office.registry.health(date(2026, 12, 20)).ok
    assert [(s.year, s.source) for s in office.registry.calendar_status(date(2026, 12, 20))] == [
        (2025, "chinesecalendar"), (2026, "chinesecalendar"), (2027, "override"), (2028, None)]


@pytest.mark.parametrize(("text", "problem"), [
    ('[years.2027]\nworkdays = ["2027-01-04"]\n', "list make-up days on weekends only"),
    ('[years.2027]\nholidays = ["2028-01-01"]\n', "is not in 2027"),
    ('[years.2027]\nholidays = ["2027-01-02"]\nworkdays = ["2027-01-02"]\n', "both"),
], ids=["weekday_workday", "other_year", "both"])
def test_a_malformed_schedule_is_refused_before_anything_is_stored(
        text: str, problem: str, tmp_path: Path) -> None:
    office = Office("memory://")
    schedule = tmp_path / "2027.toml"
    schedule.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=problem) as refused:
        office.registry.import_calendar(schedule)
    assert str(schedule) in str(refused.value)
    assert office.registry.calendar_status(date(2026, 12, 1))[2].source is None
