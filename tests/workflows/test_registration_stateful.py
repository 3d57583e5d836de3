"""W-01 for 注册: random events by random actors never break the lifecycle's invariants."""

from __future__ import annotations

from hypothesis import settings

from mdreg.testing.stateful import RegistrationLifecycle

TestRegistrationLifecycle = RegistrationLifecycle.TestCase
TestRegistrationLifecycle.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None, derandomize=True
)
