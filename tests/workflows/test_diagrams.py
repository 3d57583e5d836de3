"""The mermaid diagrams ``mdreg diagram`` prints and the reference pages embed: a title mermaid
reads (quoted front matter), no state styled or marked as the current one, and no state id that
mermaid reads as a keyword."""

from __future__ import annotations

import re

import attrs
import pytest
import yaml
from typer.testing import CliRunner

from mdreg.cli import app
from mdreg.domain.application import BusinessType
from mdreg.reference import workflow_page
from mdreg.workflows import DECLARATIONS, workflow_for
from mdreg.workflows.account import ACCOUNT
from mdreg.workflows.base import (
    MERMAID_KEYWORDS,
    EventSpec,
    Role,
    StateSpec,
    Workflow,
    WorkflowDefinition,
)
from mdreg.workflows.personal_change import PERSONAL_CHANGE

DEFINITIONS = [declaration.definition for declaration in DECLARATIONS.values()]
DEFINITIONS += [ACCOUNT, PERSONAL_CHANGE]
STATE_LINE = re.compile(r'^  state "([^"]*)" as (\w+)$')


def front_matter(text: str) -> tuple[dict[str, object], str]:
    """The YAML block and the diagram after it."""
    assert text.startswith("---\n")
    block, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(block), body


def check(definition: WorkflowDefinition, text: str) -> None:
    meta, body = front_matter(text)
    assert meta == {"title": definition.label}
    assert body.splitlines()[0] == "stateDiagram-v2"
    assert not re.search(r"(?im)^\s*(class|classdef|style)\b", body), "no state is styled"
    assert "s_active" not in body and "classDef" not in body
    ids = [m.group(2) for line in body.splitlines() if (m := STATE_LINE.match(line))]
    assert len(ids) == len(definition.states)
    assert not {i.lower() for i in ids} & MERMAID_KEYWORDS


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.id for d in DEFINITIONS])
def test_every_diagram_has_a_quoted_title_and_no_styled_state(
        definition: WorkflowDefinition) -> None:
    check(definition, Workflow(definition).mermaid())


@pytest.mark.parametrize("business", list(DECLARATIONS), ids=[b.value for b in DECLARATIONS])
def test_the_cli_and_the_reference_pages_draw_the_same_diagram(business: BusinessType) -> None:
    text = workflow_for(business).mermaid()
    result = CliRunner().invoke(app, ["diagram", business.value])
    assert result.exit_code == 0
    assert result.stdout == text + "\n"
    _, body = front_matter(text)
    assert f"```mermaid\n{body}\n```" in workflow_page(business)


def test_a_title_that_needs_quoting_and_state_ids_mermaid_reserves() -> None:
    definition = WorkflowDefinition(
        "awkward", '审核: "复核" #1', initial="note",
        states=(StateSpec("note", "登记"), StateSpec("end", '结束 "完成"', final=True),
                StateSpec("s_end", "另一个结束", final=True)),
        events=(EventSpec("finish", "完成", ("note",), "end", Role.AUTHORITY),
                EventSpec("other", "另行完成", ("note",), "s_end", Role.AUTHORITY)))
    text = Workflow(definition).mermaid()
    check(definition, text)
    ids = re.findall(r" as (\w+)$", text, flags=re.M)
    assert len(set(ids)) == 3 and "s_end" in ids
    assert "[*] --> s_note" in text
    assert 'state "结束 #quot;完成#quot;"' in text
    assert not Workflow(attrs.evolve(definition)).mermaid(title=False).startswith("---")
