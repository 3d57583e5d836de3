"""SQL backend: SQLite (the embedded default) and PostgreSQL, on SQLModel tables and Core.

>>> import tempfile, pathlib
>>> from mdreg.adapters.sql import SqlStore, upgrade
>>> with tempfile.TemporaryDirectory() as tmp:
...     store = SqlStore.connect(f"sqlite:///{pathlib.Path(tmp) / 'mdreg.db'}")
...     upgrade(store.engine)
...     with store.unit_of_work() as uow:
...         print(uow.audit.count())
...     store.close()
0

:func:`upgrade` and :func:`downgrade` live in :mod:`mdreg.adapters.sql.migrate`, imported on
first use (alembic is not needed to run on a migrated database).
"""

from __future__ import annotations

from typing import Any

from mdreg.adapters.sql.engine import create_engine, display_url, parse_url
from mdreg.adapters.sql.store import RetryPolicy, SqlStore
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "RetryPolicy",
    "SqlStore",
    "SqlUnitOfWork",
    "create_engine",
    "display_url",
    "downgrade",
    "parse_url",
    "upgrade",
]


def __getattr__(name: str) -> Any:
    if name in ("upgrade", "downgrade"):
        from mdreg.adapters.sql import migrate

        return getattr(migrate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
