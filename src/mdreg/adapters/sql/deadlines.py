"""The deadline repository: versioned rows, open ones by due date, and claims that lock.

A claim is ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL: rows another transaction has
claimed are skipped, and a row fired and committed meanwhile no longer matches (PostgreSQL
re-checks the predicate on the newest row version before locking it). SQLite has no row locks:
the claim takes the database's write lock (``BEGIN IMMEDIATE``) before it reads, so claims are
serialized and each sees what the previous claimer committed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from datetime import date
from typing import Any

import attrs
from sqlalchemy import Select, Text, all_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql

from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.repositories import LockingExecutor, SqlVersioned
from mdreg.adapters.sql.statements import Versioned
from mdreg.domain.deadlines import Deadline
from mdreg.ports import DeadlineRepository


@attrs.frozen
class DeadlineStatements:
    """The deadline statements of one dialect (predicates on ``status`` are literals, so the
    partial indexes serve them)."""

    versioned: Versioned
    of_subject: Select[Any]
    count_of_kind: Select[Any]
    open_of_subject: Select[Any]
    overdue: Select[Any]
    due_between: Select[Any]
    provisional: Select[Any]
    claim: Select[Any]
    claim_reminders: Select[Any]

    @classmethod
    def build(cls, dialect: str) -> DeadlineStatements:
        rows = tables.deadlines
        is_open = text(tables.OPEN_DEADLINE)
        columns = mapping.DEADLINES.selected
        by_due = (rows.c.due, rows.c.id)
        return cls(
            versioned=Versioned.build(mapping.DEADLINES, dialect),
            of_subject=select(*columns).where(rows.c.subject_id == bindparam("subject_id"))
            .order_by(rows.c.opened_at, rows.c.id),
            count_of_kind=select(func.count()).select_from(rows)
            .where(rows.c.subject_id == bindparam("subject_id"), rows.c.kind == bindparam("kind")),
            open_of_subject=select(*columns)
            .where(rows.c.subject_id == bindparam("subject_id"), is_open).order_by(*by_due),
            overdue=select(*columns).where(is_open, rows.c.due < bindparam("as_of"))
            .order_by(*by_due),
            provisional=select(*columns)
            .where(text(tables.PROVISIONAL_DEADLINE), rows.c.due >= bindparam("start"))
            .order_by(*by_due),
            due_between=select(*columns)
            .where(is_open, rows.c.due >= bindparam("start"), rows.c.due <= bindparam("end"))
            .order_by(*by_due),
            claim=select(*columns)
            .where(is_open, rows.c.flagged_on.is_(None), rows.c.due < bindparam("as_of"),
                   _excluded(dialect))
            .order_by(*by_due).limit(bindparam("limit")).with_for_update(skip_locked=True),
            claim_reminders=select(*columns)
            .where(is_open, rows.c.kind == "decision", rows.c.reminded_on.is_(None),
                   rows.c.due >= bindparam("as_of"), rows.c.due <= bindparam("horizon"),
                   _excluded(dialect))
            .order_by(*by_due).limit(bindparam("limit")).with_for_update(skip_locked=True),
        )


def _excluded(dialect: str) -> Any:
    """``id`` not among ``:exclude`` (one parameter of any length: an array on PostgreSQL, a
    JSON array on SQLite), so the statement's SQL is the same for every call."""
    ids = tables.deadlines.c.id
    if dialect == "sqlite":
        return ids.not_in(select(literal_column("value")).select_from(
            func.json_each(bindparam("exclude", type_=Text()))))
    return ids != all_(bindparam("exclude", type_=postgresql.ARRAY(Text())))


@functools.cache
def deadline_statements(dialect: str) -> DeadlineStatements:
    """Built once per dialect and process."""
    return DeadlineStatements.build(dialect)


class SqlDeadlines(SqlVersioned[Deadline], DeadlineRepository):
    def __init__(self, db: LockingExecutor, dialect: str) -> None:
        self._sql = deadline_statements(dialect)
        super().__init__(db, mapping.DEADLINES, self._sql.versioned, "deadline")
        self._locking = db
        self.concurrent_claims = dialect != "sqlite"

    def for_subject(self, subject_id: str) -> tuple[Deadline, ...]:
        return self._many(self._sql.of_subject, {"subject_id": subject_id})

    def count(self, subject_id: str, kind: str) -> int:
        rows = self._db.read(self._sql.count_of_kind, {"subject_id": subject_id, "kind": kind})
        return int(rows[0][0])

    def open_for(self, subject_id: str) -> tuple[Deadline, ...]:
        return self._many(self._sql.open_of_subject, {"subject_id": subject_id})

    def overdue(self, as_of: date) -> tuple[Deadline, ...]:
        return self._many(self._sql.overdue, {"as_of": as_of})

    def due_between(self, start: date, end: date) -> tuple[Deadline, ...]:
        return self._many(self._sql.due_between, {"start": start, "end": end})

    def provisional(self, since: date) -> tuple[Deadline, ...]:
        return self._many(self._sql.provisional, {"start": since})

    def claim(self, as_of: date, limit: int,
              exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        return self._claimed(self._sql.claim, {"as_of": as_of}, limit, exclude)

    def claim_reminders(self, as_of: date, horizon: date, limit: int,
                        exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        return self._claimed(self._sql.claim_reminders, {"as_of": as_of, "horizon": horizon},
                             limit, exclude)

    def _claimed(self, statement: Select[Any], params: dict[str, Any], limit: int,
                 exclude: Collection[str]) -> tuple[Deadline, ...]:
        ids = sorted(exclude)
        params = {**params, "limit": max(limit, 0),
                  "exclude": ids if self.concurrent_claims else json.dumps(ids)}
        rows = self._locking.read_locked(statement, params)
        return tuple(self._mapper.from_row(row) for row in rows)
