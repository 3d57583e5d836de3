"""Decisions are records: every event that evaluates rules keeps the policy revision, the rule
versions and the facts the rules read, enough to re-evaluate it without the registry."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import attrs
import pytest
from simulated import simulated_registry

import mdreg
from mdreg.domain.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.service.records import UNRECORDED_ID, definition_revision, reevaluate, revision
from mdreg.simulation import START
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY, DEFINITIONS


@pytest.fixture(scope="module")
def simulated() -> mdreg.Registry:
    return simulated_registry(physicians=120, days=30)


def test_every_recorded_decision_reevaluates_to_its_recorded_verdict(
        simulated: mdreg.Registry) -> None:
    decisions = [event for _, event in simulated.audit_since(0, 100_000)
                 if "facts" in event.data]
    by_type = Counter(simulated.application(e.aggregate_id).type.value for e in decisions)
    assert len(by_type) == len(mdreg.BusinessType), by_type  # every type decided something
    rules = BASE_POLICY.all_rules()
    measured = Counter(event.data["evaluated"][0] != event.event for event in decisions)
    assert measured[True] > 0 and measured[False] > 0  # refusals record what they measured
    for event in decisions:
        again = reevaluate(event.data, rules)
        assert list(dict.fromkeys(again.failed_rule_ids)) == event.data.get("failed", []), (
            event.aggregate_id, event.event)
        if event.data["evaluated"] == [event.event]:  # a decision that passed its own rules
            assert again.passed and sorted(again.checked) == sorted(event.verdict)
        assert event.data["policy_revision"] == [revision(BASE_POLICY)]


def test_a_decision_record_holds_no_id_number_and_stays_compact(
        simulated: mdreg.Registry) -> None:
    decisions = [event for _, event in simulated.audit_since(0, 100_000)
                 if "facts" in event.data]
    sizes = sorted(len(event.data["facts"][0].encode()) for event in decisions)
    numbers = {simulated.physician(simulated.application(e.aggregate_id).physician_id)
               .id_number.value for e in decisions}
    for event in decisions:
        facts = event.data["facts"][0]
        assert not any(number in facts for number in numbers)
        assert UNRECORDED_ID.value not in facts
    assert sizes[len(sizes) // 2] < 4_000 and sizes[-1] < 16_000, (sizes[len(sizes) // 2],
                                                                   sizes[-1])


def test_a_changed_rule_parameter_is_a_new_revision() -> None:
    assert revision(BASE_POLICY) == revision(BASE_POLICY.with_changes("base"))
    assert revision(BASE_POLICY) != revision(BASE_POLICY.with_changes("base",
                                                                      filed_expiry_years=3))
    assert revision(BASE_POLICY).startswith("base@")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_an_application_names_its_revision_and_the_database_keeps_it(
        backend: str, tmp_path: Path) -> None:
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'revisions.db'}"
    registry = mdreg.open(url, clock=FakeClock(START), ids=SequentialIds())
    world = World(registry)
    registration = world.registration(world.physician(), world.institution("110105"))
    app = registry.application(registration.application_id or "")
    assert app.policy_revision == revision(BASE_POLICY)
    registry.policy = BASE_POLICY.with_changes("base", filed_expiry_years=3)  # published too
    later = revision(registry.policy)
    assert later != app.policy_revision
    kept = registry.published_revision(app.policy_revision)
    assert kept is not None
    assert kept["parameters"]["filed_expiry_years"] == 2
    newer = registry.published_revision(later)
    assert newer is not None
    assert newer["parameters"]["filed_expiry_years"] == 3
    assert registry.published_revision("base@0000000000000000") is None


def test_an_application_names_its_state_machines_revision(world: World,
                                                          registry: mdreg.Registry) -> None:
    definition = DEFINITIONS[mdreg.BusinessType.REGISTRATION]
    registration = world.registration(world.physician(), world.institution("110105"))
    app = registry.application(registration.application_id or "")
    assert app.definition_revision == definition_revision(definition)
    relabelled = attrs.evolve(definition, states=tuple(
        attrs.evolve(s, label="待审核") if s.id == "under_review" else s
        for s in definition.states))
    assert definition_revision(relabelled) != app.definition_revision
    assert definition_revision(relabelled).startswith("registration@")
