"""X-02: a command reads the application and the rows its rules read from one moment.

Two approvals of one physician that pass alone and conflict together (the scenarios of
:mod:`mdreg.testing.race_rules`): while the first reads, right between its read of the
application and its read of the rule inputs, the second is approved from another registry (its
own connections). Either the second waits for the first (the first holds the physician), or the
first must end in a conflict; it must never be refused by a rule computed on an application of
one moment and rule inputs of another. The same for a ``check`` (reads only).

Beyond decisions: every read of a unit, until it writes, sees the moment of its first read —
another connection's commit in between shows in none of them, on any table — and a unit that
reads and then writes sees the latest commit from its first write on, a stale save still ending
in a :class:`~mdreg.errors.ConcurrencyConflict`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

import mdreg
from mdreg.adapters.sql import migrate
from mdreg.adapters.sql.driver import traced
from mdreg.adapters.sql.store import SqlStore
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork
from mdreg.domain.application import Actor
from mdreg.domain.clock import FakeClock
from mdreg.errors import ConcurrencyConflict, IneligibleError, MdregError
from mdreg.ports import RuleInputs, SnapshotNeeded
from mdreg.testing.builders import World
from mdreg.testing.contract import UnitOfWorkContract
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.entities import application, audit_event, commit_after, physician
from mdreg.testing.race_rules import SCENARIOS, T0
from mdreg.testing.stateful import truncate

POSTGRES_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
#: the scenarios whose two sides are both approvals
APPROVALS = [name for name in SCENARIOS if name != "filing_under_revoked"]
#: how long the second approval may take while the first is between its reads
MEANWHILE = 0.5


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    if POSTGRES_URL:
        with scratch_postgres(POSTGRES_URL, "mdreg_snapshot") as url:
            migrate.upgrade(url)
            yield url
    else:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mdreg.db'}"
    found: str = request.getfixturevalue("postgres")
    truncate(found)
    return found


def between_the_reads(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None],
                      threads: list[threading.Thread]) -> list[bool]:
    """Run ``meanwhile`` (in another thread, added to ``threads``, for up to :data:`MEANWHILE`
    seconds) when a unit first reads the rule inputs; the list returned tells whether it
    finished in that time."""
    finished: list[bool] = []
    read = SqlUnitOfWork.rule_inputs

    def rule_inputs(uow: SqlUnitOfWork, *args: Any) -> RuleInputs:
        if not threads:  # the first unit to read rule inputs (not the one run meanwhile)
            done = threading.Event()

            def run() -> None:
                try:
                    meanwhile()
                finally:
                    done.set()

            threads.append(threading.Thread(target=run, daemon=True))
            threads[0].start()
            finished.append(done.wait(MEANWHILE))
        return read(uow, *args)

    monkeypatch.setattr(SqlUnitOfWork, "rule_inputs", rule_inputs)
    return finished


def prepared(url: str, scenario: str) -> tuple[Any, Any, mdreg.Registry, mdreg.Registry]:
    world = World(mdreg.open(url, clock=FakeClock(T0)))
    first, second = SCENARIOS[scenario].prepare(world)
    world.registry.release()
    later = FakeClock(T0 + timedelta(hours=1))
    return (first, second, mdreg.open(url, clock=later, migrate=False),
            mdreg.open(url, clock=later, migrate=False))


def approve(registry: mdreg.Registry, side: Any) -> Callable[[], None]:
    _, application_id, department = side
    return lambda: _quietly(lambda: registry.fire(application_id, "approve",
                                                  Actor.authority(department)))


def _quietly(action: Callable[[], object]) -> None:
    with contextlib.suppress(MdregError):  # the second approval's own outcome is not checked
        action()


@pytest.mark.parametrize("scenario", APPROVALS)
def test_an_approval_is_not_refused_on_rows_of_two_moments(
        url: str, scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, a, b = prepared(url, scenario)
    threads: list[threading.Thread] = []
    finished = between_the_reads(monkeypatch, approve(b, second), threads)
    try:
        a.fire(first[1], "approve", Actor.authority(first[2]))
    except IneligibleError as refused:
        assert not finished[0], (
            f"refused by {[v.rule_id for v in refused.violations]} on an application read "
            "before, and rule inputs read after, another approval committed")
    finally:
        for thread in threads:
            thread.join()
        a.release()
        b.release()


@pytest.mark.parametrize("scenario", APPROVALS)
def test_a_check_reads_one_moment(url: str, scenario: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, a, b = prepared(url, scenario)
    threads: list[threading.Thread] = []
    finished = between_the_reads(monkeypatch, approve(b, second), threads)
    try:
        verdict = a.check(first[1], "approve")
        assert verdict.passed or not finished[0], (
            "a check refused on rule inputs newer than the application it read")
    finally:
        for thread in threads:
            thread.join()
        a.release()
        b.release()


# -- one snapshot per unit, decisions or not ------------------------------------------------------


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    if url.startswith("sqlite"):
        migrate.upgrade(url)
    found = SqlStore.connect(url)
    UnitOfWorkContract.seed(found.unit_of_work, physician(1), application(1))
    yield found
    found.close()


def returned_elsewhere(store: SqlStore) -> None:
    """Commit, on another connection, the application returned (version 2) with its audit
    event: one commit touching two tables."""
    with store.unit_of_work() as other:
        other.applications.save(attrs.evolve(application(1), state="returned", version=2), 1)
        other.audit.append(audit_event("A1", 1))
        other.commit()


def test_a_reading_unit_sees_one_moment(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        before = uow.applications.get("A1")
        returned_elsewhere(store)
        again = uow.read_many([(store.statements.applications.get, {"key": "A1"}),
                               (store.statements.audit_count, {})])
        assert uow.applications.get("A1") == before  # a read-only unit reads the same row
        assert [len(rows) for rows in again] == [1, 1]
        assert again[1][0][0] == 0  # and none of the audit event committed with the change
        assert uow.audit.for_aggregate("A1") == ()
        assert uow.audit.next_seq("A1") == 1
    with store.unit_of_work() as uow:  # the next unit sees the commit
        assert uow.audit.next_seq("A1") == 2


def test_a_unit_that_read_then_writes_reads_the_latest_commit(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.audit.for_aggregate("A1") == ()
        returned_elsewhere(store)
        uow.audit.append(audit_event("A2", 1))  # the first write ends the snapshot
        assert [e.seq for e in uow.audit.for_aggregate("A1")] == [1]
        uow.commit()
    with store.unit_of_work() as uow:
        assert [e.seq for e in uow.audit.for_aggregate("A2")] == [1]


def test_a_stale_read_still_ends_in_a_conflict(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        mine = uow.applications.get("A1")
        assert mine is not None
        returned_elsewhere(store)
        with pytest.raises(ConcurrencyConflict):
            commit_after(uow, lambda: uow.applications.save(
                attrs.evolve(mine, state="withdrawn", version=2), 1))
    with store.unit_of_work() as uow:
        stored = uow.applications.get("A1")
    assert stored is not None
    assert (stored.state, stored.version) == ("returned", 2)


# -- a read of one statement: no transaction around it ---------------------------------------------


def test_a_unit_asked_for_one_statement_runs_it_alone_and_refuses_a_second(store: SqlStore) -> None:
    postgres = store.dialect == "postgresql"
    with traced() as seen, store.unit_of_work() as uow:
        assert uow.one_statement() is postgres  # SQLite units read in a transaction anyway
        assert uow.applications.get("A1") is not None
        if postgres:
            with pytest.raises(SnapshotNeeded):
                uow.audit.next_seq("A1")
            with pytest.raises(SnapshotNeeded):
                uow.audit.append(audit_event("A1", 1))
        else:
            assert uow.audit.next_seq("A1") == 1
    assert any("FROM applications" in sql for sql in seen)
    assert any(sql.startswith("BEGIN") for sql in seen) is not postgres
    assert len(seen) == (1 if postgres else 4)  # BEGIN, two reads, ROLLBACK
    with store.unit_of_work() as uow:  # nothing was written
        assert uow.audit.next_seq("A1") == 1


def test_a_unit_that_ran_a_statement_is_not_switched_to_one_statement(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.applications.get("A1")
        assert uow.one_statement() is False
        assert uow.audit.next_seq("A1") == 1


def test_a_check_on_postgresql_is_one_statement(url: str) -> None:
    first, _, a, b = prepared(url, APPROVALS[0])
    try:
        expected = a.check(first[1], "approve")
        with traced() as seen:
            verdict = a.check(first[1], "approve")
        assert verdict == expected
        if url.startswith("postgresql"):
            assert len(seen) == 1 and "UNION ALL" in seen[0]  # no BEGIN, no ROLLBACK
        else:
            assert seen[0] == "BEGIN" and seen[-1] == "ROLLBACK"
    finally:
        a.release()
        b.release()


def test_a_work_list_page_and_its_counts_on_postgresql_are_one_statement_each(url: str) -> None:
    first, _, a, b = prepared(url, APPROVALS[0])
    try:
        view = a.view(Actor.authority(first[2]))
        with traced() as seen:
            page = view.work_list()
            counts = view.counts()
        assert first[1] in {item.application.id for item in page.items}
        assert counts.get(a.application(first[1]).state, 0) >= 1
        if url.startswith("postgresql"):
            assert len(seen) == 2  # the page, the counts: no BEGIN, no ROLLBACK
            assert not any(sql.split(None, 1)[0] in ("BEGIN", "ROLLBACK") for sql in seen)
        else:
            assert [sql for sql in seen if sql in ("BEGIN", "ROLLBACK")] == [
                "BEGIN", "ROLLBACK", "BEGIN", "ROLLBACK"]
    finally:
        a.release()
        b.release()


def test_the_registry_s_lookups_and_the_audit_tail_on_postgresql_are_one_statement_each(
        url: str) -> None:
    first, _, a, b = prepared(url, APPROVALS[0])
    try:
        app = a.application(first[1])
        lookups: list[Callable[[], object]] = [
            lambda: a.application(first[1]), lambda: a.physician(app.physician_id),
            lambda: a.institution(app.institution_id),
            lambda: a.registrations(app.physician_id), lambda: a.filings(app.physician_id),
            lambda: a.legacy_sites(app.physician_id), lambda: a.trail(first[1]),
            lambda: a.audit_count(), lambda: a.audit_since(0, 5)]
        postgres = url.startswith("postgresql")
        for lookup in lookups:
            expected = lookup()
            with traced() as seen:
                assert lookup() == expected
            reads = [sql for sql in seen if sql not in ("BEGIN", "ROLLBACK")]
            assert len(reads) == 1, reads
            assert len(seen) == (1 if postgres else 3), seen
        tail = a.audit_since(0, 100)
        with traced() as seen:  # a consumer at the end of the tail: an empty page
            assert tail and a.audit_since(tail[-1][0], 5) == ()
        assert len(seen) == (1 if postgres else 3), seen
        if postgres:  # a position no event has: the same statement tells
            with traced() as seen, pytest.raises(MdregError, match="position"):
                a.audit_since(tail[-1][0] + 10_000, 5)
            assert len(seen) == 1, seen
    finally:
        a.release()
        b.release()


def test_a_read_that_needs_a_second_statement_runs_again_in_one_transaction(
        store: SqlStore) -> None:
    from mdreg.service.services import Services, read

    services = Services(uow=store.unit_of_work)
    attempts: list[int] = []

    def query(uow: Any) -> tuple[Any, int]:
        attempts.append(1)
        app = uow.applications.get("A1")
        return app, uow.audit.next_seq("A1")

    with traced() as seen:
        app, seq = read(services, query, one_statement=True)
    assert app is not None and app.id == "A1" and seq == 1
    postgres = store.dialect == "postgresql"
    assert len(attempts) == (2 if postgres else 1)
    begins = [sql for sql in seen if sql.startswith("BEGIN")]
    assert len(begins) == 1  # the query that ran to its end ran in one transaction
    assert seen[-1] == "ROLLBACK"
