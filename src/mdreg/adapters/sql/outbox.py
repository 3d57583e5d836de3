"""The outbox repository: messages written with their cause, and leased claims for dispatchers.

A claim is ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL followed by one UPDATE that leases
the rows it locked: a row another claimer holds is skipped, and one it leased and committed no
longer matches (its lease runs). SQLite has no row locks: the claim takes the database's write
lock (``BEGIN IMMEDIATE``) before it reads, so claims are serialized. A report on a message
(:meth:`~SqlOutbox.mark_sent`, :meth:`~SqlOutbox.failed`, :meth:`~SqlOutbox.park`) reads it
the same locking way, checks the lease (:mod:`mdreg.domain.delivery`) and writes it back.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import (
    Insert,
    Integer,
    Select,
    Text,
    Update,
    any_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql

from mdreg.adapters.outbox_reports import LeasedOutbox
from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.repositories import LockingExecutor
from mdreg.adapters.sql.statements import by_key, insert_new, upsert
from mdreg.adapters.sql.translation import Subject
from mdreg.adapters.sql.types import UTCDateTime
from mdreg.domain import delivery
from mdreg.domain.account import Channel, OutboxCounts, OutboxMessage
from mdreg.errors import NotFoundError, UniquenessConflict


@attrs.frozen
class OutboxStatements:
    """The outbox statements of one dialect."""

    get: Select[Any]
    get_locked: Select[Any]
    put: Insert
    add: Insert
    pending: Select[Any]
    claim: Select[Any]
    lease: Update
    counts: Select[Any]

    @classmethod
    def build(cls, dialect: str) -> OutboxStatements:
        rows, mapper = tables.outbox_messages, mapping.OUTBOX_MESSAGES
        by_age = (rows.c.created_at, rows.c.id)
        return cls(
            get=by_key(mapper),
            get_locked=by_key(mapper).with_for_update(),
            put=upsert(rows, dialect),
            add=insert_new(rows, dialect),
            pending=select(*mapper.selected).where(text(tables.UNSENT)).order_by(*by_age)
            .limit(bindparam("limit", type_=Integer)),
            claim=select(*mapper.selected)
            .where(text(tables.UNDELIVERED),
                   or_(rows.c.next_attempt_at.is_(None), rows.c.next_attempt_at <= bindparam("now")),
                   or_(rows.c.lease_until.is_(None), rows.c.lease_until <= bindparam("now")),
                   _among(dialect, rows.c.channel, "channels"))
            .order_by(*by_age).limit(bindparam("limit", type_=Integer))
            .with_for_update(skip_locked=True),
            lease=update(rows).where(_among(dialect, rows.c.id, "ids"))
            .values(lease_owner=bindparam("owner", type_=Text()),
                    lease_until=bindparam("until", type_=UTCDateTime()),
                    attempts=rows.c.attempts + literal_column("1"))
            .execution_options(preserve_rowcount=True),
            counts=_counts(),
        )


def _among(dialect: str, column: Any, name: str) -> Any:
    """``column`` is one of the list parameter ``name`` (one parameter of any length: an array
    on PostgreSQL, a JSON array on SQLite), so the statement's SQL is the same for every call."""
    if dialect == "sqlite":
        return column.in_(select(literal_column("value")).select_from(
            func.json_each(bindparam(name, type_=Text()))))
    return column == any_(bindparam(name, type_=postgresql.ARRAY(Text())))


def _counts() -> Select[Any]:
    """Messages sent, parked, leased at ``:now`` and pending, in one scan."""
    rows = tables.outbox_messages
    leased = rows.c.lease_until > bindparam("now")
    state = case((rows.c.sent_at.is_not(None), "sent"), (rows.c.parked_at.is_not(None), "parked"),
                 (leased, "leased"), else_="pending")
    return select(state, func.count()).group_by(state)


@functools.cache
def outbox_statements(dialect: str) -> OutboxStatements:
    """Built once per dialect and process."""
    return OutboxStatements.build(dialect)


class SqlOutbox(LeasedOutbox):
    """The outbox of a SQL unit of work."""

    def __init__(self, db: LockingExecutor, dialect: str,
                 mapper: mapping.RowMapper[OutboxMessage] = mapping.OUTBOX_MESSAGES) -> None:
        self._db = db
        self._sql = outbox_statements(dialect)
        self._mapper = mapper
        self._lists: Callable[[list[str]], Any] = (
            json.dumps if dialect == "sqlite" else list)

    def add(self, message: OutboxMessage) -> None:
        row = self._mapper.to_row(message)
        if not self._db.write(self._sql.add, row, Subject("outbox", message.id)):
            raise UniquenessConflict("outbox_id", f"message {message.id} exists")

    def get(self, message_id: str) -> OutboxMessage | None:
        rows = self._db.read(self._sql.get, {"key": message_id})
        return self._mapper.from_row(rows[0]) if rows else None

    def pending(self, limit: int) -> tuple[OutboxMessage, ...]:
        rows = self._db.read(self._sql.pending, {"limit": max(limit, 0)})
        return tuple(self._mapper.from_row(row) for row in rows)

    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int,
              channels: Collection[Channel] | None = None) -> tuple[OutboxMessage, ...]:
        wanted = sorted(c.value for c in (Channel if channels is None else channels))
        rows = self._db.read_locked(self._sql.claim, {
            "now": now, "limit": max(limit, 0), "channels": self._lists(wanted)})
        found = [self._mapper.from_row(row) for row in rows]
        if found:
            self._db.write(self._sql.lease, {"ids": self._lists([m.id for m in found]),
                                             "owner": owner, "until": now + lease},
                           Subject("outbox", found[0].id))
        return tuple(delivery.leased(m, owner, now, lease) for m in found)

    def counts(self, now: datetime) -> OutboxCounts:
        found = {state: int(n) for state, n in self._db.read(self._sql.counts, {"now": now})}
        return OutboxCounts(**found)

    def _locked(self, message_id: str) -> OutboxMessage:
        rows = self._db.read_locked(self._sql.get_locked, {"key": message_id})
        if not rows:
            raise NotFoundError("outbox message", message_id)
        return self._mapper.from_row(rows[0])

    def _store(self, before: OutboxMessage, after: OutboxMessage) -> None:
        if after != before:
            self._db.write(self._sql.put, self._mapper.to_row(after), Subject("outbox", after.id))
