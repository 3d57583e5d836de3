"""In-flight applications keep their state machine until migrated; a migration is planned,
applied in batches, resumable and revertible, and recorded in each application's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import mdreg
from mdreg import Actor, BusinessType
from mdreg.errors import (
    MigrationRefused,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
    WorkflowDefinitionError,
)
from mdreg.service.migrations import MIGRATE, MigrationPlan
from mdreg.service.records import definition_revision
from mdreg.simulation import START
from mdreg.testing import World
from mdreg.testing.definitions import (
    ON_HOLD,
    SENT_BACK,
    redeclared,
    registrations_in_four_states,
    renamed_returned,
    with_hold,
)
from mdreg.workflows import DEFINITIONS, redeclare

REGISTRATION = BusinessType.REGISTRATION
OLD = DEFINITIONS[REGISTRATION]
HELD = with_hold(OLD)
OPERATOR = Actor.system("运维-李工")


@pytest.fixture
def deploy() -> Iterator[list[object]]:
    """Deploy changed definitions of 注册 for one test; the code's own comes back after."""
    undo: list[object] = []
    yield undo
    for restore in reversed(undo):
        restore()  # type: ignore[operator]


def test_an_application_keeps_the_machine_it_was_created_under(
        world: World, registry: mdreg.Registry, deploy: list[object]) -> None:
    apps = registrations_in_four_states(world)
    deploy.append(redeclare(redeclared(HELD)))
    reviewed = apps["under_review"]
    department = Actor.authority(reviewed.department_id)
    with pytest.raises(TransitionNotAllowed):  # the old machine has no 暂停审查
        registry.fire(reviewed.id, "suspend", department, reason="待核实")
    assert "suspend" not in registry.explain(reviewed.id).who
    physician = world.physician()
    new = registry.apply(Actor.physician(physician.id), mdreg.RegistrationRequest(
        world.institution("110105").id, physician.qualifications[0].certificate_no,
        ("内科专业",)))
    assert new.definition_revision == definition_revision(HELD) != reviewed.definition_revision
    registry.fire(new.id, "confirm", Actor.institution(new.institution_id))
    registry.fire(new.id, "accept", Actor.authority(new.department_id))
    held = registry.fire(new.id, "suspend", Actor.authority(new.department_id), reason="待核实")
    assert held.state == ON_HOLD
    assert registry.fire(reviewed.id, "approve", department).state == "approved"  # old path


def test_a_migration_moves_the_in_flight_applications_and_records_it(
        world: World, registry: mdreg.Registry, deploy: list[object]) -> None:
    apps = registrations_in_four_states(world)
    deploy.append(redeclare(redeclared(HELD)))
    plan = registry.plan_migration("registration")
    assert plan.to_revision == definition_revision(HELD) and plan.ready
    planned = {m.application_id: (m.from_state, m.to_state) for m in plan.moves}
    assert planned == {apps[s].id: (s, s) for s in ("pending_institution", "under_review",
                                                    "returned")}  # not the approved one
    report = registry.migrate(plan, OPERATOR, batch_size=2)
    assert sorted(report.moved) == sorted(planned) and not report.done and not report.skipped
    reviewed = registry.application(apps["under_review"].id)
    assert reviewed.definition_revision == plan.to_revision
    assert reviewed.version == apps["under_review"].version + 1
    last = registry.history(reviewed.id)[-1]
    assert (last.event, last.actor, last.from_state, last.to_state) == (
        MIGRATE, OPERATOR, "under_review", "under_review")
    assert last.data["migration"] == [plan.id]
    assert last.data["from_revision"] == [definition_revision(OLD)]
    suspended = registry.fire(reviewed.id, "suspend", Actor.authority(reviewed.department_id),
                              reason="待核实")
    assert suspended.state == ON_HOLD
    approved = registry.application(apps["approved"].id)
    assert approved.definition_revision == definition_revision(OLD)  # history stays as it was
    again = registry.migrate(plan, OPERATOR)  # resumed after the end: nothing moves twice
    assert not again.moved and sorted(again.done) == sorted(planned)
    assert registry.plan_migration("registration").moves == ()


