"""The workflow tables and engine settings that behaviour depends on.

* One open application per physician, type and target holds in *every* open state of the common
  lifecycle, and :data:`~mdreg.domain.application.OPEN_STATES` is exactly its non-final states.
* Withdrawal works from every state the table lists, 已退回 and 待补正 included.
* The engine adds no ``to_<state>`` events, hands callbacks an ``EventData``, and a failing
  ``finalize_event`` callback leaves nothing applied.
"""

from __future__ import annotations

from typing import Any

import pytest

from mdreg import Actor, UniquenessConflict
from mdreg.domain.application import (
    CLOSED_STATES,
    NEEDS_CORRECTION,
    OPEN_STATES,
    PENDING_ACCEPTANCE,
    PENDING_INSTITUTION,
    RETURNED,
    UNDER_REVIEW,
    Application,
    BusinessType,
    is_open,
)
from mdreg.errors import TransitionNotAllowed
from mdreg.service.registry import Registry
from mdreg.testing import World
from mdreg.testing.contract_registry import Scene
from mdreg.testing.faults import InjectedFault, failing_at
from mdreg.workflows import workflow_for
from mdreg.workflows.base import STAGES, Workflow
from mdreg.workflows.lifecycle import DRAFT, application_lifecycle

#: The events (after 提交) that bring a registration to each open state.
PATHS: dict[str, tuple[str, ...]] = {
    DRAFT: (),
    PENDING_INSTITUTION: ("submit",),
    PENDING_ACCEPTANCE: ("submit", "confirm"),
    UNDER_REVIEW: ("submit", "confirm", "accept"),
    RETURNED: ("submit", "send_back"),
    NEEDS_CORRECTION: ("submit", "confirm", "request_correction"),
}


class Case(Scene):
    """A physician, the institution they apply to, and an application brought to any open
    state."""

    def actor(self, event: str) -> Actor:
        if event in ("confirm", "send_back"):
            return self.inst
        return self.dept if event in ("accept", "request_correction") else self.me

    def opened_in(self, state: str) -> Application:
        app = self.apply(submit=False)
        for event in PATHS[state]:
            app = self.registry.fire(app.id, event, self.actor(event), reason="材料不全",
                                     corrections=["聘用证明"])
        assert app.state == state
        return app


@pytest.fixture
def case(world: World) -> Case:
    return Case(world)


def test_the_open_states_are_the_lifecycles_non_final_states() -> None:
    lifecycle = application_lifecycle("demo", "示例")
    assert set(PATHS) == OPEN_STATES
    assert set(lifecycle.state_ids) - lifecycle.final_states == OPEN_STATES
    assert lifecycle.final_states == CLOSED_STATES
    assert all(is_open(s) for s in OPEN_STATES)
    assert not any(is_open(s) for s in CLOSED_STATES)


@pytest.mark.parametrize("state", sorted(PATHS))
def test_a_second_application_is_refused_while_the_first_is_open(
        case: Case, registry: Registry, state: str) -> None:
    first = case.opened_in(state)
    with pytest.raises(UniquenessConflict) as err:
        case.apply(submit=False)
    assert err.value.constraint == "open_application"
    with registry.services.uow() as uow:
        assert [a.id for a in uow.applications.open_for(case.doctor.id)] == [first.id]


@pytest.mark.parametrize("state", [RETURNED, NEEDS_CORRECTION])
def test_an_application_returned_or_awaiting_corrections_can_be_withdrawn(
        case: Case, registry: Registry, state: str) -> None:
    app = case.opened_in(state)
    withdrawn = registry.fire(app.id, "withdraw", case.me)
    assert (withdrawn.state, withdrawn.version) == ("withdrawn", app.version + 1)
    assert registry.history(app.id)[-1].event == "withdraw"
    assert case.apply(submit=False).state == DRAFT


# -- the engine -----------------------------------------------------------------------------------


def test_no_to_state_shortcuts_exist() -> None:
    flow = workflow_for(BusinessType.REGISTRATION)
    assert set(flow._machine.events) == set(flow.definition.event_ids)
    for state in flow.definition.state_ids:
        with pytest.raises(TransitionNotAllowed):
            flow.fire(DRAFT, f"to_{state}")


@pytest.mark.parametrize("stage", STAGES)
def test_a_callback_is_handed_the_event_and_called_once_per_firing(stage: str) -> None:
    flow = Workflow(application_lifecycle("demo", "示例"))
    calls: list[str] = []
    detach = flow.attach("submit", stage, lambda: calls.append(stage))
    try:
        assert flow.fire(DRAFT, "submit") == PENDING_INSTITUTION
        assert flow.fire(PENDING_INSTITUTION, "confirm") == PENDING_ACCEPTANCE
    finally:
        detach()
    assert calls == [stage]


def test_event_data_reaches_the_machines_callbacks() -> None:
    flow = Workflow(application_lifecycle("demo", "示例"))
    seen: list[Any] = []
    flow._machine.finalize_event.append(seen.append)
    flow.fire(DRAFT, "submit")
    [data] = seen
    assert (data.event.name, data.transition.source, data.transition.dest) == (
        "submit", DRAFT, PENDING_INSTITUTION)


def test_a_failing_finalize_callback_fails_the_firing() -> None:
    flow = Workflow(application_lifecycle("demo", "示例"))
    with failing_at(flow, "submit", "finalize_event"), pytest.raises(InjectedFault):
        flow.fire(DRAFT, "submit")
    assert flow.fire(DRAFT, "submit") == PENDING_INSTITUTION


def test_a_failing_finalize_callback_leaves_nothing_half_applied(
        case: Case, registry: Registry) -> None:
    app = case.opened_in(PENDING_INSTITUTION)
    before = (registry.application(app.id), registry.history(app.id), registry.audit_count())
    with failing_at(BusinessType.REGISTRATION, "confirm", "finalize_event"), \
            pytest.raises(InjectedFault):
        registry.fire(app.id, "confirm", case.inst)
    assert (registry.application(app.id), registry.history(app.id),
            registry.audit_count()) == before
    assert registry.fire(app.id, "confirm", case.inst).state == PENDING_ACCEPTANCE
