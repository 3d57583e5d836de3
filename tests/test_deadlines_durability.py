"""R-08, durable timers: deadlines are rows, so a scheduler that dies loses nothing and repeats
nothing.

Scenario (RELIABILITY C.1 R-08): schedule N correction windows (补正期限, 5 working days) —
N = 250 in CI, 1,000 with ``MDREG_STRESS=1`` (R-08's figure); a scheduler claims the passed ones and fires them (deemed acceptance) but is
``SIGKILL``ed before it commits; the clock moves on and the scheduler restarts — 4 worker
processes at once on PostgreSQL (``spawn`` + a barrier, ``FOR UPDATE SKIP LOCKED``), one worker on
SQLite, plus a race of threads. Every deadline must fire exactly once: 0 missed, 0 duplicated.

``MDREG_TIMERS`` sets N; PostgreSQL tests need ``MDREG_TEST_POSTGRES_URL`` and are skipped,
visibly, without it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import mdreg
from mdreg import Actor, Application, BusinessType, RegistrationRequest
from mdreg.adapters.sql import SqlStore, migrate
from mdreg.adapters.sql.tables import METADATA
from mdreg.domain.clock import SHANGHAI, FakeClock, business_date
from mdreg.domain.deadlines import DeadlineKind, DeadlineStatus, new_deadline
from mdreg.service.registry import Registry
from mdreg.service.tick import tick_batch
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.race import ticks_in_threads

STRESS = os.environ.get("MDREG_STRESS") == "1"
N = int(os.environ.get("MDREG_TIMERS", "1000" if STRESS else "250"))
PROCESSES = 4
RECEIVED = [date(2026, 3, 2) + timedelta(days=d) for d in range(5)]  # Mon–Fri: due 03-09…03-13
FIRST_RUN = datetime(2026, 3, 11, 9, tzinfo=SHANGHAI)  # the windows received 03-02, 03-03 passed
RESTART = datetime(2026, 3, 20, 9, tzinfo=SHANGHAI)  # the clock advanced: all passed
PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")


def _open(url: str, at: datetime) -> Registry:
    return mdreg.open(url, clock=FakeClock(at.astimezone(UTC)), migrate=False)


def schedule(url: str, n: int) -> list[str]:
    """N applications waiting for acceptance, each with an open correction window (written
    straight through the repositories: one unit of work, not 2N commands)."""
    registry = _open(url, datetime.combine(RECEIVED[0], datetime.min.time(), SHANGHAI))
    ids: list[str] = []
    with registry.services.uow() as uow:
        for i in range(n):
            received = datetime.combine(RECEIVED[i % len(RECEIVED)], datetime.min.time(),
                                        SHANGHAI).replace(hour=10).astimezone(UTC)
            app = Application(
                id=f"A{i:05d}", type=BusinessType.REGISTRATION, physician_id=f"P{i:05d}",
                applicant=Actor.physician(f"P{i:05d}"),
                payload=RegistrationRequest("I1", f"Q{i:05d}", ("内科专业",)),
                institution_id="I1", department_id="D110105", target="110000",
                state="pending_acceptance", version=1, created_at=received,
                updated_at=received, application_date=business_date(received),
                submitted_at=received)
            uow.applications.add(app)
            uow.deadlines.add(new_deadline(
                f"{app.id}:correction_window:1", DeadlineKind.CORRECTION_WINDOW, app.id,
                app.physician_id, business_date(received), received, registry.calendar,
                registry.policy.parameters))
            ids.append(app.id)
        uow.commit()
    return ids


# -- processes (started with spawn: they import this module, not the test session) -----------------


def doomed_scheduler(url: str, claimed: Any, limit: int) -> None:
    """Claim and fire passed deadlines, report, then hang before committing until killed."""
    registry = _open(url, FIRST_RUN)
    uow = registry.services.uow()
    with uow:
        report = tick_batch(registry.services, uow, FIRST_RUN.astimezone(UTC), limit)
        backend = 0
        if url.startswith("postgresql"):
            backend = uow.driver_sql("SELECT pg_backend_pid()")[0][0]
        claimed.put((backend, [d.id for d in report.fired]))
        threading.Event().wait(120)  # never commits: the parent kills us here


def tick_worker(url: str, barrier: Any, results: Any, batch: int) -> None:
    """One restarted scheduler: wait for the others, then tick until nothing is left."""
    registry = _open(url, RESTART)
    try:
        barrier.wait(60)
        report = registry.tick(batch=batch)
        results.put(("ok", [d.id for d in report.fired]))
    except Exception as error:  # every failure is reported to the parent
        results.put((type(error).__name__, [str(error)]))


# -- the checks ------------------------------------------------------------------------------


def kill_scheduler_mid_run(url: str) -> int:
    """Start a scheduler, let it claim and fire without committing, SIGKILL it; return how many
    it had fired (and lost)."""
    context = multiprocessing.get_context("spawn")
    claimed = context.Queue()
    worker = context.Process(target=doomed_scheduler, args=(url, claimed, N // 4), daemon=True)
    worker.start()
    backend, fired = claimed.get(timeout=120)
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(30)
    assert worker.exitcode == -signal.SIGKILL
    if backend:
        _wait_until_gone(url, backend)
    return len(fired)


def _wait_until_gone(url: str, backend: int) -> None:
    """PostgreSQL rolls a dead client's transaction back (releasing its row locks) when it
    notices the closed socket; wait for that, so the restart does not skip locked rows."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        for _ in range(200):
            with engine.connect() as conn:
                alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                     {"p": backend}).scalar()
            if not alive:
                return
            time.sleep(0.05)  # waiting for the server, not for the code under test
        raise AssertionError(f"backend {backend} of the killed scheduler is still alive")
    finally:
        engine.dispose()


