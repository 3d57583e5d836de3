"""The SQL backend on PostgreSQL (``MDREG_TEST_POSTGRES_URL``).

Each pytest-xdist worker gets its own databases, ``mdreg_test_<worker>`` (migrated once per
session, truncated before each test) and ``mdreg_fresh_<worker>`` (emptied before each test, for
the migration tests); both are dropped at the end of the session.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sql_backend import SqlBackendContract
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from mdreg.adapters.sql import SqlStore, migrate
from mdreg.adapters.sql.tables import METADATA
from mdreg.adapters.sql.translation import is_transient, translate
from mdreg.errors import PersistenceError, ValidationError
from mdreg.testing.contract import physician
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.race import T0, append_event

pytestmark = pytest.mark.postgres

BASE_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
if not BASE_URL:
    pytest.skip("PostgreSQL tests need MDREG_TEST_POSTGRES_URL, e.g. "
                "postgresql+psycopg://postgres@127.0.0.1:5432/test", allow_module_level=True)


@pytest.fixture(scope="session")
def databases() -> Iterator[dict[str, str]]:
    with scratch_postgres(BASE_URL, "mdreg_test") as test, \
            scratch_postgres(BASE_URL, "mdreg_fresh") as fresh:
        migrate.upgrade(test)
        yield {"test": test, "fresh": fresh}


@pytest.fixture(scope="session")
def session_store(databases: dict[str, str]) -> Iterator[SqlStore]:
    store = SqlStore.connect(databases["test"])
    yield store
    store.close()


class TestPostgres(SqlBackendContract):

    @pytest.fixture
    def url(self, databases: dict[str, str], session_store: SqlStore) -> str:
        tables = ", ".join(table.name for table in METADATA.sorted_tables)
        with session_store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        return databases["test"]

    @pytest.fixture
    def fresh_url(self, databases: dict[str, str]) -> str:
        engine = create_engine(make_url(databases["fresh"]).set(drivername="postgresql+psycopg"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return databases["fresh"]

    def test_units_of_work_read_repeatable_read_and_write_read_committed(
            self, store: SqlStore) -> None:
        with store.unit_of_work() as uow:
            assert uow.driver_sql("SELECT now() = statement_timestamp()") == [(True,)]  # nothing open
            uow.audit.count()  # the first read: BEGIN, sent with it
            assert uow.driver_sql("SHOW transaction_isolation") == [("repeatable read",)]
            assert uow.driver_sql("SHOW transaction_read_only") == [("on",)]
            uow.idempotency.put("key", "fingerprint", "result")  # the first write: COMMIT, BEGIN
            assert uow.driver_sql("SHOW transaction_read_only") == [("off",)]
            assert uow.driver_sql("SHOW transaction_isolation") == [("read committed",)]
            assert uow.driver_sql("SELECT now() = statement_timestamp()") == [(False,)]  # one tx

    @pytest.mark.parametrize("writing", [False, True], ids=["reading", "writing"])
    def test_a_lost_connection_is_reported_and_not_reused(self, store: SqlStore,
                                                          writing: bool) -> None:
        self.seed(store.unit_of_work, physician(1))
        with store.unit_of_work() as uow:
            if writing:
                uow.idempotency.put("key", "fingerprint", "result")
            pid = uow.driver_sql("SELECT pg_backend_pid()")[0][0]
            with store.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(PersistenceError, match="connection was lost"):
                uow.physicians.get("P1")
        for _ in range(store.engine.pool.size() + 1):  # every pooled connection works
            with store.unit_of_work() as uow:
                assert uow.physicians.get("P1") is not None
                assert uow.idempotency.get("key") is None  # the writing unit was rolled back

    def test_a_deadlock_is_transient(self, store: SqlStore) -> None:
        with store.engine.begin() as conn:
            conn.execute(text("CREATE TABLE locks (id int PRIMARY KEY)"))
            conn.execute(text("INSERT INTO locks VALUES (1), (2)"))
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        def lock(first: int, second: int) -> None:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("SET deadlock_timeout = '100ms'")
                try:
                    conn.execute(text("UPDATE locks SET id = id WHERE id = :i"), {"i": first})
                    barrier.wait(10)
                    conn.execute(text("UPDATE locks SET id = id WHERE id = :i"), {"i": second})
                    conn.commit()
                except DBAPIError as error:
                    failures.append(error)
                    conn.rollback()

        threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE locks"))
        (failure,) = failures
        assert getattr(failure, "orig", None) is not None and failure.orig.sqlstate == "40P01"
        translated: Any = translate(failure)
        translated.__cause__ = failure
        assert isinstance(translated, PersistenceError) and is_transient(translated)

    # the audit tail ------------------------------------------------------------------------------

    def test_an_event_that_commits_later_with_a_smaller_position_is_not_skipped(
            self, store: SqlStore) -> None:
        """An older transaction takes the larger position and commits first: the tail gives its
        event, then the other one, though that one's position is smaller."""
        with store.unit_of_work() as older:
            older.idempotency.put("key", "fingerprint", "result")  # its transaction id comes first
            with store.unit_of_work() as newer:
                append_event(newer, "NEWER", T0)  # the first position
                append_event(older, "OLDER", T0)  # the second
                older.commit()
                first = self.tail(store, 0, expected=1)
                newer.commit()
        assert first == [(2, "OLDER")]
        assert self.tail(store, 2, expected=1) == [(1, "NEWER")]
        assert self.tail(store, 1) == []

    def test_a_page_ends_at_an_open_older_transaction(self, store: SqlStore) -> None:
        """Events committed while an older transaction is open wait behind it: that transaction
        may still append, and its events come first."""
        with store.unit_of_work() as older:
            older.idempotency.put("key", "fingerprint", "result")
            for n in range(3):  # each commits while the older transaction is open
                with store.unit_of_work() as uow:
                    append_event(uow, f"NEWER-{n}", T0)
                    uow.commit()
                assert self.tail(store, 0) == []
            append_event(older, "OLDER", T0)
            older.commit()
        assert self.tail(store, 0, expected=4) == [(4, "OLDER"), (1, "NEWER-0"),
                                                   (2, "NEWER-1"), (3, "NEWER-2")]

    def test_a_transaction_on_another_database_does_not_hold_the_tail_back(
            self, store: SqlStore, fresh_url: str) -> None:
        other = create_engine(make_url(fresh_url).set(drivername="postgresql+psycopg"))
        with other.connect() as conn:
            conn.execute(text("SELECT pg_current_xact_id()"))  # open, with a transaction id
            with store.unit_of_work() as uow:
                append_event(uow, "AFTER", T0)
                uow.commit()
            assert self.tail(store, 0) == [(1, "AFTER")]
            conn.rollback()
        other.dispose()

    def test_the_tail_continues_only_after_a_position_it_gave(self, store: SqlStore) -> None:
        with store.unit_of_work() as uow, pytest.raises(ValidationError, match="position 5"):
            uow.audit.since(5, 10)

    @staticmethod
    def tail(store: SqlStore, position: int, *, expected: int = 0) -> list[tuple[int, str]]:
        """The page after ``position``, read again for up to 10 s until it has ``expected``
        events: a transaction of another test, on another database of the server, holds the
        tail back while it is open."""
        deadline = time.monotonic() + 10
        while True:
            with store.unit_of_work() as uow:
                page = [(p, event.aggregate_id) for p, event in uow.audit.since(position, 10)]
            if len(page) >= expected or time.monotonic() > deadline:
                return page
            time.sleep(0.05)

    def test_an_unreachable_server_is_a_persistence_error(self) -> None:
        unreachable = make_url(BASE_URL).set(host="127.0.0.1", port=1)
        with pytest.raises(PersistenceError):
            migrate.upgrade(unreachable.render_as_string(hide_password=False))
