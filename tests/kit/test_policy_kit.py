"""The rule author's kit: derived policies, export and diff, explanations, scenarios, strategies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdreg
from mdreg import Actor, BusinessType, Level, RegistrationRequest, ValidationError
from mdreg.errors import RuleDefinitionError
from mdreg.rules import EligibilityContext, Rule, Violation
from mdreg.rules.citations import REGISTRATION_MEASURES
from mdreg.rules.export import diff, export
from mdreg.testing.scenario import Scenario
from mdreg.testing.strategies import applications, invalid_id_numbers, registries
from mdreg.workflows import BASE_POLICY
from mdreg.workflows.policies import resolve

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "province_policy.py"


class Uncited(Rule[RegistrationRequest]):
    id = "example.uncited"
    label = "无依据"
    title = "No citation"
    citations = ()

    def check(self, ctx: EligibilityContext[RegistrationRequest]) -> Iterator[Violation]:
        return iter(())


class Impostor(Rule[RegistrationRequest]):
    id = "practice_location.one_primary_institution"
    label = "冒名"
    title = "Same id, other rule"
    citations = (REGISTRATION_MEASURES.article("第十条"),)

    def check(self, ctx: EligibilityContext[RegistrationRequest]) -> Iterator[Violation]:
        return iter(())


KEY = (BusinessType.REGISTRATION, "submit")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"add": {KEY: (Uncited(),)}}, "no citation"),
        ({"add": {KEY: (Impostor(),)}}, "is used by"),
        ({"switch_off": ["refusal.civil_capacity"]}, "cannot be switched off"),
        ({"no_such_parameter": 1}, "unknown policy parameters"),
        ({"replace": [Uncited()]}, "cannot replace unknown"),
    ],
    ids=["rule_without_citation", "two_rules_one_id", "verified_rule_switched_off",
         "unknown_parameter", "replacing_an_unknown_rule"],
)
def test_conflicting_policies_are_refused_when_built(change: dict, problem: str) -> None:
    with pytest.raises(RuleDefinitionError, match=problem):
        BASE_POLICY.override("bad", **change)


def test_a_replaced_rule_takes_effect_everywhere() -> None:
    lenient = Impostor()
    policy = BASE_POLICY.override("lenient", replace=[lenient])
    for rules in policy.rules.values():
        assert all(r is lenient for r in rules if r.id == lenient.id)
    assert policy.rules_for(*KEY, date(2026, 3, 2)).count(lenient) == 1


def test_export_and_diff_show_the_2022_law() -> None:
    before, after = export(BASE_POLICY, date(2022, 2, 28)), export(BASE_POLICY, date(2022, 3, 1))
    changes = diff(before, after)
    assert [c["rule"] for c in changes["rules"] if c["change"] == "added"] == [
        "refusal.failed_assessment_cancellation", "refusal.registration_revoked"]
    assert {c["rule"] for c in changes["rules"] if c["change"] == "changed"} == {
        "cancellation.ground_accepted", "cancellation.ground_date",
        "change.category_needs_qualification", "qualification.held_and_category_matches",
        "qualification.re_registration_assessment", "refusal.certificate_revoked",
        "refusal.civil_capacity", "refusal.criminal_punishment", "target.registration_usable",
        "individual_practice.five_years", "assistant.under_guidance"}
    assert diff(after, after)["rules"] == []
    rule = after["rules"]["practice_location.one_primary_institution"]
    assert rule["citations"][0]["instrument"] == "医师执业注册管理办法"
    assert "registration:approve" in rule["checked_on"]


def test_resolve_policy_references() -> None:
    assert resolve("base") == (BASE_POLICY, None)
    assert resolve("base@2021-06-01")[1] == date(2021, 6, 1)
    province, _ = resolve(f"{EXAMPLE}:POLICY")
    assert province.name == "example-province"
    for bad in ("base@2021-13-01", "no.such.module:POLICY", f"{EXAMPLE}:NOPE", "mdreg:open"):
        with pytest.raises(RuleDefinitionError):
            resolve(bad)


def test_explain_lists_possible_and_blocked_events_without_changing_anything(scenario: Scenario) -> None:
    hospital = scenario.institution("110105")
    doctor = scenario.physician()
    app = scenario.world.approve(scenario.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))))
    again = scenario.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        scenario.institution("110108").id, doctor.qualifications[0].certificate_no, ("内科专业",)),
        submit=False)
    count = scenario.registry.audit_count()
    explained = scenario.registry.explain(again.id)
    assert set(explained.possible) == {"withdraw"}
    assert set(explained.blocked) == {"submit"}
    assert explained.blocked["submit"].failed_rule_ids == ("practice_location.one_primary_institution",)
    assert "每个执业地点只能有一个主要执业机构" in explained.why_not("submit")
    assert "不允许" in explained.why_not("approve")
    assert explained.why_not("withdraw") == ""
    assert scenario.registry.explain(app.id).possible == {}
    assert scenario.registry.audit_count() == count


def test_scenario_assertions_fail_with_the_reasons(scenario: Scenario) -> None:
    doctor = scenario.physician(level=Level.ASSISTANT)
    outcome = scenario.applies(doctor, RegistrationRequest(
        scenario.institution("440100").id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    outcome.fails("practice_location.assistant_county", only=True).checks("refusal.civil_capacity")
    with pytest.raises(AssertionError, match="assistant_county"):
        outcome.passes()
    with pytest.raises(AssertionError, match="expected"):
        outcome.fails("refusal.exam_fraud")
    with pytest.raises(AssertionError, match="not evaluated"):
        outcome.checks("no.such.rule")


def test_scenario_dates_select_the_rules_in_force() -> None:
    scenario = Scenario(on=date(2016, 6, 1))
    doctor = scenario.physician(qualified_on=date(2010, 1, 1))
    outcome = scenario.applies(doctor, RegistrationRequest(
        scenario.institution("110105").id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    assert "qualification.late_first_registration" not in outcome.verdict.checked
    outcome.passes()


@settings(max_examples=25, deadline=None)
@given(registries())
def test_generated_registries_are_consistent_and_load(data) -> None:
    by_id = {i.id: i for i in data.institutions}
    for registration in data.registrations:
        division = by_id[registration.primary_institution_id].division
        expected = division.province if registration.level is Level.PHYSICIAN else division
        assert registration.location == expected
    registry = mdreg.open("memory://")
    data.load_into(registry)
    for registration in data.registrations:
        assert registry.registrations(registration.physician_id)


@settings(max_examples=25, deadline=None)
@given(st.data(), registries(), st.sampled_from([b for b in BusinessType if b not in (
    BusinessType.FILING_CANCEL, BusinessType.MULTISITE_CANCEL)]))
def test_generated_applications_refer_to_the_registry(data, generated, business) -> None:
    physicians = {p.id for p in generated.physicians}
    held = {r.id for r in generated.registrations}
    if business not in (BusinessType.REGISTRATION, BusinessType.MILITARY_IN) and not held:
        return
    physician, payload = data.draw(applications(business, generated))
    assert physician.id in physicians
    assert getattr(payload, "registration_id", next(iter(held), None)) in held | {None}
    assert mdreg.workflows.declaration_for_payload(payload).business is business


@given(invalid_id_numbers())
def test_generated_invalid_id_numbers_are_all_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        mdreg.ResidentId.parse(raw)


def test_diff_reports_every_kind_of_change_exactly() -> None:
    before = {"name": "base", "as_of": "2021-06-01", "parameters": {"a": 1, "b": 2},
              "rules": {"x": {"label": "X", "version": 1}, "y": {"label": "Y", "version": 1},
                        "z": {"label": "Z", "version": 1, "fix": "old"}}}
    after = {"name": "province", "as_of": None, "parameters": {"b": 3, "c": 4},
             "rules": {"w": {"label": "W", "version": 1}, "y": {"label": "Y", "version": 1},
                       "z": {"label": "Z", "version": 2, "title": "new"}}}
    assert diff(before, after) == {
        "before": "base@2021-06-01",
        "after": "province",
        "rules": [{"rule": "w", "change": "added", "label": "W"},
                  {"rule": "x", "change": "removed", "label": "X"},
                  {"rule": "z", "change": "changed", "fields": ["fix", "title", "version"]}],
        "parameters": {"a": {"before": 1, "after": None}, "b": {"before": 2, "after": 3},
                       "c": {"before": None, "after": 4}},
    }
    assert diff(after, after) == {"before": "province", "after": "province", "rules": [],
                                  "parameters": {}}


def test_diff_of_a_province_that_switches_a_rule_off_and_changes_a_parameter() -> None:
    inferred = next(r for r in BASE_POLICY.all_rules() if r.inferred)
    province = BASE_POLICY.with_changes("province", switch_off=[inferred.id], extra_scopes=["X"])
    changes = diff(export(BASE_POLICY, date(2026, 3, 2)), export(province, date(2026, 3, 2)))
    assert changes["before"] == f"{BASE_POLICY.name}@2026-03-02"
    assert changes["after"] == "province@2026-03-02"
    assert changes["rules"] == [{"rule": inferred.id, "change": "removed", "label": inferred.label}]
    assert changes["parameters"] == {"extra_scopes": {
        "before": export(BASE_POLICY)["parameters"].get("extra_scopes"), "after": ["X"]}}
