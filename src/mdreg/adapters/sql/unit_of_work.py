"""The SQL unit of work: one connection, one transaction, every driver error translated here.

A finished unit (committed or rolled back) refuses writes and a second commit, but still reads
committed data, as the in-memory backend does.

Reads run as they come (on SQLite in autocommit, on PostgreSQL inside a READ COMMITTED
transaction), so each read sees the latest committed data. The first write takes the write lock
— ``BEGIN IMMEDIATE`` on SQLite; row locks on PostgreSQL — and from then on the unit is isolated
from other writers until it commits or rolls back. Versions and unique indexes catch whatever
changed between a read and the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Insert, Select, Update
from sqlalchemy.exc import SQLAlchemyError

from mdreg.adapters.sql import mapping
from mdreg.adapters.sql.deadlines import SqlDeadlines
from mdreg.adapters.sql.portal import (
    SqlAccounts,
    SqlAssessments,
    SqlCodes,
    SqlOutbox,
    SqlPersonalChanges,
    SqlPracticeInfo,
)
from mdreg.adapters.sql.repositories import (
    SqlApplications,
    SqlAudit,
    SqlDepartments,
    SqlFilings,
    SqlIdempotency,
    SqlKeyed,
    SqlLegacySites,
    SqlPhysicians,
    SqlRegistrations,
)
from mdreg.adapters.sql.translation import Subject, translate
from mdreg.errors import PersistenceError
from mdreg.ports import UnitOfWork

if TYPE_CHECKING:
    from mdreg.adapters.sql.store import SqlStore

T = TypeVar("T")


def _reused() -> PersistenceError:
    return PersistenceError("a unit of work cannot be reused")


class SqlUnitOfWork(UnitOfWork):
    """A unit of work on a :class:`~mdreg.adapters.sql.store.SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._conn: Connection | None = None
        self._writing = False
        self._done = False
        sql = store.statements
        self.physicians = SqlPhysicians(self, sql)
        self.institutions = SqlKeyed(self, mapping.INSTITUTIONS, sql.institutions, "institution")
        self.departments = SqlDepartments(self, sql)
        self.registrations = SqlRegistrations(self, sql)
        self.filings = SqlFilings(self, sql)
        self.legacy = SqlLegacySites(self, sql)
        self.applications = SqlApplications(self, sql)
        self.audit = SqlAudit(self, sql)
        self.idempotency = SqlIdempotency(self, sql)
        self.accounts = SqlAccounts(self, sql.portal)
        self.codes = SqlCodes(self, sql.portal)
        self.outbox = SqlOutbox(self, sql.portal)
        self.personal_changes = SqlPersonalChanges(self, sql.portal)
        self.practice_info = SqlPracticeInfo(self, sql.portal)
        self.assessments = SqlAssessments(self, sql.portal)
        self.deadlines = SqlDeadlines(self, store.dialect)

    def __enter__(self) -> SqlUnitOfWork:
        if self._done:
            raise _reused()
        return self

    # -- the one place that talks to the driver ---------------------------------------------

    def _guarded(self, action: Callable[[], T], subject: Subject | None = None) -> T:
        try:
            return action()
        except SQLAlchemyError as exc:
            raise translate(exc, subject) from exc

    def _connection(self) -> Connection:
        if self._done:
            raise _reused()
        if self._conn is None:
            self._conn = self._guarded(self.store.engine.connect)
        return self._conn

    def read(self, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Rows of a query; after commit or rollback, of the committed data (as in memory)."""
        if self._done:
            return self._guarded(lambda: self._read_committed(statement, params))
        conn = self._connection()
        return self._guarded(lambda: conn.execute(statement, params).all())

    def _read_committed(self, statement: Select[Any],
                        params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        with self.store.engine.connect() as conn:
            return conn.execute(statement, params).all()

    def write(self, statement: Insert | Update, params: Mapping[str, Any],
              subject: Subject) -> int:
        """Run a write (taking the write lock first) and return how many rows it changed."""
        conn = self._connection()
        if not self._writing:
            self._guarded(lambda: self._begin_write(conn))
        changed = self._guarded(lambda: conn.execute(statement, params).rowcount, subject)
        if self.store.hook is not None:
            self.store.hook(f"wrote:{subject.kind}")
        return changed

    def read_locked(self, statement: Select[Any],
                    params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Rows of a locking query (``FOR UPDATE``), read after taking the write lock, so on
        SQLite (no row locks) concurrent lockers are serialized by ``BEGIN IMMEDIATE``."""
        conn = self._connection()
        if not self._writing:
            self._guarded(lambda: self._begin_write(conn))
        return self._guarded(lambda: conn.execute(statement, params).all())

    def _begin_write(self, conn: Connection) -> None:
        if self.store.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        self._writing = True

    # -- ending -----------------------------------------------------------------------------

    def commit(self) -> None:
        if self._done:
            raise _reused()
        conn, self._conn, self._done = self._conn, None, True
        if conn is None:
            return
        hook = self.store.hook
        try:
            if hook is not None:
                hook("commit")
            self._guarded(conn.commit)
        finally:
            self._close(conn)
        if hook is not None:
            hook("committed")

    def rollback(self) -> None:
        conn, self._conn, self._done = self._conn, None, True
        if conn is None:
            return
        try:
            conn.rollback()
        except SQLAlchemyError:  # the connection is gone, and the server rolled back with it
            conn.invalidate()
        finally:
            self._close(conn)

    @staticmethod
    def _close(conn: Connection) -> None:
        try:
            conn.close()
        except SQLAlchemyError:  # pragma: no cover - closing a broken connection
            conn.invalidate()
