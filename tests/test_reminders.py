"""催办 and 督办: a decision's department is reminded before its last day and the superior
department told after it — each exactly once, with several workers ticking at once."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest

import mdreg
from mdreg import Actor
from mdreg.adapters.sql import migrate
from mdreg.domain.account import Channel
from mdreg.domain.clock import SHANGHAI, FakeClock
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import HealthDepartment
from mdreg.service.deadlines import TickReport
from mdreg.service.reminders import superior_department
from mdreg.testing.contract_deadlines import deadline
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.entities import application
from mdreg.testing.race import ticks_in_threads

NOW = datetime(2026, 3, 16, 9, tzinfo=SHANGHAI)  # a Monday: reminders reach Thursday 03-19
DUES = [date(2026, 3, 10), date(2026, 3, 13), date(2026, 3, 16), date(2026, 3, 18),
        date(2026, 3, 19), date(2026, 3, 20), date(2026, 4, 1)]
REMINDED = {date(2026, 3, 16), date(2026, 3, 18), date(2026, 3, 19)}
OVERDUE = {date(2026, 3, 10), date(2026, 3, 13)}
N = 70


def seed(registry: mdreg.Registry) -> dict[str, date]:
    """N applications under review at 朝阳 (D110105), decision deadlines spread over DUES."""
    registry.load(departments=[
        HealthDepartment("D110105", "朝阳区卫生健康委员会", DivisionCode("110105")),
        HealthDepartment("D110100", "北京市卫生健康委员会", DivisionCode("110100"))])
    dues = {}
    with registry.services.uow() as uow:
        for n in range(1, N + 1):
            due = DUES[n % len(DUES)]
            uow.applications.add(attrs.evolve(application(
                n, f"P{n}", state="under_review", department_id="D110105"),
                assignee="张科员" if n % 2 else ""))
            uow.deadlines.add(deadline(n, due=due))
            dues[f"A{n}"] = due
        uow.commit()
    return dues


def race(registries: list[mdreg.Registry]) -> TickReport:
    reports = ticks_in_threads(registries, batch=5, timeout=120)
    total = TickReport(reports[0].as_of)
    for report in reports:
        total = total.merge(report)
    return total


def check_exactly_once(registry: mdreg.Registry, dues: dict[str, date],
                       report: TickReport) -> None:
    reminded = Counter(d.subject_id for d in report.reminded)
    escalated = Counter(d.subject_id for d in report.escalated)
    assert set(reminded.values()) == {1} and set(escalated.values()) == {1}
    assert set(reminded) == {a for a, due in dues.items() if due in REMINDED}
    assert set(escalated) == {a for a, due in dues.items() if due in OVERDUE}
    notices: Counter[tuple[str, str]] = Counter()
    for _, event in registry.audit_since(0, 10_000):
        notices[(event.aggregate_id, event.event)] += 1
    assert notices == Counter({**{(a, "remind"): 1 for a in reminded},
                               **{(a, "escalate"): 1 for a in escalated}})
    again = registry.tick()
    assert again.reminded == () and again.escalated == ()


def registries(url: str, n: int) -> list[mdreg.Registry]:
    return [mdreg.open(url, clock=FakeClock(NOW.astimezone(UTC)), migrate=False)
            for _ in range(n)]


def test_a_near_last_day_reminds_and_a_passed_one_escalates(registry: mdreg.Registry) -> None:
    dues = seed(registry)
    registry.services = attrs.evolve(registry.services, clock=FakeClock(NOW.astimezone(UTC)))
    report = registry.tick()
    check_exactly_once(registry, dues, report)
    with registry.services.uow() as uow:
        messages = uow.outbox.pending(1000)
    to = Counter((m.channel, m.to, m.template) for m in messages)
    claimed = sum(1 for a, due in dues.items() if due in REMINDED and int(a[1:]) % 2)
    assert to[(Channel.NOTICE, str(Actor.authority("D110105", user="张科员")),
               "deadline_remind")] == claimed
    assert to[(Channel.NOTICE, str(Actor.authority("D110100")), "deadline_escalate")] == sum(
        1 for due in dues.values() if due in OVERDUE)
    escalation = next(m for m in messages if m.template == "deadline_escalate")
    assert "督办" in escalation.body and "D110105" in escalation.body


def test_no_reminders_when_the_policy_says_zero(registry: mdreg.Registry) -> None:
    seed(registry)
    registry.services = attrs.evolve(
        registry.services, clock=FakeClock(NOW.astimezone(UTC)),
        policy=registry.policy.with_changes("base", reminder_working_days=0))
    assert registry.tick().reminded == ()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reminders.db'}"
    migrate.upgrade(url)
    return url


def test_racing_workers_remind_and_escalate_once_on_sqlite(sqlite_url: str) -> None:
    workers = registries(sqlite_url, 4)
    dues = seed(workers[0])
    check_exactly_once(workers[0], dues, race(workers))


PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with scratch_postgres(PG_URL, "mdreg_remind") as url:
        migrate.upgrade(url)
        yield url


@pytest.mark.postgres
def test_racing_workers_remind_and_escalate_once_on_postgres(pg_url: str) -> None:
    workers = registries(pg_url, 4)
    dues = seed(workers[0])
    check_exactly_once(workers[0], dues, race(workers))


def test_the_superior_department_is_the_nearest_above(registry: mdreg.Registry) -> None:
    registry.load(departments=[
        HealthDepartment("D440103", "荔湾区卫生健康局", DivisionCode("440103")),
        HealthDepartment("D440000", "广东省卫生健康委员会", DivisionCode("440000")),
        HealthDepartment("D440100", "广州市卫生健康委员会", DivisionCode("440100"))])
    with registry.services.uow() as uow:
        found = [superior_department(uow, d) for d in ("D440103", "D440100", "D440000", "D9")]
    assert [d.id if d else None for d in found] == ["D440100", "D440000", None, None]
