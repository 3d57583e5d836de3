"""Databases for the benchmarks: SQLite files, PostgreSQL databases, raw driver connections.

Commit durability. mdreg's SQLite engine leaves ``PRAGMA synchronous`` at SQLite's default (FULL): in
WAL mode every commit then waits for an fsync of the WAL, about 4 ms on this machine's disk — far
more than the work being measured. The benchmarks therefore open every SQLite database, mdreg's
and the raw baselines' alike, with ``synchronous = NORMAL`` (WAL stays consistent; a power loss
may drop the last commits), unless the file name ends in ``_full.db``: those keep FULL, for the
reference rows that show the fsync floor. Both sides of a ratio always use the same setting.
PostgreSQL likewise: benchmark databases get ``synchronous_commit = off`` (no WAL flush wait at
commit; a crash may lose the last commits, never consistency) — under this machine's I/O load a
commit flush took 1.4 ms median, half of a raw command — except databases made with
``durable=True``, for the reference rows at the server default (``on``).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.engine import make_url

import mdreg
from benchmarks.data import START
from mdreg.adapters.sql import SqlStore
from mdreg.adapters.sql.tables import METADATA
from mdreg.domain.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry

FULL_SUFFIX = "_full.db"
PG_PREFIX = "mdreg_bench"
_installed = False


def _sqlite_durability(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    name = next((row[2] for row in dbapi_connection.execute("PRAGMA database_list")
                 if row[1] == "main"), "")
    if not str(name).endswith(FULL_SUFFIX):
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def install() -> None:
    """Apply the SQLite durability setting above to every engine this process creates."""
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _sqlite_durability)
        _installed = True


def sqlite_file(workdir: Path, name: str) -> Path:
    """A fresh (deleted) SQLite path in ``workdir``."""
    path = workdir / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def raw_sqlite(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection configured as mdreg configures its own (WAL, busy timeout, foreign
    keys, explicit transactions), with the same durability setting."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if not str(path).endswith(FULL_SUFFIX):
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


#: The id space of the registries :func:`open_registry` opens (``SequentialIds(worker)``): steps
#: that share one database take different ones (benchmarks.national)
ID_SPACE = 0


def open_registry(url: str) -> Registry:
    """A registry on a fake clock (2026-03-02 09:00 Beijing) with sequential ids."""
    return mdreg.open(url, clock=FakeClock(START), ids=SequentialIds(ID_SPACE))


def copy_sqlite(source: Path, target: Path) -> Path:
    """A copy of a checkpointed SQLite database (its -wal emptied first)."""
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    sqlite_file(target.parent, target.name)
    shutil.copyfile(source, target)
    return target


# -- PostgreSQL -------------------------------------------------------------------------------

class Postgres:
    """Benchmark databases (``mdreg_bench_*``) on one server; never touches any other."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url).set(drivername="postgresql+psycopg")
        self._admin: Engine | None = None
        self.template = f"{PG_PREFIX}_template"
        self._templated = False

    def available(self) -> str:
        """"" when the server answers, else why not."""
        try:
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:  # reported; the PostgreSQL metrics are then skipped
            return f"PostgreSQL unreachable ({type(error).__name__})"
        return ""

    @property
    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        return self._admin

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def dsn(self, name: str) -> str:
        """A libpq connection string for psycopg."""
        url = self.base.set(database=name)
        parts = {"host": url.host, "port": url.port, "user": url.username, "password": url.password,
                 "dbname": name}
        return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)

    def version(self) -> str:
        with self.admin.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())

    def drop(self, name: str) -> None:
        if not name.startswith(PG_PREFIX):
            raise ValueError(f"refusing to drop {name!r}: not a benchmark database")
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def fresh(self, name: str, *, durable: bool = False) -> str:
        """A new, migrated, empty database ``mdreg_bench_<name>``; returns its URL.

        Unless ``durable``, the database gets ``synchronous_commit = off`` (see the module
        docstring), which every connection to it — mdreg's, the raw baseline's, simulation
        worker processes' — picks up.
        """
        full = f"{PG_PREFIX}_{name}"
        self._ensure_template()
        self.drop(full)
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{full}" TEMPLATE "{self.template}"'))
            if not durable:
                conn.execute(text(f'ALTER DATABASE "{full}" SET synchronous_commit = off'))
        return self.url(full)

    def _ensure_template(self) -> None:
        if self._templated:
            return
        self.drop(self.template)
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        from mdreg.adapters.sql import migrate

        engine = create_engine(self.url(self.template))
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        self._templated = True

    def truncate(self, url: str, tables: tuple[str, ...] | None = None) -> None:
        names = tables or tuple(t.name for t in METADATA.sorted_tables)
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
        finally:
            engine.dispose()

    def cleanup(self) -> None:
        """Drop every ``mdreg_bench_*`` database this process created."""
        with self.admin.connect() as conn:
            names = [row[0] for row in conn.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{PG_PREFIX}_%"})]
        for name in names:
            self.drop(name)
        self._templated = False
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None


@contextmanager
def psycopg_connection(dsn: str) -> Iterator[Any]:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=False)
    try:
        yield conn
    finally:
        conn.close()


def insert_rows(url: str, batches: Sequence[tuple[Table, Sequence[dict[str, Any]]]]) -> SqlStore:
    """Insert each (table, rows) in batches of 5,000 in one transaction, analyze the tables on
    PostgreSQL (fresh statistics for the planner), and return the store."""
    store = SqlStore.connect(url)
    with store.engine.begin() as conn:
        for table, rows in batches:
            for start in range(0, len(rows), 5_000):
                conn.execute(insert(table), list(rows[start:start + 5_000]))
    if store.dialect == "postgresql":
        names = ", ".join(table.name for table, _ in batches)
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f"VACUUM ANALYZE {names}")
    return store
