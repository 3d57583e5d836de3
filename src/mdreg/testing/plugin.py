"""pytest plugin: hypothesis profiles and fixtures for an in-memory registry with a fake clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings

import mdreg
from mdreg.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry
from mdreg.testing.builders import World

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("nightly", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("MDREG_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-03-02 09:00 Beijing time (a Monday)."""
    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def registry(clock: FakeClock) -> Registry:
    """An empty in-memory registry on the fake clock, with readable sequential ids."""
    return mdreg.open("memory://", clock=clock, ids=SequentialIds())


@pytest.fixture
def world(registry: Registry) -> World:
    """A reference-data builder over ``registry``."""
    return World(registry)
