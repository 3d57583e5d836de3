"""Open a registry on a backend named by URL."""

from __future__ import annotations

import weakref
from typing import Any, Literal

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.calendar import WorkingDayCalendar
from mdreg.clock import Clock
from mdreg.errors import ValidationError
from mdreg.limits import Limits
from mdreg.protection import IdProtection
from mdreg.rules import Policy
from mdreg.service.ids import IdGenerator
from mdreg.service.registry import Registry
from mdreg.workflows import BASE_POLICY

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
    :func:`~mdreg.calendar.default_calendar`, without fallback, so a deadline reaching a year
    without data raises :class:`~mdreg.errors.CalendarDataMissing`; pass
    ``ChineseCalendar(overrides=…)`` or one with an explicit ``fallback`` to change that.

    On a SQL backend the schema is upgraded to the newest migration first unless
    ``migrate=False`` (then run :func:`mdreg.adapters.sql.upgrade` yourself). The registry's
    connections are closed when it is garbage-collected.

    ``limits`` caps one application's history (:class:`~mdreg.limits.Limits`). ``isolation``
    (PostgreSQL): ``"read committed"`` (the default; versions and unique indexes catch
    conflicting writers) or ``"serializable"`` (every unit one serializable transaction;
    serialization failures are retried, up to five attempts). SQLite serializes writers anyway.
    ``protection`` (:class:`~mdreg.protection.IdProtection`) keeps resident ID numbers out of
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
    if url.startswith("memory://"):
        store = MemoryStore()
        return Registry(lambda: InMemoryUnitOfWork(store), clock=clock, policy=policy, ids=ids,
                        url=url, calendar=calendar, limits=limits)
    if url.startswith(SQL_SCHEMES):
        return _open_sql(url, clock=clock, policy=policy, ids=ids, migrate=migrate,
                         calendar=calendar, limits=limits, isolation=isolation,
                         protection=protection)
    raise ValidationError("url", f"unsupported database URL scheme in {url.split(':', 1)[0]!r}",
                          field_label="数据库地址")


def _open_sql(url: str, *, clock: Clock | None, policy: Policy, ids: IdGenerator | None,
              migrate: bool, calendar: WorkingDayCalendar | None, limits: Limits | None,
              isolation: str, protection: IdProtection | None) -> Registry:
    # SQLAlchemy is imported only when a SQL URL is used, alembic only when migrating
    from mdreg.adapters.sql import SqlStore, display_url

    options: dict[str, Any] = ({"isolation_level": "SERIALIZABLE"}
                               if isolation == "serializable" and not url.startswith("sqlite")
                               else {})
    store = SqlStore.connect(url, protection=protection, **options)
    if migrate:
        from mdreg.adapters.sql.migrate import upgrade

        try:
            upgrade(store.engine)
        except BaseException:
            store.close()
            raise
    registry = Registry(store.unit_of_work, clock=clock, policy=policy, ids=ids, url=display_url(url),
                        transaction=store.run_in_transaction, calendar=calendar,
                        release=store.close, limits=limits)
    weakref.finalize(registry, store.close)
    return registry
