"""时钟 — injectable clocks and the business date.

All timestamps mdreg stores are timezone-aware UTC. Legal periods are counted in business dates,
which are dates in Asia/Shanghai (China has one time zone and no daylight saving time).

>>> from datetime import datetime, UTC
>>> business_date(datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC))
datetime.date(2026, 9, 30)
>>> business_date(datetime(2026, 9, 30, 16, 0, 0, tzinfo=UTC))
datetime.date(2026, 10, 1)
>>> clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
>>> clock.advance(days=1).isoformat()
'2026-01-02T00:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from mdreg.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Source of the current time; returns an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (aware)."""
        self._now = ensure_aware(when, "when")
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self._now += timedelta(**delta)
        return self._now


def ensure_aware(value: datetime, field: str = "timestamp") -> datetime:
    """Return ``value`` in UTC; a naive datetime is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "naive datetime; pass a timezone-aware value", field_label="时间")
    return value.astimezone(UTC)


def business_date(value: datetime) -> date:
    """The calendar date in Asia/Shanghai of an aware timestamp."""
    return ensure_aware(value).astimezone(SHANGHAI).date()