def assert_nothing_fired(registry: Registry, apps: list[str]) -> None:
    assert registry.audit_count() == 0
    windows = registry.overdue(business_date(RESTART.astimezone(UTC)))
    assert len(windows) == len(apps)
    assert {d.kind for d in windows} == {DeadlineKind.CORRECTION_WINDOW}


def assert_fired_exactly_once(registry: Registry, apps: list[str],
                              fired: list[str]) -> None:
    duplicated = [key for key, count in Counter(fired).items() if count > 1]
    missed = {f"{a}:correction_window:1" for a in apps} - set(fired)
    assert (len(missed), len(duplicated)) == (0, 0), (sorted(missed)[:5], duplicated[:5])
    assert len(fired) == len(apps)
    assert registry.audit_count() == len(apps)  # one deemed acceptance each, nothing else
    dept = Actor.authority("D110105")
    assert sorted(a.id for a in registry.inbox(dept)) == sorted(apps)  # all under review now
    assert all(a.state == "under_review" and a.version == 2 for a in registry.inbox(dept))
    decisions = registry.due_between(date(2026, 3, 1), date(2026, 12, 31))
    assert len(decisions) == len(apps)
    assert {d.kind for d in decisions} == {DeadlineKind.DECISION}
    for app_id in apps[:: max(1, len(apps) // 20)]:
        (event,) = registry.history(app_id)
        assert (event.event, event.actor) == ("accept", Actor.system())
        window, decision = registry.deadlines(app_id)
        assert (window.status, window.closed_by) == (DeadlineStatus.FIRED, "tick")
        assert decision.start == window.start  # counted from the receipt date
    assert registry.tick().handled == ()


def restart_in_processes(url: str, processes: int, batch: int) -> list[str]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [context.Process(target=tick_worker, args=(url, barrier, results, batch),
                               daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes: list[tuple[str, list[str]]] = []
    for _ in workers:
        try:
            outcomes.append(results.get(timeout=180))
        except queue.Empty:
            outcomes.append(("worker_lost", []))
    for worker in workers:
        worker.join(30)
    assert [kind for kind, _ in outcomes] == ["ok"] * processes, outcomes
    assert sum(bool(ids) for _, ids in outcomes) >= 1
    return [deadline for _, ids in outcomes for deadline in ids]


def restart_in_threads(url: str, threads: int, batch: int) -> list[str]:
    reports = ticks_in_threads([_open(url, RESTART) for _ in range(threads)], batch)
    return [d.id for report in reports for d in report.fired]


# -- SQLite: one scheduler process, and a race of threads ---------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'timers.db'}"
    migrate.upgrade(url)
    return url


def test_r_08_sqlite_a_killed_scheduler_loses_nothing_and_a_restart_fires_each_once(
        sqlite_url: str) -> None:
    apps = schedule(sqlite_url, N)
    registry = _open(sqlite_url, RESTART)
    assert kill_scheduler_mid_run(sqlite_url) > 0
    assert_nothing_fired(registry, apps)
    fired = [d.id for d in registry.tick(batch=50).fired]  # SQLite: a single worker
    assert_fired_exactly_once(registry, apps, fired)


def test_r_08_sqlite_racing_threads_fire_each_deadline_once(sqlite_url: str) -> None:
    apps = schedule(sqlite_url, N // 4)
    fired = restart_in_threads(sqlite_url, PROCESSES, batch=10)
    assert_fired_exactly_once(_open(sqlite_url, RESTART), apps, fired)


# -- PostgreSQL: 4 processes with FOR UPDATE SKIP LOCKED ---------------------------------------


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("R-08 on PostgreSQL needs MDREG_TEST_POSTGRES_URL, e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with scratch_postgres(PG_URL, "mdreg_timers") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def pg_url(pg_database: str) -> str:
    store = SqlStore.connect(pg_database)
    tables = ", ".join(table.name for table in METADATA.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
    store.close()
    return pg_database


@pytest.mark.postgres
def test_r_08_postgres_killed_scheduler_then_four_processes_fire_each_deadline_once(
        pg_url: str) -> None:
    apps = schedule(pg_url, N)
    registry = _open(pg_url, RESTART)
    assert kill_scheduler_mid_run(pg_url) > 0
    assert_nothing_fired(registry, apps)
    fired = restart_in_processes(pg_url, PROCESSES, batch=25)
    assert_fired_exactly_once(registry, apps, fired)


@pytest.mark.postgres
def test_r_08_postgres_racing_threads_fire_each_deadline_once(pg_url: str) -> None:
    apps = schedule(pg_url, N // 4)
    fired = restart_in_threads(pg_url, PROCESSES, batch=10)
    assert_fired_exactly_once(_open(pg_url, RESTART), apps, fired)


# -- the statements use the open-deadline index ----------------------------------------------------


def plan(store: SqlStore, name: str) -> str:
    """The query plan of a deadline statement, sequential scans discouraged on PostgreSQL."""
    statement = getattr(store.unit_of_work().deadlines._sql, name)  # type: ignore[attr-defined]
    exclude = ["A9:decision:1"]
    params = {"as_of": date(2026, 3, 20), "limit": 10, "start": date(2026, 3, 1),
              "end": date(2026, 3, 31), "subject_id": "A1", "kind": "decision",
              "exclude": json.dumps(exclude) if store.dialect == "sqlite" else exclude}
    compiled = store.plans.read(statement)  # as a unit of work runs it
    values = compiled.parameters({k: v for k, v in params.items() if k in compiled.sql
                                  or (compiled.order and k in compiled.order)})
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.sql, tuple(values)).all()
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + compiled.sql, values).all()
        conn.rollback()
    return "\n".join(str(row[-1]) for row in rows)


INDEXED = {"claim": "ix_deadlines_unflagged_due", "overdue": "ix_deadlines_open_due",
           "due_between": "ix_deadlines_open_due", "provisional": "ix_deadlines_provisional_due",
           "of_subject": "ix_deadlines_subject",
           "count_of_kind": "ix_deadlines_subject", "open_of_subject": ""}


@pytest.mark.parametrize("name", sorted(INDEXED))
def test_sqlite_deadline_queries_search_an_index(sqlite_url: str, name: str) -> None:
    store = SqlStore.connect(sqlite_url)
    found = plan(store, name)
    store.close()
    scans = [line for line in found.splitlines() if line.startswith("SCAN")]
    # only the excluded ids (the JSON array parameter) are scanned, never a table
    assert "SEARCH" in found and all(line.startswith("SCAN json_each") for line in scans), found
    assert INDEXED[name] in found, found


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(INDEXED))
def test_postgres_deadline_queries_use_an_index(pg_url: str, name: str) -> None:
    store = SqlStore.connect(pg_url)
    found = plan(store, name)
    compiled = str(getattr(store.unit_of_work().deadlines._sql, name)  # type: ignore[attr-defined]
                   .compile(dialect=store.engine.dialect))
    store.close()
    assert "Seq Scan" not in found and "Index" in found, found
    assert INDEXED[name] in found, found
    assert ("FOR UPDATE SKIP LOCKED" in compiled) is (name == "claim")
