"""Boundary days: a dated threshold tested on the day before, the day itself and the day after.

A rule that counts time — "less than two years since …", "a ban not yet expired", "in force
from …" — turns on one day. :func:`boundary` takes that day (a date, or a function of the facts
giving one), a function that builds the case for a given day, and the expected outcome on each
of the three days; the :class:`BoundaryCase` objects it returns name the rule, the threshold
and the position, and feed ``pytest.mark.parametrize``:

>>> from mdreg.domain.dates import add_years
>>> cases = boundary(add_years, facts=date(2024, 3, 2), years=2, name="R-REG-4",
...                  build=lambda day: day, before=True, on=False)
>>> [(c.id, c.expected) for c in cases]
[('R-REG-4-day_before-2026-03-01', True), ('R-REG-4-on_the_day-2026-03-02', False), \
('R-REG-4-day_after-2026-03-03', False)]

With the rule kit, ``expected`` says whether the rule is refused (``True``) or passes:
:meth:`BoundaryCase.assert_rule` checks a scenario's :class:`~mdreg.testing.scenario.Outcome`
or a :class:`~mdreg.rules.Verdict` against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any, Generic, Protocol, TypeVar, overload

import attrs

from mdreg.rules.base import Verdict

C = TypeVar("C")
E = TypeVar("E")
F = TypeVar("F")

#: The three positions around a threshold, with their offsets in days.
POSITIONS: tuple[tuple[str, int], ...] = (("day_before", -1), ("on_the_day", 0), ("day_after", 1))


class Judgement(Protocol):
    """A scenario's ``Outcome``, or anything else naming the failed rules as ``rule_ids``."""

    @property
    def rule_ids(self) -> tuple[str, ...]: ...


@attrs.frozen
class BoundaryCase(Generic[C, E]):
    """One of the three days around a threshold: ``position`` (``day_before``, ``on_the_day``,
    ``day_after``), the ``day``, the ``case`` built for it and the ``expected`` outcome."""

    name: str
    position: str
    threshold: date
    day: date
    case: C
    expected: E

    @property
    def id(self) -> str:
        """``R-REG-4-day_before-2026-03-01``: a pytest id naming the rule, position and day."""
        return "-".join(filter(None, (self.name, self.position, self.day.isoformat())))

    def param(self) -> Any:
        """This case as a ``pytest.param`` with its :attr:`id` (one argument: the case)."""
        import pytest

        return pytest.param(self, id=self.id)

    def assert_rule(self, result: Verdict | Judgement, rule_id: str) -> None:
        """Assert that ``rule_id`` failed in ``result`` exactly when ``expected`` is true."""
        failed = result.failed_rule_ids if isinstance(result, Verdict) else result.rule_ids
        if (rule_id in failed) is not bool(self.expected):
            wanted = "refused by" if self.expected else "not refused by"
            raise AssertionError(f"{self.id}: expected {wanted} {rule_id} on {self.day} "
                                 f"(threshold {self.threshold}); failed: {list(failed)}")


@attrs.frozen
class Boundary(Generic[C, E]):
    """The three :class:`BoundaryCase` objects of one threshold, in day order."""

    cases: tuple[BoundaryCase[C, E], ...]

    def __iter__(self) -> Iterator[BoundaryCase[C, E]]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def params(self) -> list[Any]:
        """The cases as ``pytest.param`` objects, for ``pytest.mark.parametrize("case", …)``."""
        return [case.param() for case in self.cases]


@overload
def boundary(threshold: date, *, build: Callable[[date], C], before: E, on: E,
             after: E | None = None, name: str = "") -> Boundary[C, E]: ...


@overload
def boundary(threshold: Callable[..., date], *, facts: Any, build: Callable[[date], C],
             before: E, on: E, after: E | None = None, name: str = "",
             **arguments: Any) -> Boundary[C, E]: ...


def boundary(threshold: date | Callable[..., date], *, build: Callable[[date], C], before: E,
             on: E, after: E | None = None, name: str = "", facts: Any = None,
             **arguments: Any) -> Boundary[C, E]:
    """The day before ``threshold``, the day and the day after, each with its case and outcome.

    Args:
        threshold: the day the outcome turns on, or a function giving it from ``facts`` (called
            as ``threshold(facts, **arguments)``, e.g. ``add_years`` with ``years=2``).
        build: makes the case for a day (the application date, or the date of a fact).
        before, on, after: the expected outcome on each day; ``after`` defaults to ``on``.
        name: the rule's reference (``R-REG-4``), leading each case's id.
    """
    if isinstance(threshold, date):
        if facts is not None or arguments:
            raise TypeError("facts and arguments are for a threshold given as a function")
        day = threshold
    else:
        day = threshold(facts, **arguments)
    expected = (before, on, on if after is None else after)
    return Boundary(tuple(
        BoundaryCase(name, position, day, day + timedelta(days=offset),
                     build(day + timedelta(days=offset)), outcome)
        for (position, offset), outcome in zip(POSITIONS, expected, strict=True)))
