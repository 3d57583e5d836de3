"""Failed-login counters in SQL.

:meth:`SqlLoginAttempts.hold` takes the unit's write lock first: on SQLite ``BEGIN IMMEDIATE``
serializes every writer; on PostgreSQL a transaction-scoped advisory lock on the key's hash makes
concurrent holders of one key wait (a row lock could not hold a key that has no row yet). The
counter is read after that, so the count a unit writes back is exact.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Delete, Insert, Select, Text, bindparam, delete, func, literal_column, or_
from sqlalchemy import select as select_

from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.repositories import LockingExecutor
from mdreg.adapters.sql.statements import by_key, upsert
from mdreg.adapters.sql.translation import Subject
from mdreg.domain.throttle import LoginCounter
from mdreg.ports import LoginAttemptRepository


@attrs.frozen
class ThrottleStatements:
    """The statements of one dialect."""

    get: Select[Any]
    lock: Select[Any]
    put: Insert
    purge: Delete

    @classmethod
    def build(cls, dialect: str) -> ThrottleStatements:
        rows = tables.login_attempts
        before = bindparam("before", type_=rows.c.last_failure.type)
        lock: Select[Any]
        if dialect == "sqlite":
            lock = select_(literal_column("1"))
        else:
            key = func.hashtextextended(literal_column("'mdreg.login:'").op("||")(
                bindparam("key", type_=Text())), literal_column("0"))
            lock = select_(func.pg_advisory_xact_lock(key))
        return cls(
            get=by_key(mapping.LOGIN_ATTEMPTS),
            lock=lock,
            put=upsert(rows, dialect),
            purge=delete(rows).where(
                or_(rows.c.last_failure.is_(None), rows.c.last_failure < before),
                or_(rows.c.locked_until.is_(None), rows.c.locked_until <= before),
            ).execution_options(preserve_rowcount=True),
        )


@functools.cache
def throttle_statements(dialect: str) -> ThrottleStatements:
    """Built once per dialect and process."""
    return ThrottleStatements.build(dialect)


class SqlLoginAttempts(LoginAttemptRepository):
    """The failed-login counters of a SQL unit of work."""

    def __init__(self, db: LockingExecutor, dialect: str) -> None:
        self._db = db
        self._sql = throttle_statements(dialect)
        self._mapper = mapping.LOGIN_ATTEMPTS

    def get(self, key: str) -> LoginCounter | None:
        rows = self._db.read(self._sql.get, {"key": key})
        return self._mapper.from_row(rows[0]) if rows else None

    def hold(self, key: str) -> LoginCounter | None:
        self._db.read_locked(self._sql.lock, {"key": key})
        rows = self._db.read_locked(self._sql.get, {"key": key})
        return self._mapper.from_row(rows[0]) if rows else None

    def put(self, counter: LoginCounter) -> None:
        self._db.write(self._sql.put, self._mapper.to_row(counter),
                       Subject("login_attempt", counter.key))

    def purge(self, before: datetime) -> int:
        return self._db.write(self._sql.purge, {"before": before},
                              Subject("login_attempt", "*"))
