"""密钥轮换 — turning protection on for a database, and rotating its key, online.

:func:`protect` converts a database holding ID numbers and phones in clear; :func:`rotate`
re-seals and re-indexes every protected row under the current key of an
:class:`~mdreg.infra.protection.IdProtection` whose ``previous`` keys read the rest. The rows
are the physicians (ID numbers) and the portal's accounts (phones, e-mail addresses), one-time
codes (their destination) and outbox messages (their recipient), walked table by table in
batches of ``batch_size``, one transaction per batch:

- each physician is re-read under the hold the registry takes for it
  (:meth:`~mdreg.ports.UnitOfWork.hold_physician`) and its row lock, and written back through
  the protected mapper;
- a portal row is re-read and its protected columns and document written back only if they
  are still as read (a compare-and-set: a writer that got there first wrote it under the
  current key already, and what it changed is kept).

So other processes may keep working meanwhile (with the same keyring). A row is converted by
one statement — its index and its sealed values together — so no row is ever half converted.

No separate state is kept: a physician is done when its ``id_number`` column begins with the
current key's index prefix (``hmac-sha256/hkdf:<key id>:``), a portal row when its document
names the current key (``"protected_by":"<key id>"``); running either again after a crash (or
on a database already converted) finishes the rest. :func:`key_progress` counts the rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Select, Table, bindparam, func, not_, select, update

from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.mapping import DOC
from mdreg.adapters.sql.store import SqlStore
from mdreg.adapters.sql.translation import translate
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork
from mdreg.errors import ValidationError
from mdreg.infra.protection import IdProtection

_physicians = tables.physicians
#: a physician's row, locked (``FOR UPDATE`` on PostgreSQL; SQLite's write lock serializes)
_LOCK_PHYSICIAN = select(*mapping.PHYSICIANS.selected).where(
    _physicians.c.id == bindparam("physician_id")).with_for_update()


@attrs.frozen
class KeyProgress:
    """Protected rows (physicians, accounts, codes, outbox messages) under the current key
    (``done``, ``key_id``) and the rest (``remaining``: in clear, or under a previous key);
    counts only, no personal data."""

    key_id: str
    done: int
    remaining: int


@attrs.frozen
class ResealReport:
    """What :func:`protect` or :func:`rotate` did: ``converted`` rows now, and the counts
    after the run."""

    converted: int
    progress: KeyProgress


def _pending(table: Table, protection: IdProtection) -> ColumnElement[Any]:
    """The rows of ``table`` not written under the current key."""
    if table is _physicians:
        return not_(_physicians.c.id_number.startswith(protection.index_prefix, autoescape=True))
    marker = f'"{mapping.PROTECTED_BY}":"{protection.key_id}"'
    return not_(table.c.doc.contains(marker, autoescape=True))


def _mappers(store: SqlStore) -> dict[Table, mapping.RowMapper[Any]]:
    """The protected tables, each with the store's mapper: physicians first."""
    return {_physicians: store.physician_mapper, tables.accounts: store.account_mapper,
            tables.one_time_codes: store.code_mapper,
            tables.outbox_messages: store.outbox_mapper}


def _read(store: SqlStore, statement: Select[Any]) -> list[Any]:
    """The first column of ``statement``'s rows, read outside any unit of work.

    Raises:
        PersistenceError: the database failed (a connection failure keeps the driver's cause).
    """
    try:
        with store.engine.connect() as conn:
            return list(conn.execute(statement).scalars())
    except store.driver_errors as error:
        raise translate(error) from error


def key_progress(store: SqlStore) -> KeyProgress:
    """How far the conversion to ``store``'s current key is.

    Raises:
        ValidationError: the store has no protection.
        PersistenceError: the database failed.
    """
    protection = _protection(store)
    total = remaining = 0
    for table in _mappers(store):
        total += _read(store, select(func.count()).select_from(table))[0]
        remaining += _read(store, select(func.count()).select_from(table).where(
            _pending(table, protection)))[0]
    return KeyProgress(protection.key_id, total - remaining, remaining)


