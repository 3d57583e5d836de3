"""Business-type declarations: one per type, complete, and checked when built."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from mdreg import Actor
from mdreg.domain.application import Application, BusinessType, RegistrationRequest, UpgradeRequest
from mdreg.errors import ValidationError, WorkflowDefinitionError
from mdreg.rules import Rule
from mdreg.rules.account import SUBMISSION_RULES
from mdreg.rules.refusal import FullCivilCapacity
from mdreg.workflows import (
    BASE_POLICY,
    BUILT_IN,
    DECLARATIONS,
    BusinessTypeDeclaration,
    checked_on,
    declaration_for,
    declaration_for_payload,
    redeclare,
)
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.materials import PHOTO
from mdreg.workflows.registration import REGISTRATION

BUILT_IN_IDS = [d.business.value for d in BUILT_IN]


def test_each_of_the_nine_types_is_declared_once() -> None:
    assert [d.business for d in BUILT_IN] == list(BusinessType)
    assert len({d.payload for d in BUILT_IN}) == 9
    assert {b: DECLARATIONS[b] for b in BusinessType} == {d.business: d for d in BUILT_IN}


@pytest.mark.parametrize("declaration", BUILT_IN, ids=BUILT_IN_IDS)
def test_a_declaration_names_routing_materials_and_effects(
        declaration: BusinessTypeDeclaration[Any]) -> None:
    assert declaration.definition.id == declaration.business.value
    assert declaration.confirms and declaration.decides and declaration.basis
    assert declaration.materials, "the department checks paper materials for every type"
    assert set(declaration.effects) == {"approve"}
    assert declaration_for(declaration.business) is declaration
    assert set(declaration.rules) == {"submit", "resubmit", "supplement", "approve"}


@pytest.mark.parametrize("declaration", BUILT_IN, ids=BUILT_IN_IDS)
def test_the_base_policy_is_the_declarations_rule_tables(
        declaration: BusinessTypeDeclaration[Any]) -> None:
    for event, rules in declaration.rules.items():
        portal = SUBMISSION_RULES if event == "submit" else ()  # R-ACC-2 on every submission
        assert BASE_POLICY.rules[(declaration.business, event)] == portal + rules
    assert dict(BASE_POLICY.rules) | declaration.rule_table() == dict(BASE_POLICY.rules)


def test_who_may_apply_and_what_activates_an_account_is_declared() -> None:
    assert {d.business for d in BUILT_IN if d.institution_may_apply is True} == {
        BusinessType.REGISTRATION, BusinessType.CANCELLATION}
    assert {d.business: d.institution_may_apply for d in BUILT_IN
            if isinstance(d.institution_may_apply, str)} == {
        BusinessType.CHANGE: "institution_applies_for_change"}
    assert {d.business for d in BUILT_IN if d.institution_applies(BASE_POLICY)} == {
        BusinessType.REGISTRATION, BusinessType.CANCELLATION, BusinessType.CHANGE}
    assert {d.business for d in BUILT_IN if d.activates_account_on == "approve"} == {
        BusinessType.REGISTRATION, BusinessType.CHANGE}


def test_a_declaration_naming_an_unknown_policy_parameter_is_refused() -> None:
    with pytest.raises(WorkflowDefinitionError, match="no policy parameter"):
        _declare(institution_may_apply="no_such_parameter")


def test_the_payload_names_its_declaration() -> None:
    payload = UpgradeRequest("R1", "Q2")
    assert declaration_for_payload(payload).business is BusinessType.UPGRADE


def _declare(**changes: Any) -> BusinessTypeDeclaration[Any]:
    return attrs.evolve(REGISTRATION, **changes)


class _UpgradeOnly(Rule[UpgradeRequest]):
    id = "test.upgrade_only"
    label = "只读升级申请"
    title = "Reads an upgrade request"
    citations = FullCivilCapacity.citations

    def check(self, ctx: Any) -> Any:
        return ()


@pytest.mark.parametrize(("changes", "problem"), [
    ({"rules": {"approve_later": ()}}, "rules name unknown events"),
    ({"effects": {"decide": REGISTRATION.effects["approve"]}}, "effects name unknown events"),
    ({"facts": {"nothing": lambda *_: {}}}, "facts name unknown events"),
    ({"activates_account_on": "activate"}, "activation on unknown event"),
    ({"rules": checked_on([_UpgradeOnly()])}, "reads UpgradeRequest, not RegistrationRequest"),
    ({"payload": dict}, "not an attrs class"),
    ({"definition": application_lifecycle("upgrade", "升级")}, "its workflow is 'upgrade'"),
    ({"confirms": ""}, "must be described"),
], ids=["rule_event", "effect_event", "facts_event", "activation_event", "rule_payload",
        "payload_class", "workflow_id", "routing_text"])
def test_an_inconsistent_declaration_is_refused_when_built(changes: dict[str, Any],
                                                           problem: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=problem):
        _declare(**changes)


def test_the_registration_payload_is_the_declared_one() -> None:
    assert REGISTRATION.payload is RegistrationRequest


def test_an_undeclared_business_type_or_payload_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as refused:
        declaration_for("no_such_type")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.field_label) == ("business", "业务类型")
    assert str(refused.value) == "business: business type 'no_such_type' is not declared"
    with pytest.raises(ValidationError) as refused:
        declaration_for_payload({"institution_id": "I1"})
    assert (refused.value.field, refused.value.field_label) == ("payload", "申请内容")
    assert str(refused.value) == "payload: dict is not an application payload"


def test_only_a_declared_type_with_its_own_payload_can_be_redeclared() -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        redeclare(attrs.evolve(REGISTRATION, payload=UpgradeRequest, rules={}, effects={},
                               facts={}))
    assert str(refused.value) == ("business type 'registration' with payload UpgradeRequest is "
                                  "not declared")
    assert declaration_for(BusinessType.REGISTRATION) is REGISTRATION


def test_an_application_carrying_another_types_payload_is_refused() -> None:
    app = attrs.evolve(_application(), payload=UpgradeRequest("R1", "Q2"))
    with pytest.raises(WorkflowDefinitionError) as refused:
        REGISTRATION.payload_of(app)
    assert str(refused.value) == ("application A1 of registration carries a UpgradeRequest, "
                                  "not a RegistrationRequest")
    assert REGISTRATION.payload_of(_application()) == _application().payload


def _application() -> Application:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return Application("A1", BusinessType.REGISTRATION, "P1", Actor.physician("P1"),
                       RegistrationRequest("I1", "Q1", ("内科专业",)), "I1", "D1", "110000",
                       "draft", 1, now, now, date(2026, 3, 2))


def test_a_material_shows_its_citation_when_it_has_one() -> None:
    assert str(PHOTO) == "近6个月2寸白底免冠正面半身照片（《医师执业注册管理办法》第十二条第（二）项）"
    assert str(attrs.evolve(PHOTO, citation=None)) == "近6个月2寸白底免冠正面半身照片"
