"""Open a registry on a backend named by URL."""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.domain.calendar import WorkingDayCalendar, default_calendar
from mdreg.domain.clock import Clock, SystemClock
from mdreg.errors import PersistenceError, ValidationError
from mdreg.infra.limits import Limits
from mdreg.infra.protection import IdProtection
from mdreg.infra.storage import FileSystemPhotoStore, InMemoryPhotoStore, PhotoStore
from mdreg.ports import UnitOfWork
from mdreg.rules import Policy
from mdreg.service.ids import IdGenerator, RandomIds
from mdreg.service.records import publish
from mdreg.service.registry import Registry
from mdreg.service.services import BulkImporter, Services, TransactionRunner, run_once
from mdreg.workflows import BASE_POLICY

if TYPE_CHECKING:
    from mdreg.adapters.sql import SqlStore

_log = logging.getLogger(__name__)

#: What :func:`open` opens when no URL is given: a SQLite file in the current directory.
DEFAULT_URL = "sqlite:///mdreg.db"
SQL_SCHEMES = ("sqlite:", "sqlite+pysqlite:", "postgresql:", "postgresql+psycopg:")


def open(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    policy: Policy = BASE_POLICY,
    ids: IdGenerator | None = None,
    migrate: bool = True,
    calendar: WorkingDayCalendar | None = None,
    limits: Limits | None = None,
    isolation: Literal["read committed", "serializable"] = "read committed",
    protection: IdProtection | None = None,
) -> Registry:
    """Open a registry.

    * ``memory://`` — a complete in-memory backend (atomic commits, rollback, invariants);
    * ``sqlite:///path/to/mdreg.db`` — a SQLite file (the default: ``mdreg.db`` in the current
      directory);
    * ``postgresql+psycopg://user@host/db`` — PostgreSQL, shared by many processes and hosts.

    ``calendar`` counts working days for legal deadlines: by default
    :func:`~mdreg.domain.calendar.default_calendar`, whose weekday fallback makes a deadline
    reaching a year without holiday data *provisional* (recomputed when the year is imported,
    :meth:`Registry.import_calendar`); the years imported into the database are added when the
    registry opens.

    On a SQL backend the schema is upgraded to the newest migration first unless
    ``migrate=False`` (then run :func:`mdreg.adapters.sql.upgrade` yourself). The schema version
    is read without a lock; only an upgrade takes the write lock, waiting for it as commands do
    (transient failures retried), so a database at head opens while another process writes. The registry's
    connections are closed when it is garbage-collected.

    ``limits`` caps one application's history (:class:`~mdreg.infra.limits.Limits`). ``isolation``
    (PostgreSQL): ``"read committed"`` (the default; versions and unique indexes catch
    conflicting writers) or ``"serializable"`` (every unit one serializable transaction;
    serialization failures are retried, up to five attempts). SQLite serializes writers anyway.
    ``protection`` (:class:`~mdreg.infra.protection.IdProtection`) keeps resident ID numbers out of
    a SQL database in clear (a blind index and a sealed copy); the in-memory registry keeps
    nothing at rest and ignores it.

    >>> import mdreg
    >>> mdreg.open("memory://")
    Registry('memory://', policy='base')

    Raises:
        ValidationError: an unsupported or malformed URL, or an unknown isolation level.
        PersistenceError: the database cannot be reached or migrated.
    """
    url = DEFAULT_URL if url is None else url
    if isolation not in ("read committed", "serializable"):
        raise ValidationError("isolation", f"unknown isolation level {isolation!r}",
                              field_label="隔离级别")
    options = _Options(clock=clock, policy=policy, ids=ids, calendar=calendar, limits=limits)
    if url.startswith("memory://"):
        store = MemoryStore()
        registry = Registry(options.services(lambda: InMemoryUnitOfWork(store), url=url))
        publish(registry.services)
        return registry
    if url.startswith(SQL_SCHEMES):
        return _open_sql(url, options, migrate=migrate, isolation=isolation,
                         protection=protection)
    raise ValidationError("url", f"unsupported database URL scheme in {url.split(':', 1)[0]!r}",
                          field_label="数据库地址")


def default_photo_store(url: str) -> PhotoStore:
    """In memory for ``memory://``; files beside a SQLite database; ``./mdreg-photos`` else."""
    if url.startswith("memory://"):
        return InMemoryPhotoStore()
    if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
        database = Path(url.split(":///", 1)[1].split("?", 1)[0])
        return FileSystemPhotoStore(database.with_name(database.name + ".photos"))
    return FileSystemPhotoStore("mdreg-photos")


class _Options:
    """What the caller of :func:`open` chose, defaults filled in."""

    def __init__(self, *, clock: Clock | None, policy: Policy, ids: IdGenerator | None,
                 calendar: WorkingDayCalendar | None, limits: Limits | None) -> None:
        self.clock = clock or SystemClock()
        self.policy = policy
        self.ids = ids or RandomIds()
        self.calendar = calendar or default_calendar()
        self.limits = limits or Limits()

    def services(self, uow: Callable[[], UnitOfWork], *, url: str,
                 transaction: TransactionRunner = run_once, bulk: BulkImporter | None = None,
                 release: Callable[[], None] | None = None) -> Services:
        return Services(uow=uow, transaction=transaction, clock=self.clock, ids=self.ids,
                        policy=self.policy, calendar=self.calendar, limits=self.limits, url=url,
                        bulk=bulk, photos=default_photo_store(url), release=release)


def _migrate(store: SqlStore) -> None:
    """Upgrade the schema only when it is behind: the version is read without a lock, and the
    upgrade, which needs the write lock, waits for it with the retry policy of commands."""
    from mdreg.adapters.sql.migrate import at_head, upgrade

    def run() -> None:
        if not at_head(store.engine):
            upgrade(store.engine)

    store.retry.call(run)


def _open_sql(url: str, options: _Options, *, migrate: bool, isolation: str,
              protection: IdProtection | None) -> Registry:
    # SQLAlchemy is imported only when a SQL URL is used, alembic only when migrating
    from mdreg.adapters.sql import SqlStore, display_url
    from mdreg.adapters.sql.bulk import import_entities

    engine: dict[str, Any] = ({"isolation_level": "SERIALIZABLE"}
                              if isolation == "serializable" and not url.startswith("sqlite")
                              else {})
    store = SqlStore.connect(url, protection=protection, **engine)
    if migrate:
        try:
            _migrate(store)
        except BaseException:
            store.close()
            raise
    registry = Registry(options.services(
        store.unit_of_work, url=display_url(url), transaction=store.run_in_transaction,
        bulk=functools.partial(import_entities, store), release=store.close))
    weakref.finalize(registry, store.close)
    try:
        registry.reload_calendar()  # the holiday schedules imported into this database
        publish(registry.services)  # the policy revision decisions will name
    except PersistenceError as error:  # a schema older than the tables, opened without migrating
        _log.warning("imported holiday schedules not read or policy revision not published: "
                     "%s", error.message)
    return registry
