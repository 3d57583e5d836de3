"""Date arithmetic for legal periods counted in years."""

from __future__ import annotations

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


def within_years(event: date, years: int, on: date) -> bool:
    """Whether ``on`` falls less than ``years`` years after ``event``."""
    return event <= on < add_years(event, years)
