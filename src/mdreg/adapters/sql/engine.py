"""Engines for the two supported databases, configured once.

* SQLite (``sqlite:///path`` or ``sqlite+pysqlite:///path``): a file, never ``:memory:`` (each
  connection would get its own database). On connect: WAL journal, ``busy_timeout`` 5000 ms,
  foreign keys on, and sqlite3's own transaction handling off: a unit of work opens its
  transactions itself (``BEGIN`` before its first read, ``BEGIN IMMEDIATE`` before its first
  write).
* PostgreSQL (``postgresql+psycopg://…``; plain ``postgresql://`` means psycopg 3 too): READ
  COMMITTED, a 5 s connect timeout. Stale writes are caught by the version column.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from mdreg.adapters.sql.translation import SQLITE_BUSY
from mdreg.errors import ValidationError

BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 5
SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_DRIVERS = frozenset({"postgresql", "postgresql+psycopg"})


def _invalid(url: str, message: str) -> ValidationError:
    scheme = url.split(":", 1)[0]
    return ValidationError("url", f"{message} (scheme {scheme!r})", field_label="数据库地址")


def parse_url(url: str) -> URL:
    """Validate a database URL and pin its driver.

    Raises:
        ValidationError: not a SQLite file or PostgreSQL (psycopg) URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _invalid(url, "not a database URL") from None
    if parsed.drivername in SQLITE_DRIVERS:
        if not parsed.database or parsed.database == ":memory:" or "mode=memory" in url:
            raise _invalid(url, "SQLite needs a file path; use memory:// for an in-memory registry")
        return parsed.set(drivername="sqlite+pysqlite")
    if parsed.drivername in POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    raise _invalid(url, "unsupported database; use sqlite:///path or postgresql+psycopg://…")


def display_url(url: str | URL) -> str:
    """The URL with any password hidden."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def create_engine(url: str, **options: Any) -> Engine:
    """A configured engine for ``url`` (no connection is made yet).

    Raises:
        ValidationError: an unsupported or malformed URL, or a missing driver.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, options)
        return _postgres_engine(parsed, options)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise _invalid(url, f"cannot create an engine ({type(exc).__name__})") from exc


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    engine = sqlalchemy.create_engine(url, **options)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 must not open transactions by itself: the unit of work issues BEGIN before its
    # first read and BEGIN IMMEDIATE before its first write.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch a database to WAL once. The switch needs the database to itself and, unlike a
    write, does not wait through ``busy_timeout``: connections racing to open a new file wait
    here instead, for up to the same 5 s."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != SQLITE_BUSY or \
                    time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _postgres_engine(url: URL, options: dict[str, Any]) -> Engine:
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "mdreg"}
    connect_args.update(options.pop("connect_args", {}))
    options.setdefault("isolation_level", "READ COMMITTED")
    return sqlalchemy.create_engine(url, connect_args=connect_args, **options)
