"""密钥轮换 — turning ID protection on for a database, and rotating its key, online.

:func:`protect` converts a database holding ID numbers in clear; :func:`rotate` re-seals and
re-indexes every physician under the current key of an :class:`~mdreg.infra.protection
.IdProtection` whose ``previous`` keys read the rest. Both walk the physicians in batches of
``batch_size``, one transaction per batch; each physician is re-read under the hold the
registry takes for it (:meth:`~mdreg.ports.UnitOfWork.hold_physician`) and written back
through the protected mapper, so other processes may keep working meanwhile (with the same
keyring). A row is converted by one statement — its index and its sealed number together —
so no row is ever half converted.

No separate state is kept: a row is done when its ``id_number`` column begins with the current
key's index prefix (``hmac-sha256/hkdf:<key id>:``), so running either again after a crash
(or on a database already converted) finishes the rest and counts the rows done before.
:func:`key_progress` counts them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Select, func, not_, select

from mdreg.adapters.sql import tables
from mdreg.adapters.sql.store import SqlStore
from mdreg.adapters.sql.translation import translate
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork
from mdreg.errors import ValidationError
from mdreg.infra.protection import IdProtection

_physicians = tables.physicians


@attrs.frozen
class KeyProgress:
    """Physicians under the current key (``done``, ``key_id``) and the rest (``remaining``:
    in clear, or under a previous key); counts only, no personal data."""

    key_id: str
    done: int
    remaining: int


@attrs.frozen
class ResealReport:
    """What :func:`protect` or :func:`rotate` did: ``converted`` rows now, and the counts
    after the run."""

    converted: int
    progress: KeyProgress


def _pending(protection: IdProtection) -> ColumnElement[Any]:
    return not_(_physicians.c.id_number.startswith(protection.index_prefix, autoescape=True))


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
    total = _read(store, select(func.count()).select_from(_physicians))[0]
    remaining = _read(store, select(func.count()).select_from(_physicians).where(
        _pending(protection)))[0]
    return KeyProgress(protection.key_id, total - remaining, remaining)


def reseal(store: SqlStore, *, batch_size: int = 500,
           progress: Callable[[KeyProgress], None] | None = None,
           on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Write every physician not under ``store``'s current key again, under it; see the module.
    ``progress`` is called with the counts after each batch; ``on_row`` with each physician's
    id after it is written, inside its batch's transaction (an observer: what it raises rolls
    the batch back).

    Raises:
        ValidationError: the store has no protection, or ``batch_size`` is not 1 to 10000.
        SerializationError: a row is in clear (use :func:`protect`) or under a key the
            keyring lacks; the batches before it stay converted.
    """
    protection = _protection(store)
    if not 1 <= batch_size <= 10_000:
        raise ValidationError("batch_size", "a batch holds 1 to 10000 physicians",
                              field_label="批次大小")
    converted, after = 0, ""
    while True:
        ids = _read(store, select(_physicians.c.id).where(
            _physicians.c.id > after, _pending(protection)
        ).order_by(_physicians.c.id).limit(batch_size))
        if not ids:
            break
        converted += store.run_in_transaction(functools.partial(_batch, store, ids, on_row))
        after = ids[-1]
        if progress is not None:
            progress(key_progress(store))
    return ResealReport(converted, key_progress(store))


def _batch(store: SqlStore, ids: list[str], on_row: Callable[[str], None] | None) -> int:
    written = 0
    with SqlUnitOfWork(store) as uow:
        for physician_id in ids:  # sorted: one lock order for every run
            uow.hold_physician(physician_id)
            physician = uow.physicians.get(physician_id)
            if physician is None:  # deleted since the batch was listed
                continue
            uow.physicians.put(physician)
            written += 1
            if on_row is not None:
                on_row(physician_id)
        uow.commit()
    return written


def protect(url: str, protection: IdProtection, *, batch_size: int = 500,
            progress: Callable[[KeyProgress], None] | None = None,
            on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Turn protection on for the database at ``url``: every physician stored in clear (or
    under a previous key) is written again under ``protection``'s current key. See
    :func:`reseal`."""
    store = SqlStore.connect(url, protection=protection, read_clear=True)
    try:
        return reseal(store, batch_size=batch_size, progress=progress, on_row=on_row)
    finally:
        store.close()


def rotate(url: str, protection: IdProtection, *, batch_size: int = 500,
           progress: Callable[[KeyProgress], None] | None = None,
           on_row: Callable[[str], None] | None = None) -> ResealReport:
    """Move every physician of the database at ``url`` to ``protection``'s current key; its
    ``previous`` keys must read the rest. A row in clear is refused (that is :func:`protect`).
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
