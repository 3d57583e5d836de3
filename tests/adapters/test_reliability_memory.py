"""RELIABILITY R-04 (sequential) and R-06 on the in-memory backend, and the fault injector."""

from __future__ import annotations

import logging

import pytest
from reliability import ReliabilityContract

from mdreg.domain.application import BusinessType
from mdreg.testing.faults import STAGES, InjectedFault, failing_at
from mdreg.workflows import workflow_for


class TestMemoryReliability(ReliabilityContract):
    backend = "memory"

    @pytest.fixture
    def url(self) -> str:
        return "memory://"


def test_a_failing_finalize_callback_stops_the_transition(caplog: pytest.LogCaptureFixture) -> None:
    """transitions only logs an exception raised by a ``finalize_event`` callback and reports the
    transition as done; the engine raises it instead, so the command persists nothing (R-06)."""
    flow = workflow_for(BusinessType.REGISTRATION)
    with caplog.at_level(logging.DEBUG, logger="transitions"), \
            failing_at(BusinessType.REGISTRATION, "submit", "finalize_event"), \
            pytest.raises(InjectedFault, match="finalize_event"):
        flow.fire("draft", "submit")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert flow.fire("draft", "submit") == "pending_institution"


@pytest.mark.parametrize("stage", STAGES)
def test_injected_callbacks_are_removed_afterwards(stage: str) -> None:
    flow = workflow_for(BusinessType.CHANGE)
    machine = flow._machine
    before = (len(machine.finalize_event), [len(s.on_enter) + len(s.on_exit)
                                            for s in machine.states.values()],
              [len(t.prepare) + len(t.conditions) + len(t.before) + len(t.after)
               for ts in machine.events["approve"].transitions.values() for t in ts])
    with failing_at(flow, "approve", stage), pytest.raises(InjectedFault):
        flow.fire("under_review", "approve")
    assert flow.fire("under_review", "reject") == "rejected"  # other events are untouched
    after = (len(machine.finalize_event), [len(s.on_enter) + len(s.on_exit)
                                           for s in machine.states.values()],
             [len(t.prepare) + len(t.conditions) + len(t.before) + len(t.after)
              for ts in machine.events["approve"].transitions.values() for t in ts])
    assert after == before
    assert flow.fire("under_review", "approve") == "approved"


def test_an_unknown_stage_or_event_is_refused() -> None:
    with pytest.raises(ValueError, match="stage"), failing_at(BusinessType.CHANGE, "approve",
                                                              "on_timeout"):
        pass
    with pytest.raises(ValueError, match="event"), failing_at(BusinessType.CHANGE, "explode",
                                                              "before"):
        pass
