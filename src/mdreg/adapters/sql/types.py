"""Column types: aware-UTC timestamps on every dialect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from mdreg.domain.clock import ensure_aware

_Processor = Callable[[Any], Any]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is aware UTC in Python on every backend.

    Binding a naive datetime raises :class:`~mdreg.errors.ValidationError`. PostgreSQL stores
    ``timestamptz``; SQLite stores ISO text in UTC without an offset (so text order is time
    order), and values come back with ``tzinfo=UTC``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = ensure_aware(value)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def bind_processor(self, dialect: Dialect) -> _Processor | None:
        """On SQLite, the UTC text in one call (the same text SQLAlchemy's ``DATETIME``
        formats field by field after :meth:`process_bind_param`)."""
        if dialect.name == "sqlite":
            return _sqlite_bind_timestamp
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: object) -> _Processor | None:
        """On SQLite, one C-level parse per value (SQLAlchemy's own parser, a regular
        expression, then this type's conversion cost about eight times as much per row read)."""
        if dialect.name == "sqlite":
            return _sqlite_timestamp
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _sqlite_timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:  # stored without an offset: read as UTC (``replace(tzinfo=…)`` costs more than this)
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # it has an offset of its own
        return datetime.fromisoformat(value).astimezone(UTC)


def _sqlite_bind_timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return ensure_aware(value).replace(tzinfo=None).isoformat(" ", "microseconds")
