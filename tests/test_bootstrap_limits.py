"""mdreg.open's options: limits and isolation (the caps themselves: tests/adapters/reliability.py)."""

from __future__ import annotations

from typing import Any

import pytest

import mdreg


def test_an_unknown_isolation_level_is_refused() -> None:
    bad: Any = "read uncommitted"
    with pytest.raises(mdreg.ValidationError, match="isolation"):
        mdreg.open("memory://", isolation=bad)


def test_limits_reach_the_registry() -> None:
    limits = mdreg.Limits(audit_events_per_application=50, deadlines_per_kind=5)
    assert mdreg.open("memory://", limits=limits).limits == limits
    assert mdreg.open("memory://").limits == mdreg.Limits()
