"""Schema migrations: alembic scripts shipped in ``mdreg/adapters/sql/migrations``.

:func:`upgrade` and :func:`downgrade` take a URL or an engine made by
:func:`~mdreg.adapters.sql.engine.create_engine`. Each runs in one transaction holding a lock —
``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL — so several processes may call
:func:`upgrade` at start-up: one migrates, the others wait and find the schema at head.
:func:`current` and :func:`at_head` only read the version table, without any lock, so a database
at head opens while another process holds its write lock.
:func:`drift` compares the tables with a migrated database (alembic autogenerate);
:func:`revision` writes the next migration script from that comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from mdreg.adapters.sql.engine import create_engine
from mdreg.adapters.sql.tables import METADATA
from mdreg.adapters.sql.translation import translate
from mdreg.errors import PersistenceError, ValidationError

SCRIPT_LOCATION = str(Path(__file__).with_name("migrations"))
VERSION_TABLE = "mdreg_alembic_version"
#: pg_advisory_xact_lock key held while migrating ("mdrg").
ADVISORY_LOCK_KEY = 0x6D647267
FILE_TEMPLATE = "r%%(rev)s_%%(slug)s"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration for mdreg's scripts (``connection`` is used by ``env.py``)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLE
    return config


@contextmanager
def _locked(database: str | Engine, *, lock: bool = True) -> Iterator[Connection]:
    """A connection in a transaction holding the migration lock (``lock=False``: one that only
    reads, taking no lock)."""
    engine = create_engine(database) if isinstance(database, str) else database
    try:
        with engine.connect() as conn, conn.begin():
            if lock and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif lock:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            yield conn
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    finally:
        if isinstance(database, str):
            engine.dispose()


def _run(database: str | Engine, action: str, revision: str) -> None:
    with _locked(database) as conn:
        try:
            getattr(command, action)(alembic_config(conn), revision)
        except CommandError as exc:
            raise ValidationError("revision", f"cannot {action} to {revision!r}",
                                  field_label="数据库版本") from exc


def upgrade(database: str | Engine, revision: str = "head") -> None:
    """Migrate the schema up to ``revision`` (the newest by default).

    Raises:
        PersistenceError: the database cannot be reached or refused a statement.
        ValidationError: an unknown revision.
    """
    _run(database, "upgrade", revision)


def downgrade(database: str | Engine, revision: str) -> None:
    """Migrate the schema down to ``revision`` (``"base"``: drop every mdreg table)."""
    _run(database, "downgrade", revision)


def current(database: str | Engine) -> str | None:
    """The revision the database is at, or ``None`` before the first migration (read without
    taking any lock)."""
    with _locked(database, lock=False) as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def at_head(database: str | Engine) -> bool:
    """Whether the database is at the newest revision shipped (read without taking any lock:
    :func:`upgrade` is needed only when this is false)."""
    return current(database) == head()


def head() -> str:
    """The newest revision shipped."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:  # pragma: no cover - the package ships its scripts
        raise PersistenceError("no migration scripts found")
    return found


def drift(database: str | Engine) -> list[Any]:
    """Differences between the tables and a migrated database; empty when they agree."""
    with _locked(database) as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        return list(compare_metadata(context, METADATA))


def revision(database: str | Engine, message: str) -> None:
    """Write the next migration script, autogenerated against ``database`` (at head)."""
    number = int(head()) + 1
    with _locked(database) as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True,
                         rev_id=f"{number:04d}")