def reseal(store: SqlStore, *, batch_size: int = 500,
           progress: Callable[[KeyProgress], None] | None = None,
           on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Write every protected row not under ``store``'s current key again, under it; see the
    module. ``progress`` is called after each batch with the counts (those at the start, less
    the rows converted since: rows other writers convert meanwhile are counted at the end);
    ``on_row`` with each row's id after it is written, inside its batch's transaction (an
    observer: what it raises rolls the batch back).

    Raises:
        ValidationError: the store has no protection, or ``batch_size`` is not 1 to 10000.
        SerializationError: a row is in clear (use :func:`protect`) or under a key the
            keyring lacks; the batches before it stay converted.
    """
    protection = _protection(store)
    if not 1 <= batch_size <= 10_000:
        raise ValidationError("batch_size", "a batch holds 1 to 10000 rows",
                              field_label="批次大小")
    converted = 0
    start = key_progress(store) if progress is not None else None
    for table, mapper in _mappers(store).items():
        after = ""
        while True:
            ids = _read(store, select(table.c.id).where(
                table.c.id > after, _pending(table, protection)
            ).order_by(table.c.id).limit(batch_size))
            if not ids:
                break
            if table is _physicians:
                batch = functools.partial(_physician_batch, store, ids, on_row)
            else:
                batch = functools.partial(_row_batch, store, mapper, ids, on_row)
            converted += store.run_in_transaction(batch)
            after = ids[-1]
            if progress is not None and start is not None:  # counted once: no scan per batch
                progress(KeyProgress(protection.key_id, start.done + converted,
                                     max(start.remaining - converted, 0)))
    return ResealReport(converted, key_progress(store))


def _physician_batch(store: SqlStore, ids: list[str],
                     on_row: Callable[[str], None] | None) -> int:
    """Physicians written again, each under the hold the registry takes for it and its row
    lock (a writer taking no hold, such as a reference-data load, waits, and is not undone)."""
    written = 0
    with SqlUnitOfWork(store) as uow:
        for physician_id in ids:  # sorted: one lock order for every run
            uow.hold_physician(physician_id)
            rows = uow.read_locked(_LOCK_PHYSICIAN, {"physician_id": physician_id})
            if not rows:  # deleted since the batch was listed
                continue
            uow.physicians.put(store.physician_mapper.from_row(rows[0]))
            written += 1
            if on_row is not None:
                on_row(physician_id)
        uow.commit()
    return written


def _row_batch(store: SqlStore, mapper: mapping.RowMapper[Any], ids: list[str],
               on_row: Callable[[str], None] | None) -> int:
    """Rows of the portal's tables written again: only their protected columns and document,
    each only if unchanged since it was read (a writer that got there first wrote it under
    the current key already; what it changed is kept)."""
    table, key = mapper.table, mapper.table.c.id
    protected = [c for c in table.c if c.name in (*mapping.PROTECTED[table.name][0], DOC)]
    written = 0
    try:
        with store.engine.begin() as conn:
            if store.dialect == "sqlite":  # sqlite3 opens no transaction itself (engine.py)
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            for row in conn.execute(select(*mapper.selected).where(key.in_(ids))
                                    .order_by(key)).all():
                old = dict(zip((*mapper.column_names, DOC), row, strict=True))
                new = mapper.to_row(mapper.from_row(row))
                changed = conn.execute(update(table).where(
                    key == old["id"], *(c == old[c.name] for c in protected)
                ).values({c.name: new[c.name] for c in protected})).rowcount
                written += changed
                if changed and on_row is not None:
                    on_row(str(old["id"]))
    except store.driver_errors as error:
        raise translate(error) from error
    return written


def protect(url: str, protection: IdProtection, *, batch_size: int = 500,
            progress: Callable[[KeyProgress], None] | None = None,
            on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Turn protection on for the database at ``url``: every row stored in clear (or under a
    previous key) is written again under ``protection``'s current key. See :func:`reseal`."""
    store = SqlStore.connect(url, protection=protection, read_clear=True)
    try:
        return reseal(store, batch_size=batch_size, progress=progress, on_row=on_row)
    finally:
        store.close()


def rotate(url: str, protection: IdProtection, *, batch_size: int = 500,
           progress: Callable[[KeyProgress], None] | None = None,
           on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Move every protected row of the database at ``url`` to ``protection``'s current key; its
    ``previous`` keys must read the rest. A physician in clear is refused (that is
    :func:`protect`); portal rows in clear, from before phones were protected, are converted.
    See :func:`reseal`."""
    store = SqlStore.connect(url, protection=protection)
    try:
        return reseal(store, batch_size=batch_size, progress=progress, on_row=on_row)
    finally:
        store.close()


def _protection(store: SqlStore) -> IdProtection:
    if store.protection is None:
        raise ValidationError("protection", "the store has no ID protection key",
                              field_label="加密密钥")
    return store.protection
