"""W-01 per business type: random events on each engine, with its definition table as the oracle.

Each walk starts in the initial state, mostly picks an allowed event (the first of a permutation,
so no event is favoured) and sometimes any event at all, unknown ones included. Allowed → the
engine returns the table's destination; otherwise → TransitionNotAllowed naming the workflow, state
and event, and the walk stays where it was. A final state must refuse every event; the walk then
goes on from a random open state. After the exploration every final state and every edge of the
table must have been reached, so a walk that stays near the start fails the test.
"""

from __future__ import annotations

import re

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mdreg import TransitionNotAllowed
from mdreg.domain.application import BusinessType
from mdreg.workflows import DEFINITIONS, Workflow, WorkflowDefinition, workflow_for

WORKFLOWS = sorted(DEFINITIONS.items(), key=lambda kv: kv[0].value)
IDS = [b.value for b, _ in WORKFLOWS]
UNKNOWN_EVENTS = ("teleport", "approve_all", "")


def _refused(engine: Workflow, state: str, name: str) -> None:
    with pytest.raises(TransitionNotAllowed) as err:
        engine.fire(state, name)
    assert (err.value.workflow, err.value.state, err.value.event) == (engine.id, state, name)


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_random_walks_follow_the_table(business: BusinessType, definition: WorkflowDefinition) -> None:
    engine = workflow_for(business)
    finals: set[str] = set()
    edges: set[tuple[str, str, str]] = set()
    anything = [*definition.event_ids, *UNKNOWN_EVENTS]

    restarts = sorted(set(definition.state_ids) - definition.final_states)

    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(data=st.data(), steps=st.integers(10, 60))
    def walk(data: st.DataObject, steps: int) -> None:
        state = definition.initial
        for _ in range(steps):
            table = {e.id: e.dest for e in definition.allowed(state)}
            if table and data.draw(st.integers(0, 4), label="bias") > 0:
                name = data.draw(st.permutations(sorted(table)), label="allowed")[0]
            else:
                name = data.draw(st.permutations(anything), label="any")[0]
            if name in table:
                after = engine.fire(state, name)
                assert after == table[name]
                edges.add((state, name, after))
                state = after
            else:
                _refused(engine, state, name)
            assert state in definition.state_ids
            if state in definition.final_states:
                for name in anything:
                    _refused(engine, state, name)
                finals.add(state)
                event(f"reached {state}")
                state = data.draw(st.permutations(restarts), label="restart")[0]

    walk()
    assert finals == set(definition.final_states)
    assert edges == set(definition.edges())


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_mermaid_diagram_is_generated_from_the_definition(
    business: BusinessType, definition: WorkflowDefinition
) -> None:
    text = workflow_for(business).mermaid()
    by_label = {e.label: e.id for e in definition.events}
    drawn = {(s, by_label[label], d)
             for s, d, label in re.findall(r"^\s*(\w+) --> (\w+): (.+)$", text, flags=re.M)}
    assert drawn == set(definition.edges())
    assert re.findall(r"\[\*\] --> (\w+)", text) == [definition.initial]
    assert dict(re.findall(r'state "([^"]+)" as (\w+)', text)) == {
        s.label: s.id for s in definition.states}
    assert text.splitlines()[:3] == ["---", f'title: "{definition.label}"', "---"]


@pytest.mark.parametrize(("business", "definition"), WORKFLOWS, ids=IDS)
def test_mermaid_diagram_follows_a_changed_definition(
    business: BusinessType, definition: WorkflowDefinition
) -> None:
    relabelled = attrs.evolve(definition, label=f"{definition.label}（省级）", events=tuple(
        attrs.evolve(e, label=f"{e.label}*") if e.id == "approve" else e for e in definition.events))
    text = Workflow(relabelled).mermaid()
    assert text != workflow_for(business).mermaid()
    assert "under_review --> approved: " + relabelled.event("approve").label in text  # type: ignore[union-attr]
    assert f"{definition.label}（省级）" in text