def test_an_unmapped_state_refuses_the_plan_until_a_mapping_places_it(
        world: World, registry: mdreg.Registry, deploy: list[object]) -> None:
    apps = registrations_in_four_states(world)
    target = renamed_returned(OLD)
    deploy.append(redeclare(redeclared(target)))
    plan = registry.plan_migration(target)
    assert [m.application_id for m in plan.unmapped] == [apps["returned"].id]
    with pytest.raises(MigrationRefused) as refused:
        registry.migrate(plan, OPERATOR)
    assert refused.value.unmapped == {apps["returned"].id: "returned"}
    assert registry.application(apps["returned"].id).version == apps["returned"].version
    with pytest.raises(ValidationError, match="nowhere"):
        registry.plan_migration(target, {"returned": "nowhere"})
    mapped = registry.plan_migration(target, {"returned": SENT_BACK})
    registry.migrate(mapped, OPERATOR)
    moved = registry.application(apps["returned"].id)
    assert moved.state == SENT_BACK
    resubmitted = registry.fire(moved.id, "resubmit", Actor.physician(moved.physician_id))
    assert resubmitted.state == "pending_institution"


def test_a_migration_reverts_unless_the_application_moved_on(
        world: World, registry: mdreg.Registry, deploy: list[object]) -> None:
    apps = registrations_in_four_states(world)
    target = renamed_returned(OLD)
    deploy.append(redeclare(redeclared(target)))
    plan = registry.plan_migration(target, {"returned": SENT_BACK})
    registry.migrate(plan, OPERATOR)
    submitted = apps["pending_institution"]
    registry.fire(submitted.id, "confirm", Actor.institution(submitted.institution_id))
    report = registry.revert_migration(plan, OPERATOR)
    assert sorted(report.moved) == sorted([apps["under_review"].id, apps["returned"].id])
    assert list(report.skipped) == [submitted.id]
    back = registry.application(apps["returned"].id)
    assert (back.state, back.definition_revision) == ("returned", definition_revision(OLD))
    assert registry.history(back.id)[-1].data["reverted"] == ["true"]
    assert registry.fire(back.id, "resubmit", Actor.physician(back.physician_id)).state == (
        "pending_institution")  # the old machine drives it again
    assert registry.revert_migration(plan, OPERATOR).moved == ()


def test_a_plan_survives_its_file_and_an_altered_file_is_refused(
        world: World, registry: mdreg.Registry, deploy: list[object]) -> None:
    registrations_in_four_states(world)
    deploy.append(redeclare(redeclared(HELD)))
    plan = registry.plan_migration("registration")
    assert MigrationPlan.from_json(plan.to_json()) == plan
    altered = plan.to_json().replace('"under_review"', '"approved"', 1)
    with pytest.raises(ValidationError, match="altered"):
        MigrationPlan.from_json(altered)
    with pytest.raises(ValidationError):
        MigrationPlan.from_json("[1, 2]")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_state_a_new_machine_adds_is_open(backend: str, tmp_path: Path,
                                            deploy: list[object]) -> None:
    """One open application per physician, type and target holds in 暂停审查 too."""
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'open.db'}"
    registry = mdreg.open(url, clock=mdreg.FakeClock(START))
    world = World(registry)
    deploy.append(redeclare(redeclared(HELD)))
    physician, hospital = world.physician(), world.institution("110105")
    request = mdreg.RegistrationRequest(hospital.id, physician.qualifications[0].certificate_no,
                                        ("内科专业",))
    app = registry.apply(Actor.physician(physician.id), request)
    registry.fire(app.id, "confirm", Actor.institution(hospital.id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    registry.fire(app.id, "suspend", Actor.authority(app.department_id), reason="待核实")
    with pytest.raises(UniquenessConflict):
        registry.apply(Actor.physician(physician.id), request)


def test_a_machine_must_end_in_the_outcomes_that_close_an_application() -> None:
    ended = attrs.evolve(HELD, states=tuple(
        attrs.evolve(s, final=True) if s.id == ON_HOLD else s for s in HELD.states),
        events=tuple(e for e in HELD.events if e.id != "resume"))
    with pytest.raises(WorkflowDefinitionError, match="outcomes that close"):
        redeclared(ended)
