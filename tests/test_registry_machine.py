"""The whole-registry state machine: random applications of all nine types, invariants after every step."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from mdreg.testing.registry_machine import WholeRegistry

SETTINGS = settings(max_examples=50, stateful_step_count=40, derandomize=True, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow])
APPROVED: Counter[str] = Counter()


class CountingRegistry(WholeRegistry):
    """Counts approvals per business type across the whole run."""

    def teardown(self) -> None:
        APPROVED.update(self.approved)
        super().teardown()


def test_whole_registry_keeps_its_invariants() -> None:
    APPROVED.clear()
    run_state_machine_as_test(CountingRegistry, settings=SETTINGS)
    assert len(+APPROVED) >= 6, dict(APPROVED)
