"""The generated Markdown tables and Mermaid diagrams, pinned line by line, and how a host
declares a business type of its own (:func:`~mdreg.workflows.register`) or replaces a declaration
(:func:`~mdreg.workflows.redeclare`): what is refused, what :func:`~mdreg.workflows.base_policy`
then holds, and that the removal and restore functions leave the catalogue and the cached engines
as they were — even when called a second time."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from test_extension import REISSUE, REISSUE_TYPE, ReissueRequest  # the example, loaded once

from mdreg.domain.application import BusinessType, RegistrationRequest
from mdreg.errors import ValidationError, WorkflowDefinitionError
from mdreg.testing.definitions import redeclared, renamed_returned, with_hold
from mdreg.workflows import (
    BASE_POLICY,
    DECLARATIONS,
    DEFINITIONS,
    base_policy,
    declaration_for,
    declaration_for_payload,
    markdown_table,
    redeclare,
    register,
    rule_table,
    workflow_for,
)
from mdreg.workflows.base import EventSpec, Role, StateSpec, Workflow, WorkflowDefinition, mermaid
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.registration import REGISTRATION

#: Three states, one event from two sources, labels that need cleaning up for mermaid.
SMALL = WorkflowDefinition(
    "small", "小流程", initial="draft",
    states=(StateSpec("draft", "草稿"), StateSpec("review", "审查中"),
            StateSpec("done", "已办结", final=True)),
    events=(EventSpec("send", "提交;  送审", ("draft",), "review", Role.APPLICANT),
            EventSpec("finish", "办结 \t 归档", ("draft", "review"), "done", Role.AUTHORITY),
            EventSpec("back", "退回", ("review",), "draft", Role.INSTITUTION)),
)


# --- markdown_table -----------------------------------------------------------------------------


def test_the_markdown_table_is_a_header_a_rule_and_one_row_per_event() -> None:
    assert markdown_table(SMALL, [("send", "`R-1`, `R-2`")]).split("\n") == [
        "| 事件 event | 中文 | 从 from | 到 to | 办理方 by | 规则 rules |",
        "|---|---|---|---|---|---|",
        "| `send` | 提交; 送审 | `draft` | `review` | applicant | `R-1`, `R-2` |",
        "| `finish` | 办结 归档 | `draft`, `review` | `done` | authority |  |",
        "| `back` | 退回 | `review` | `draft` | institution |  |",
    ]


def test_a_label_or_note_stays_in_its_cell() -> None:
    """A ``|`` is escaped and a line break joins the line: neither can split the table."""
    piped = attrs.evolve(SMALL, events=(
        EventSpec("send", "提交|送审\n（附件）", ("draft",), "review", Role.APPLICANT),
        *SMALL.events[1:]))
    row = markdown_table(piped, [("send", "R-1 | R-2\nR-3")]).split("\n")[2]
    assert row == ("| `send` | 提交\\|送审 （附件） | `draft` | `review` | applicant | "
                   "R-1 \\| R-2 R-3 |")


def test_an_event_without_rules_has_an_empty_rules_cell() -> None:
    definition = WorkflowDefinition(
        "tiny", "极简", initial="open",
        states=(StateSpec("open", "打开"), StateSpec("closed", "关闭", final=True)),
        events=(EventSpec("close", "关闭申请", ("open",), "closed", Role.SYSTEM),))
    assert markdown_table(definition) == (
        "| 事件 event | 中文 | 从 from | 到 to | 办理方 by | 规则 rules |\n"
        "|---|---|---|---|---|---|\n"
        "| `close` | 关闭申请 | `open` | `closed` | system |  |")


def test_a_real_table_lists_every_event_with_its_sources_in_order() -> None:
    definition = DEFINITIONS[BusinessType.REGISTRATION]
    lines = markdown_table(definition).splitlines()
    assert lines[:2] == ["| 事件 event | 中文 | 从 from | 到 to | 办理方 by | 规则 rules |",
                         "|---|---|---|---|---|---|"]
    assert len(lines) == 2 + len(definition.events)
    for line, event in zip(lines[2:], definition.events, strict=True):
        sources = ", ".join(f"`{s}`" for s in event.sources)
        assert line == (f"| `{event.id}` | {event.label} | {sources} | `{event.dest}` "
                        f"| {event.by.value} |  |")


# --- mermaid ------------------------------------------------------------------------------------


def test_the_diagram_is_titled_by_default_and_pinned_line_by_line() -> None:
    assert mermaid(SMALL).split("\n") == [
        "---",
        'title: "小流程"',
        "---",
        "stateDiagram-v2",
        "  direction LR",
        '  state "草稿" as draft',
        '  state "审查中" as review',
        '  state "已办结" as done',
        "  [*] --> draft",
        "  draft --> review: 提交#59; 送审",
        "  draft --> done: 办结 归档",
        "  review --> done: 办结 归档",
        "  review --> draft: 退回",
        "  done --> [*]",
    ]


def test_without_a_title_the_diagram_starts_with_its_type_and_direction() -> None:
    lines = Workflow(SMALL).mermaid(title=False).split("\n")
    assert lines[:2] == ["stateDiagram-v2", "  direction LR"]
    assert lines[2:] == mermaid(SMALL).split("\n")[5:]


def test_a_semicolon_in_a_label_is_escaped_everywhere_it_is_drawn() -> None:
    definition = WorkflowDefinition(
        "semi", "分号", initial="a",
        states=(StateSpec("a", "甲;乙"), StateSpec("b", " 丙 ;\t丁 ", final=True)),
        events=(EventSpec("go", "走;跑", ("a",), "b", Role.APPLICANT),
                EventSpec("jump", "跳", ("a",), "b", Role.APPLICANT)))
    body = mermaid(definition, title=False)
    assert ";" not in body.replace("#59;", "")
    assert body.split("\n")[2:] == [
        '  state "甲#59;乙" as a',
        '  state "丙 #59; 丁" as b',
        "  [*] --> a",
        "  a --> b: 走#59;跑 | 跳",
        "  b --> [*]",
    ]


def test_a_real_diagram_keeps_chinese_in_its_title() -> None:
    text = workflow_for(BusinessType.FILING).mermaid()
    assert text.split("\n")[:5] == ["---", 'title: "多执业机构备案"', "---", "stateDiagram-v2",
                                    "  direction LR"]


# --- register / base_policy ---------------------------------------------------------------------


@pytest.fixture
def declared() -> Iterator[None]:
    remove = register(REISSUE)
    yield
    remove()


def test_the_base_policy_is_called_base_and_holds_a_registered_types_rules(
        declared: None) -> None:
    policy = base_policy()
    assert policy.name == BASE_POLICY.name == "base"
    assert [r.id for r in policy.rules[(REISSUE_TYPE, "approve")]] == [
        "reissue.valid_registration"]
    assert (REISSUE_TYPE, "approve") not in BASE_POLICY.rules  # the constant stays the nine
    for key, rules in BASE_POLICY.rules.items():
        assert policy.rules[key] == rules


def test_a_rule_table_of_given_declarations_holds_only_theirs(declared: None) -> None:
    registration = DECLARATIONS[BusinessType.REGISTRATION]
    assert rule_table([registration]) == registration.rule_table()
    assert {business for business, _ in rule_table([REISSUE])} == {REISSUE_TYPE}
    assert rule_table([]) == {}
    everything = rule_table()
    assert (REISSUE_TYPE, "approve") in everything
    assert {b for b, _ in everything} == {d.business for d in DECLARATIONS.values()}


def test_the_base_policy_without_registrations_is_the_nine() -> None:
    policy = base_policy()
    assert policy.name == "base"
    assert dict(policy.rules) == dict(BASE_POLICY.rules)


def test_a_new_type_carrying_a_declared_payload_class_is_refused() -> None:
    clash = attrs.evolve(REISSUE, payload=RegistrationRequest, rules={}, effects={}, facts={})
    with pytest.raises(WorkflowDefinitionError) as refused:
        register(clash)
    assert str(refused.value) == ("business type 'certificate_reissue' or payload "
                                  "RegistrationRequest is declared already")
    assert REISSUE_TYPE not in DECLARATIONS
    assert declaration_for_payload(RegistrationRequest("I1", "Q1", ("内科专业",))) is REGISTRATION


def test_a_declared_type_with_a_new_payload_class_is_refused() -> None:
    clash = attrs.evolve(REGISTRATION, payload=ReissueRequest, rules={}, effects={}, facts={})
    with pytest.raises(WorkflowDefinitionError) as refused:
        register(clash)
    assert str(refused.value) == ("business type 'registration' or payload "
                                  "ReissueRequest is declared already")
    assert declaration_for(BusinessType.REGISTRATION) is REGISTRATION
    with pytest.raises(ValidationError, match="is not an application payload"):
        declaration_for_payload(ReissueRequest("R1", "遗失"))


def test_removing_twice_is_harmless() -> None:
    remove = register(REISSUE)
    remove()
    remove()
    assert REISSUE_TYPE not in DECLARATIONS
    with pytest.raises(ValidationError, match="is not an application payload"):
        declaration_for_payload(ReissueRequest("R1", "遗失"))


def test_removal_drops_the_cached_engine() -> None:
    remove = register(REISSUE)
    try:
        assert workflow_for(REISSUE_TYPE).definition is REISSUE.definition
    finally:
        remove()
    with pytest.raises(ValidationError) as refused:
        workflow_for(REISSUE_TYPE)
    assert str(refused.value) == ("business: business type "
                                  "<BusinessType certificate_reissue 补办执业证书> is not declared")
    shorter = application_lifecycle("certificate_reissue", "补办执业证书",
                                    approve_label="同意补办", reject_label="不同意补办")
    remove = register(attrs.evolve(REISSUE, definition=shorter))
    try:
        assert workflow_for(REISSUE_TYPE).definition is shorter
    finally:
        remove()


# --- redeclare ----------------------------------------------------------------------------------

HELD = with_hold(REGISTRATION.definition)


def test_redeclaring_swaps_the_engine_and_restoring_brings_the_old_one_back() -> None:
    assert workflow_for(BusinessType.REGISTRATION).definition is REGISTRATION.definition
    restore = redeclare(redeclared(HELD))
    try:
        assert workflow_for(BusinessType.REGISTRATION).definition is HELD
        assert "suspend" in workflow_for(BusinessType.REGISTRATION).definition.event_ids
    finally:
        restore()
    assert declaration_for(BusinessType.REGISTRATION) is REGISTRATION
    assert workflow_for(BusinessType.REGISTRATION).definition is REGISTRATION.definition


def test_restoring_before_any_engine_was_built_is_harmless() -> None:
    restore = redeclare(redeclared(HELD))
    restore()  # no engine was built for the redeclared type
    assert declaration_for(BusinessType.REGISTRATION) is REGISTRATION
    assert DEFINITIONS[BusinessType.REGISTRATION] is REGISTRATION.definition
    assert workflow_for(BusinessType.REGISTRATION).definition is REGISTRATION.definition


def test_a_stale_removal_leaves_a_later_registration_of_the_same_id_in_place() -> None:
    first = register(REISSUE)
    first()
    shorter = application_lifecycle("certificate_reissue", "补办执业证书",
                                    approve_label="同意补办", reject_label="不同意补办")
    again = attrs.evolve(REISSUE, definition=shorter)
    second = register(again)
    try:
        first()  # removed already: the later registration is not its to remove
        assert declaration_for(REISSUE_TYPE) is again
        assert declaration_for_payload(ReissueRequest("R1", "遗失")) is again
        assert workflow_for(REISSUE_TYPE).definition is shorter
    finally:
        second()
    assert REISSUE_TYPE not in DECLARATIONS


def test_removal_removes_the_type_also_after_it_was_redeclared() -> None:
    remove = register(REISSUE)
    shorter = application_lifecycle("certificate_reissue", "补办执业证书",
                                    approve_label="同意补办", reject_label="不同意补办")
    redeclare(attrs.evolve(REISSUE, definition=shorter))
    remove()
    assert REISSUE_TYPE not in DECLARATIONS
    with pytest.raises(ValidationError, match="is not an application payload"):
        declaration_for_payload(ReissueRequest("R1", "遗失"))


def test_restores_run_in_the_reverse_order_of_their_redeclarations() -> None:
    again = renamed_returned(REGISTRATION.definition)
    undo_first = redeclare(redeclared(HELD))
    undo_second = redeclare(redeclared(again))
    try:
        with pytest.raises(WorkflowDefinitionError) as refused:
            undo_first()
        assert str(refused.value) == ("business type 'registration' was redeclared or removed "
                                      "since: restore the later declaration first")
        assert workflow_for(BusinessType.REGISTRATION).definition is again
    finally:
        undo_second()
        undo_first()
    undo_first()  # restored already: nothing changes
    undo_second()
    assert declaration_for(BusinessType.REGISTRATION) is REGISTRATION
    assert workflow_for(BusinessType.REGISTRATION).definition is REGISTRATION.definition


# --- declarations and the lifecycle ---------------------------------------------------------------

def test_a_declaration_must_describe_its_basis_and_who_confirms_and_decides() -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        attrs.evolve(REISSUE, basis=" ")
    assert str(refused.value) == ("business type 'certificate_reissue': basis, confirms and "
                                  "decides must be described")


def test_submission_rules_come_first_on_submit_even_when_the_type_declares_none_there() -> None:
    bare = attrs.evolve(REISSUE, rules={})
    table = bare.rule_table()
    (key,) = table
    assert key == (REISSUE_TYPE, "submit")
    assert [r.id for r in table[key]] == ["account.active"]


def test_the_lifecycle_labels_its_decisions_and_the_institution_s_confirmation() -> None:
    plain = application_lifecycle("certificate_reissue", "补办执业证书")
    assert {e.id: e.label for e in plain.events} == {
        "submit": "提交申请", "confirm": "机构确认", "send_back": "机构退回", "resubmit": "重新提交",
        "accept": "受理", "request_correction": "要求补正", "supplement": "提交补正材料",
        "refuse_acceptance": "不予受理", "return_to_applicant": "退回申请人", "approve": "准予",
        "reject": "不予批准", "withdraw": "撤回申请"}
    assert {s.id: s.label for s in plain.states} == {
        "draft": "草稿", "pending_institution": "待机构确认", "pending_acceptance": "待受理",
        "under_review": "已受理（审核中）", "returned": "已退回", "needs_correction": "待补正",
        "approved": "准予", "rejected": "不予批准", "not_accepted": "不予受理", "withdrawn": "已撤回"}


def test_a_final_state_that_is_no_closing_outcome_is_refused_naming_the_outcomes() -> None:
    extra = attrs.evolve(
        REISSUE.definition,
        states=(*REISSUE.definition.states, StateSpec("archived", "已归档", final=True)),
        events=(*REISSUE.definition.events,
                EventSpec("archive", "归档", ("under_review",), "archived", Role.AUTHORITY)))
    with pytest.raises(WorkflowDefinitionError) as refused:
        attrs.evolve(REISSUE, definition=extra)
    assert str(refused.value) == (
        "business type 'certificate_reissue': its final states must be outcomes that close an "
        "application (approved, not_accepted, rejected, withdrawn), and those only final")
