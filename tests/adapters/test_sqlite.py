"""The SQL backend on a SQLite file, plus URL handling and the retry runner (no server needed)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sql_backend import SqlBackendContract
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import mdreg
from mdreg.adapters.sql import RetryPolicy, SqlStore, migrate
from mdreg.adapters.sql.translation import is_transient, translate
from mdreg.errors import ConcurrencyConflict, PersistenceError, ValidationError
from mdreg.service.registry import Registry
from mdreg.testing.contract import audit_event, commit_after, physician
from mdreg.testing.registry_machine import WholeRegistry


class TestSqliteFile(SqlBackendContract):
    race_processes = 4  # SQLite has one writer; 4 processes even under MDREG_STRESS
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        url = f"sqlite:///{tmp_path / 'mdreg.db'}"
        migrate.upgrade(url)
        return url

    @pytest.fixture
    def fresh_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'fresh.db'}"

    def test_connections_use_wal_busy_timeout_and_foreign_keys(self, store: SqlStore) -> None:
        with store.engine.connect() as conn:
            settings = [conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                        for name in ("journal_mode", "busy_timeout", "foreign_keys")]
        assert settings == ["wal", 5000, 1]

    def test_the_first_write_takes_the_write_lock(self, store: SqlStore, tmp_path: Path) -> None:
        other = sqlite3.connect(tmp_path / "mdreg.db", timeout=0, isolation_level=None)
        with store.unit_of_work() as uow:
            uow.physicians.get("P1")
            other.execute("BEGIN IMMEDIATE")  # reads hold no lock
            other.execute("ROLLBACK")
            uow.physicians.put(physician(1))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            uow.commit()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()

    def test_a_busy_database_is_transient(self, store: SqlStore, tmp_path: Path) -> None:
        holder = sqlite3.connect(tmp_path / "mdreg.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            with pytest.raises(OperationalError) as raised:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.rollback()
            conn.exec_driver_sql("PRAGMA busy_timeout = 5000")
        holder.execute("ROLLBACK")
        holder.close()
        error = translate(raised.value)
        assert isinstance(error, PersistenceError) and "locked" not in str(error)
        error.__cause__ = raised.value
        assert is_transient(error)


def test_open_without_a_url_uses_mdreg_db_here(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry = mdreg.open()
    assert registry.url == "sqlite:///mdreg.db"
    assert registry.audit_count() == 0
    assert (tmp_path / "mdreg.db").exists()


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "postgresql+psycopg2://u@h/db",
     "not a url", "sqlite+pysqlite:///file:x?mode=memory&uri=true"],
)
def test_unsupported_urls_are_validation_errors(url: str) -> None:
    with pytest.raises(ValidationError):
        mdreg.open(url)


def test_an_unreachable_database_is_a_persistence_error(tmp_path: Path) -> None:
    with pytest.raises(PersistenceError) as raised:
        mdreg.open(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'mdreg.db'}")
    assert raised.value.__cause__ is not None


def test_the_password_never_shows(tmp_path: Path) -> None:
    store = SqlStore.connect("postgresql+psycopg://mdreg:s3cret@db.example/mdreg")
    assert "s3cret" not in repr(store) and "***" in store.url


# -- the retry runner ----------------------------------------------------------------------------


def transient() -> PersistenceError:
    """A PersistenceError caused by SQLite's SQLITE_BUSY, as the unit of work raises it."""
    cause = sqlite3.OperationalError("database is locked")
    cause.sqlite_errorcode = 5  # type: ignore[attr-defined]
    wrapped = OperationalError("BEGIN IMMEDIATE", {}, cause)
    failure = translate(wrapped)
    failure.__cause__ = wrapped
    return failure


class Flaky:
    """Fails with ``error()`` ``failures`` times, then returns ``"done"``."""

    def __init__(self, failures: int, error: Callable[[], Exception]) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return "done"


@pytest.fixture
def runner(tmp_path: Path) -> Any:
    slept: list[float] = []
    store = SqlStore(SqlStore.connect(f"sqlite:///{tmp_path / 'r.db'}").engine,
                     retry=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.03),
                     sleep=slept.append)
    yield store, slept
    store.close()


def test_transient_failures_are_retried_with_capped_jitter(runner: Any) -> None:
    store, slept = runner
    work = Flaky(3, transient)
    assert store.run_in_transaction(work) == "done"
    assert work.calls == 4 and store.retries == 3
    assert len(slept) == 3 and all(0 <= s <= 0.03 for s in slept)


