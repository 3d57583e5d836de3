"""Scratch PostgreSQL databases for test suites.

>>> from mdreg.testing.databases import database_name
>>> database_name("mdreg_s11").startswith("mdreg_s11_")
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def database_name(prefix: str) -> str:
    """``prefix`` with the xdist worker and the test run: two sessions on one server (or two
    workers of one session) never drop each other's database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{prefix}_{worker}_{run}"


@contextmanager
def scratch_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url`` (any database there that the
    role may connect to), named by :func:`database_name`; dropped on exit. Yields its URL."""
    name = database_name(prefix)
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """:func:`scratch_postgres` with mdreg's schema migrated to the head. Yields its URL."""
    from mdreg.adapters.sql import migrate

    with scratch_postgres(server_url, prefix) as url:
        migrate.upgrade(url)
        yield url


@contextmanager
def backend_url(backend: str, directory: Path, prefix: str, server_url: str = ""
                ) -> Iterator[str]:
    """A registry URL of ``backend``: ``memory``, ``sqlite`` (a file in ``directory``) or
    ``postgres`` (a migrated scratch database on ``server_url``, dropped on exit)."""
    if backend == "postgres":
        with migrated_postgres(server_url, prefix) as url:
            yield url
    elif backend == "sqlite":
        yield f"sqlite:///{directory / (prefix + '.db')}"
    else:
        yield "memory://"
