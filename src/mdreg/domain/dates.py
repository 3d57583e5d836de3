"""Date arithmetic for legal periods counted in years and months."""

from __future__ import annotations

from calendar import monthrange
from datetime import date


def add_years(start: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls back to 28 February.

    >>> add_years(date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the month's last day if that month is shorter.

    >>> add_months(date(2026, 8, 31), 6), add_months(date(2026, 10, 15), 3)
    (datetime.date(2027, 2, 28), datetime.date(2027, 1, 15))
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def within_years(event: date, years: int, on: date) -> bool:
    """Whether ``on`` falls less than ``years`` years after ``event``."""
    return event <= on < add_years(event, years)