def test_retries_stop_after_the_last_attempt(runner: Any) -> None:
    store, _ = runner
    work = Flaky(10, transient)
    with pytest.raises(PersistenceError):
        store.run_in_transaction(work)
    assert work.calls == 4


@pytest.mark.parametrize("error", [lambda: PersistenceError("disk full"),
                                   lambda: ValidationError("f", "bad"), lambda: RuntimeError("x")],
                         ids=["persistence", "validation", "runtime"])
def test_other_failures_are_not_retried(runner: Any, error: Callable[[], Exception]) -> None:
    store, _ = runner
    work = Flaky(1, error)
    with pytest.raises(type(error())):
        store.run_in_transaction(work)
    assert work.calls == 1 and store.retries == 0


def test_nested_runs_are_retried_only_by_the_outer_one(runner: Any) -> None:
    store, _ = runner
    inner = Flaky(1, transient)
    assert store.run_in_transaction(lambda: store.run_in_transaction(inner)) == "done"
    assert inner.calls == 2 and store.retries == 1


def test_attempts_and_transient_failures_are_counted(runner: Any) -> None:
    store, _ = runner
    store.run_in_transaction(Flaky(0, transient))
    store.run_in_transaction(Flaky(2, transient))
    with pytest.raises(PersistenceError):
        store.run_in_transaction(Flaky(10, transient))
    with pytest.raises(ValidationError):
        store.run_in_transaction(Flaky(1, lambda: ValidationError("f", "bad")))
    assert store.attempts == Counter({1: 2, 3: 1, 4: 1})
    assert store.transient == Counter({"SQLITE_BUSY": 6})
    assert store.retries == 5


def test_the_stage_hook_sees_every_write_and_the_commit(tmp_path: Path) -> None:
    store = SqlStore.connect(f"sqlite:///{tmp_path / 'mdreg.db'}")
    migrate.upgrade(store.engine)
    stages: list[str] = []
    store.hook = stages.append
    with store.unit_of_work() as uow:
        uow.physicians.put(physician(1))
        uow.audit.append(audit_event("P1", 1))
        uow.commit()
    assert stages == ["wrote:physician", "wrote:audit", "commit", "committed"]
    stages.clear()
    with store.unit_of_work() as uow:
        uow.audit.append(audit_event("P1", 2))
    assert stages == ["wrote:audit"]
    store.hook = None
    store.close()


def test_a_failing_hook_before_commit_rolls_back(tmp_path: Path) -> None:
    store = SqlStore.connect(f"sqlite:///{tmp_path / 'mdreg.db'}")
    migrate.upgrade(store.engine)

    def fail(stage: str) -> None:
        if stage == "commit":
            raise RuntimeError("crash before COMMIT")

    store.hook = fail
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        commit_after(uow, lambda: uow.physicians.put(physician(1)))
    store.hook = None
    with store.unit_of_work() as uow:
        assert uow.physicians.get("P1") is None
    store.close()


def test_the_runner_sees_the_registry_commands(tmp_path: Path) -> None:
    registry = mdreg.open(f"sqlite:///{tmp_path / 'mdreg.db'}")
    seen: list[str] = []
    original = registry.services.transaction

    def spy(work: Callable[[], Any]) -> Any:
        seen.append("run")
        return original(work)

    registry.services = attrs.evolve(registry.services, transaction=spy)
    registry.load()
    assert seen == ["run"]
    with registry.services.uow() as uow:
        assert uow.audit.count() == 0


def test_translation_names_the_sqlite_constraint(tmp_path: Path) -> None:
    store = SqlStore.connect(f"sqlite:///{tmp_path / 'mdreg.db'}")
    migrate.upgrade(store.engine)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO idempotency_keys VALUES ('k', 'f', 'r')"))
    with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
        uow.idempotency.put("k", "f2", "r2")
    store.close()


# -- the whole service on SQLite, under hypothesis ---------------------------------------------


class SqliteWholeRegistry(WholeRegistry):
    """The whole-registry machine (all nine business types) on a fresh SQLite file."""

    def open_registry(self) -> Registry:
        self.tmp = tempfile.TemporaryDirectory()
        return mdreg.open(f"sqlite:///{Path(self.tmp.name) / 'mdreg.db'}", clock=self.clock,
                          ids=mdreg.SequentialIds())

    def teardown(self) -> None:
        super().teardown()
        self.tmp.cleanup()


def test_the_whole_registry_machine_runs_on_sqlite() -> None:
    run_state_machine_as_test(SqliteWholeRegistry, settings=settings(
        max_examples=int(os.environ.get("MDREG_SQL_MACHINE_EXAMPLES", "4")),
        stateful_step_count=20, derandomize=True, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))
