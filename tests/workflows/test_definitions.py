"""Workflow definitions: validated when built, labelled, diagrams generated from the table (W-03)."""

from __future__ import annotations

import re

import pytest

from mdreg import TransitionNotAllowed
from mdreg.errors import WorkflowDefinitionError
from mdreg.workflows import DEFINITIONS, workflow_for
from mdreg.workflows.base import EventSpec, Role, StateSpec, Workflow, WorkflowDefinition

WORKFLOWS = sorted(DEFINITIONS.items(), key=lambda kv: kv[0].value)
IDS = [k.value for k, _ in WORKFLOWS]


def make(states: tuple[StateSpec, ...], events: tuple[EventSpec, ...], initial: str = "a") -> WorkflowDefinition:
    return WorkflowDefinition("t", "测试", initial, states, events)


A, B, C = StateSpec("a", "甲"), StateSpec("b", "乙", final=True), StateSpec("c", "丙")


GO = EventSpec("go", "走", ("a",), "b", Role.APPLICANT)
MALFORMED = {
    "unknown_dest": ((A, B), (EventSpec("go", "走", ("a",), "x", Role.APPLICANT),),
                     "event 'go' names unknown states {'x'}"),
    "unreachable_state": ((A, B, C), (GO,), "unreachable states ['c']"),
    "duplicate_state_label": ((A, B, StateSpec("c", "甲")), (GO,), "duplicate state labels"),
    "duplicate_state_id": ((A, B, StateSpec("a", "丁")), (GO,), "duplicate state ids"),
    "duplicate_event_id": ((A, B), (GO, EventSpec("go", "行", ("a",), "b", Role.APPLICANT)),
                           "duplicate event ids"),
    "duplicate_event_label": ((A, B), (GO, EventSpec("run", "走", ("a",), "b", Role.APPLICANT)),
                              "duplicate event labels"),
    "exit_from_final": ((A, B), (GO, EventSpec("back", "回", ("b",), "a", Role.APPLICANT)),
                        "event 'back' leaves final states {'b'}"),
    "reserved_event_id": ((A, B), (EventSpec("to_b", "走", ("a",), "b", Role.APPLICANT),),
                          "bad event id 'to_b'"),
    "bad_state_id": ((A, B, StateSpec("C-1", "丙")), (GO,), "bad state id 'C-1'"),
    "dead_end": ((A, StateSpec("b", "乙")), (GO,), "non-final states without a way out: ['b']"),
    "blank_event_label": ((A, B), (EventSpec("go", " ", ("a",), "b", Role.APPLICANT),),
                          "event 'go' has no label"),
    "blank_state_label": ((StateSpec("a", " "), B), (GO,), "state 'a' has no label"),
    "event_without_source": ((A, B), (GO, EventSpec("jump", "跳", (), "b", Role.APPLICANT)),
                             "event 'jump' has no source"),
}


@pytest.mark.parametrize(("states", "events", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_definitions_are_refused_when_built(states, events, problem: str) -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        make(states, events)
    assert str(refused.value) == f"workflow 't': {problem}"


def test_initial_state_must_be_declared() -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        make((A, B), (GO,), initial="z")
    assert str(refused.value) == "workflow 't': initial state 'z' is not declared"


def test_a_hook_on_an_unknown_event_or_stage_is_refused() -> None:
    engine = Workflow(make((A, B), (GO,)))
    for event, stage in (("jump", "after"), ("go", "someday")):
        with pytest.raises(ValueError, match=f"no event {event!r} or stage {stage!r} in workflow 't'"):
            engine.attach(event, stage, lambda: None)


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_every_state_and_event_has_a_unique_chinese_label(business, definition) -> None:
    for items in (definition.states, definition.events):
        labels = [i.label for i in items]
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
        assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_w_03_mermaid_edges_equal_the_table(business, definition) -> None:
    text = workflow_for(business).mermaid()
    labels = {s.label: s.id for s in definition.states}
    declared = dict(re.findall(r'state "([^"]+)" as (\w+)', text))
    assert {labels[k] for k in declared} == set(declared.values()) == set(definition.state_ids)
    event_by_label = {e.label: e.id for e in definition.events}
    drawn = {(s, event_by_label[label], d)
             for s, d, label in re.findall(r"^\s*(\w+) --> (\w+): (.+)$", text, flags=re.M)}
    assert drawn == definition.edges()
    assert workflow_for(business).mermaid() == text  # byte-stable


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_w_02_every_pair_outside_the_table_is_refused(business, definition) -> None:
    engine = workflow_for(business)
    for state in definition.state_ids:
        for event in definition.event_ids:
            allowed = {e.id: e.dest for e in definition.allowed(state)}
            if event in allowed:
                assert engine.fire(state, event) == allowed[event]
            else:
                with pytest.raises(TransitionNotAllowed) as err:
                    engine.fire(state, event)
                assert (err.value.workflow, err.value.state, err.value.event) == (
                    definition.id, state, event)


def test_unknown_event_and_state_are_refused() -> None:
    engine = Workflow(DEFINITIONS[next(iter(DEFINITIONS))])
    with pytest.raises(TransitionNotAllowed):
        engine.fire("draft", "teleport")
    with pytest.raises(TransitionNotAllowed):
        engine.fire("nowhere", "submit")


def test_engine_keeps_no_models_attached() -> None:
    engine = Workflow(DEFINITIONS[next(iter(DEFINITIONS))])
    for _ in range(100):
        engine.fire("draft", "submit")
    assert engine._machine.models == []
