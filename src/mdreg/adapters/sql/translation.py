"""Driver errors → mdreg errors, in one place, for SQLite (sqlite3) and PostgreSQL (psycopg).

* a unique index or key that guards an invariant → :class:`~mdreg.errors.UniquenessConflict`
  with the constraint name the memory backend uses;
* a slot a concurrent writer took first (audit ``seq``, an idempotency key) →
  :class:`~mdreg.errors.ConcurrencyConflict`;
* anything else → :class:`~mdreg.errors.PersistenceError` with the driver error as
  ``__cause__``. Messages never repeat the driver's text: PostgreSQL quotes the offending values,
  and those may be ID numbers.

:func:`is_transient` tells which failures a retry of the whole unit of work may cure:
serialization failures and deadlocks on PostgreSQL (40001, 40P01), a busy or locked database on
SQLite.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from functools import cache

import attrs
from sqlalchemy import exc as sa_exc

from mdreg.adapters.sql.tables import METADATA
from mdreg.errors import ConcurrencyConflict, MdregError, PersistenceError, UniquenessConflict

PG_TRANSIENT = frozenset({"40001", "40P01"})
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes; extended codes add high bits
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


@attrs.frozen
class Subject:
    """What the failing statement wrote: ``kind``, ``key`` and the version it expected."""

    kind: str
    key: str
    expected: int = 0


def _uniqueness(constraint: str, message: str) -> Callable[[Subject | None], MdregError]:
    return lambda _: UniquenessConflict(constraint, message)


def _taken(subject: Subject | None) -> MdregError:
    if subject is None:
        return PersistenceError("a concurrent writer took the same key")
    return ConcurrencyConflict(subject.kind, subject.key, subject.expected, subject.expected + 1)


#: Violated constraint → the typed error. New tables add their invariants here.
CONSTRAINTS: dict[str, Callable[[Subject | None], MdregError]] = {
    "registration_location": _uniqueness(
        "registration_location", "a physician has two valid registrations at one location"),
    "assistant_single_registration": _uniqueness(
        "assistant_single_registration", "an assistant has two valid registrations"),
    "active_filing": _uniqueness("active_filing", "the institution is already actively filed"),
    "open_application": _uniqueness(
        "open_application", "an open application of this type and target already exists"),
    "physician_id_number": _uniqueness("physician_id_number", "ID number already registered"),
    "pk_applications": _uniqueness("application_id", "the application exists"),
    "account_login_name": _uniqueness("account_login_name", "the login name is taken"),
    "account_physician": _uniqueness("account_physician",
                                     "the physician already has an account"),
    "pending_personal_change": _uniqueness("pending_personal_change",
                                           "a change of this kind is already pending"),
    "pk_accounts": _uniqueness("account_id", "the account exists"),
    "pk_one_time_codes": _uniqueness("one_time_code_id", "the code exists"),
    "pk_outbox_messages": _uniqueness("outbox_id", "the message exists"),
    "pk_personal_changes": _uniqueness("personal_change_id", "the change exists"),
    "pk_practice_info": _taken,
    "open_deadline": _uniqueness("open_deadline",
                                 "the subject already has an open deadline of this kind"),
    "pk_deadlines": _uniqueness("deadline_id", "the deadline exists"),
    "audit_seq": _taken,
    "pk_idempotency_keys": _taken,
}


@cache
def _unique_columns() -> dict[tuple[str, tuple[str, ...]], str]:
    """(table, columns) → name of every unique index and key: SQLite names columns only."""
    found: dict[tuple[str, tuple[str, ...]], str] = {}
    for table in METADATA.tables.values():
        keys = [(table.primary_key.name, table.primary_key.columns)]
        keys += [(ix.name, ix.columns) for ix in table.indexes if ix.unique]
        for name, columns in keys:
            found[(table.name, tuple(c.name for c in columns))] = str(name)
    return found


def constraint_name(error: BaseException) -> str | None:
    """The violated constraint's name, from psycopg's diagnostics or SQLite's message
    (``error``: the driver's error, or SQLAlchemy's wrapping it)."""
    orig = (error.orig if isinstance(error, sa_exc.DBAPIError) else None) or error
    diag = getattr(orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    match = _SQLITE_UNIQUE.search(str(orig))
    if match is None:
        return None
    qualified = [part.strip().split(".", 1) for part in match.group(1).split(",")]
    table = qualified[0][0]
    return _unique_columns().get((table, tuple(col for _, col in qualified)))


def _sqlite_code(error: BaseException) -> int | None:
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None)
    return None


def _is_integrity(error: BaseException, orig: BaseException) -> bool:
    if isinstance(error, sa_exc.IntegrityError) or isinstance(orig, sqlite3.IntegrityError):
        return True
    return str(getattr(orig, "sqlstate", None) or "").startswith("23")  # psycopg: class 23


def translate(error: BaseException, subject: Subject | None = None, *,
              lost: bool = False) -> MdregError:
    """The mdreg error for a failed statement, begin or commit: ``error`` is the driver's
    (sqlite3, psycopg) or SQLAlchemy's; ``lost`` says the connection is known to be gone.

    Raise it ``from error`` so the driver error stays attached as ``__cause__`` — unless
    :func:`carries_row_values`: an integrity error's text quotes the row's values (PostgreSQL's
    ``DETAIL: Key (id_number)=(…)``), so raise the mdreg error, which names the constraint,
    *after* the ``except`` block, with neither cause nor context.
    """
    if isinstance(error, sa_exc.StatementError) and isinstance(error.orig, MdregError):
        return error.orig  # raised by a column type (a naive datetime)
    orig = (error.orig if isinstance(error, sa_exc.DBAPIError) else None) or error
    if _is_integrity(error, orig):
        name = constraint_name(error)
        if name in CONSTRAINTS:
            return CONSTRAINTS[name](subject)
        return PersistenceError(f"integrity constraint {name or '(unnamed)'} violated")
    if lost or (isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated):
        return PersistenceError("the database connection was lost")
    return PersistenceError(_describe(orig or error))


def _describe(orig: BaseException) -> str:
    sqlstate = getattr(orig, "sqlstate", None)
    code = getattr(orig, "sqlite_errorname", None)
    detail = f" ({sqlstate or code})" if (sqlstate or code) else ""
    return f"database error {type(orig).__name__}{detail}"


def is_transient(error: BaseException) -> bool:
    """Whether retrying the whole unit of work may succeed (``error`` or its cause)."""
    return transient_code(error) is not None


def transient_code(error: BaseException) -> str | None:
    """The SQLSTATE (``40001``, ``40P01``) or SQLite error name (``SQLITE_BUSY`` …) of a
    failure a retry may cure, or ``None`` for any other failure."""
    cause = error.__cause__ if isinstance(error, MdregError) else error
    if isinstance(cause, sa_exc.DBAPIError):
        cause = cause.orig
    if cause is None:
        return None
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in PG_TRANSIENT:
        return str(sqlstate)
    code = _sqlite_code(cause)
    if code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED):
        primary = "SQLITE_BUSY" if code & 0xFF == SQLITE_BUSY else "SQLITE_LOCKED"
        return str(getattr(cause, "sqlite_errorname", None) or primary)
    return None


def carries_row_values(error: BaseException) -> bool:
    """Whether the driver's text for ``error`` may quote row values (an integrity error)."""
    orig = (error.orig if isinstance(error, sa_exc.DBAPIError) else None) or error
    return _is_integrity(error, orig)
