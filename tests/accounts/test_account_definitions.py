"""The account and personal-change workflows: labelled, drawn from the table (W-03), and every
pair outside the table refused (W-02)."""

from __future__ import annotations

import re

import pytest

from mdreg import TransitionNotAllowed
from mdreg.workflows.account import ACCOUNT, ACTIVATION_EVENTS
from mdreg.workflows.base import Workflow, WorkflowDefinition
from mdreg.workflows.personal_change import PERSONAL_CHANGE

DEFINITIONS = [ACCOUNT, PERSONAL_CHANGE]
IDS = [d.id for d in DEFINITIONS]


@pytest.mark.parametrize("definition", DEFINITIONS, ids=IDS)
def test_every_state_and_event_has_a_unique_chinese_label(definition: WorkflowDefinition) -> None:
    for items in (definition.states, definition.events):
        labels = [i.label for i in items]
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
        assert len(set(labels)) == len(labels)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=IDS)
def test_w_03_mermaid_edges_equal_the_table(definition: WorkflowDefinition) -> None:
    text = Workflow(definition).mermaid()
    labels = {s.label: s.id for s in definition.states}
    declared = dict(re.findall(r'state "([^"]+)" as (\w+)', text))
    assert {labels[k] for k in declared} == set(declared.values()) == set(definition.state_ids)
    event_by_label = {e.label: e.id for e in definition.events}
    drawn = {(s, event_by_label[label.strip()], d)
             for s, d, joined in re.findall(r"^\s*(\w+) --> (\w+): (.+)$", text, flags=re.M)
             for label in joined.split(" | ")}
    assert drawn == definition.edges()
    assert Workflow(definition).mermaid() == text


@pytest.mark.parametrize("definition", DEFINITIONS, ids=IDS)
def test_w_02_every_pair_outside_the_table_is_refused(definition: WorkflowDefinition) -> None:
    engine = Workflow(definition)
    for state in definition.state_ids:
        allowed = {e.id: e.dest for e in definition.allowed(state)}
        for event in definition.event_ids:
            if event in allowed:
                assert engine.fire(state, event) == allowed[event]
            else:
                with pytest.raises(TransitionNotAllowed):
                    engine.fire(state, event)


def test_the_four_activation_paths_are_the_only_ways_into_active() -> None:
    into_active = {e.id for e in ACCOUNT.events if e.dest == "active"}
    assert into_active == ACTIVATION_EVENTS and len(into_active) == 4
    assert {e.sources for e in ACCOUNT.events if e.id in ACTIVATION_EVENTS} == {("verified",)}
    assert ACCOUNT.final_states == {"active"}


def test_a_rejection_needs_a_reason() -> None:
    reject = PERSONAL_CHANGE.event("reject")
    assert reject is not None and reject.needs_reason
