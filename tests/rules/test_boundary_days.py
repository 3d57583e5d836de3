"""The law on its boundary days: each dated threshold a rule turns on, tested on the day before,
the day itself and the day after (:mod:`mdreg.testing.boundaries`), and R-LOC-5 on 变更 both
refusing and passing.

Each test names its rule (R-…) and pins one day a mutation of the comparison or the count would
move: ``>`` for ``>=``, ``<`` for ``<=``, two years for three.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mdreg import (
    CivilCapacity,
    Evidence,
    Level,
    Physician,
    Record,
    RecordKind,
    RegistrationRequest,
)
from mdreg.domain.application import CancellationGround, CancellationRequest, ChangeRequest
from mdreg.domain.dates import add_years
from mdreg.rules.citations import PHYSICIANS_LAW, REGISTRATION_MEASURES
from mdreg.testing.boundaries import Boundary, BoundaryCase, boundary
from mdreg.testing.scenario import Outcome, Scenario
from mdreg.workflows import BASE_POLICY

TODAY = date(2026, 3, 2)
NO_EVIDENCE = Evidence()


def days(threshold: Any, *, before: bool, on: bool, after: bool | None = None, name: str,
         **facts: Any) -> list[Any]:
    """The day before ``threshold``, the day and the day after as pytest params; each case is
    its day, ``expected`` whether the rule refuses on it."""
    return boundary(threshold, build=lambda day: day, before=before, on=on, after=after,
                    name=name, **facts).params()


def registers(s: Scenario, doctor: Physician, day: date, evidence: Evidence = NO_EVIDENCE,
              **kw: bool) -> Outcome:
    """The verdict on ``doctor``'s 注册 at a new Beijing hospital, applied for on ``day``."""
    hospital = s.institution("110105")
    return s.on(day).applies(doctor, RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",), evidence=evidence,
        **kw))


# R-LOC-5 on 变更: change.location_free ------------------------------------------------------------

def test_r_loc_5_a_change_onto_a_location_already_registered_is_refused(scenario: Scenario) -> None:
    doctor = scenario.physician(level=Level.PHYSICIAN)
    beijing = scenario.registered(doctor, scenario.institution("110105"))
    tianjin = scenario.registered(doctor, scenario.institution("120101"))
    other_tianjin = scenario.institution("120104")
    outcome = scenario.applies(doctor, ChangeRequest(beijing.id, other_tianjin.id, beijing.scopes))
    outcome.fails("change.location_free", only=True)
    assert outcome.verdict.violations[0].facts["registration"] == tianjin.id


def test_r_loc_5_a_change_onto_a_free_location_passes(scenario: Scenario) -> None:
    doctor = scenario.physician(level=Level.PHYSICIAN)
    beijing = scenario.registered(doctor, scenario.institution("110105"))
    scenario.registered(doctor, scenario.institution("120101"))
    shanghai = scenario.institution("310101")
    scenario.applies(doctor, ChangeRequest(beijing.id, shanghai.id, beijing.scopes)
                     ).checks("change.location_free").passes()


def test_r_loc_5_a_change_inside_its_own_location_passes(scenario: Scenario) -> None:
    doctor = scenario.physician(level=Level.PHYSICIAN)
    beijing = scenario.registered(doctor, scenario.institution("110105"))
    haidian = scenario.institution("110108")
    scenario.applies(doctor, ChangeRequest(beijing.id, haidian.id, beijing.scopes)
                     ).checks("change.location_free").passes()


# R-CAN-3: the day the ground became known ----------------------------------------------------------

@pytest.mark.parametrize("case", days(
    TODAY, before=False, on=False, after=True, name="R-CAN-3"))
def test_r_can_3_ground_known_on_the_day_before_the_day_and_the_day_after(
        scenario: Scenario, case: BoundaryCase[date, bool]) -> None:
    doctor = scenario.physician()
    registration = scenario.registered(doctor, scenario.institution("110105"))
    outcome = scenario.on(TODAY).applies(doctor, CancellationRequest(
        registration.id, CancellationGround.OWN_REQUEST, case.case))
    case.assert_rule(outcome, "cancellation.ground_date")


# R-REG-7: the exact two-year day and the 2–3-year window of a late first registration -------------

QUALIFIED = date(2024, 3, 2)


@pytest.mark.parametrize("applied_on", [date(2026, 9, 1), date(2027, 3, 1)],
                         ids=["two_and_a_half_years", "a_day_short_of_three_years"])
def test_r_reg_7_inside_the_two_to_three_year_window_needs_training_and_assessment(
        scenario: Scenario, applied_on: date) -> None:
    doctor = scenario.physician(qualified_on=QUALIFIED)
    registers(scenario, doctor, applied_on).fails("qualification.late_first_registration")
    scenario.on(TODAY)
    registers(scenario, scenario.physician(qualified_on=QUALIFIED), applied_on,
              Evidence(training_months=6, assessment_passed=True)).passes()


# R-REG-8: the 2017-04-01 switch-over of the training requirement, and the two-year 中止 -----------

@pytest.mark.parametrize("case", days(
    REGISTRATION_MEASURES.effective_from, before=False, on=True,
    name="R-REG-8"))
def test_r_reg_8_training_is_required_from_2017_04_01(
        scenario: Scenario, case: BoundaryCase[date, bool]) -> None:
    scenario.on(case.day)
    doctor = scenario.physician(qualified_on=date(2016, 9, 1))
    outcome = registers(scenario, doctor, case.day, Evidence(assessment_passed=True),
                        re_registration=True)
    case.assert_rule(outcome, "qualification.re_registration_assessment")
    if case.expected:
        assert "培训" in outcome.verdict.violations[0].message


SUSPENDED_ON = date(2024, 3, 2)


@pytest.mark.parametrize("case", days(
    add_years, facts=SUSPENDED_ON, years=2, before=False, on=True, name="R-REG-8"))
def test_r_reg_8_a_zhongzhi_ended_the_day_before_the_day_or_after_two_years(
        scenario: Scenario, case: BoundaryCase[date, bool]) -> None:
    record = Record(RecordKind.PRACTICE_SUSPENDED, SUSPENDED_ON, case.day)
    outcome = registers(scenario, scenario.physician(records=(record,)), date(2026, 9, 1))
    case.assert_rule(outcome, "qualification.re_registration_assessment")


# R-REG-3: a sentence or a practice ban ending on the application date --------------------------

BAN_LIFTED = date(2026, 3, 2)


def test_r_reg_3_a_sentence_completed_on_the_application_date_is_completed(
        scenario: Scenario) -> None:
    doctor = scenario.physician(records=(
        Record(RecordKind.CRIMINAL_SENTENCE, date(2023, 3, 2), TODAY),))
    outcome = registers(scenario, doctor, TODAY).fails("refusal.criminal_punishment", only=True)
    assert outcome.verdict.violations[0].facts == {
        "completed_on": "2026-03-02", "eligible_from": "2028-03-02"}


# A rule's last day in force (Rule.in_force): the 执业医师法's last day and the 医师法's first ----

VERSIONS = sorted((r for r in BASE_POLICY.all_rules() if r.id == "refusal.civil_capacity"),
                  key=lambda r: r.version)


@pytest.mark.parametrize("case", [
    case.param()
    for rule in VERSIONS if rule.effective_until is not None
    for case in boundary(rule.effective_until, build=lambda day, rule=rule: rule,
                         before=True, on=True, after=False, name=f"R-REG-2-v{rule.version}-until")
] + [
    case.param()
    for rule in VERSIONS
    for case in boundary(rule.effective_from, build=lambda day, rule=rule: rule,
                         before=False, on=True, name=f"R-REG-2-v{rule.version}-from")
])
def test_r_reg_2_each_version_is_in_force_from_its_first_to_its_last_day(
        case: BoundaryCase[Any, bool]) -> None:
    assert case.case.in_force(case.day) is case.expected


@pytest.mark.parametrize("case", days(
    PHYSICIANS_LAW.effective_from, before=True, on=True,
    name="R-REG-2"))
def test_r_reg_2_is_checked_on_the_last_day_of_the_old_law_and_the_first_of_the_new(
        scenario: Scenario, case: BoundaryCase[date, bool]) -> None:
    scenario.on(case.day)
    doctor = scenario.physician(civil_capacity=CivilCapacity.LIMITED, qualified_on=date(2021, 9, 1))
    outcome = registers(scenario, doctor, case.day).checks("refusal.civil_capacity")
    case.assert_rule(outcome, "refusal.civil_capacity")
    version = 2 if case.day < PHYSICIANS_LAW.effective_from else 3
    cited = outcome.verdict.violations[0].citations[0].instrument
    assert cited is VERSIONS[version - 1].citations[0].instrument


# Registration refusals on their boundary days, one table ----------------------------------------

REVOKED_ON_LEAP_DAY = date(2024, 2, 29)
SENTENCE = Record(RecordKind.CRIMINAL_SENTENCE, date(2023, 3, 2), TODAY)


def applying(rule_id: str, physician: dict[str, Any], threshold: Any, *, before: bool, on: bool,
             name: str, **facts: Any) -> Boundary[tuple[str, dict[str, Any]], bool]:
    """A physician (``World.physician`` arguments) applying for a 注册 around ``threshold``;
    ``expected``: whether ``rule_id`` refuses."""
    return boundary(threshold, build=lambda day: (rule_id, physician), before=before, on=on,
                    name=name, **facts)


REGISTRATION_DAYS = [case.param() for cases in (
    # R-REG-7: qualified two years ago to the day; a day short of it asks for nothing
    applying("qualification.late_first_registration", {"qualified_on": QUALIFIED},
             add_years, facts=QUALIFIED, years=2, before=False, on=True, name="R-REG-7"),
    # R-REG-8: a 中止 still running on its second anniversary
    applying("qualification.re_registration_assessment",
             {"records": (Record(RecordKind.PRACTICE_SUSPENDED, SUSPENDED_ON),)},
             add_years, facts=SUSPENDED_ON, years=2, before=False, on=True, name="R-REG-8"),
    # R-REG-3: a practice ban lifted on the application date no longer refuses
    applying("refusal.criminal_punishment",
             {"records": (Record(RecordKind.PRACTICE_BAN, date(2021, 3, 2), BAN_LIFTED),)},
             BAN_LIFTED, before=True, on=False, name="R-REG-3-ban"),
    # R-REG-3: two years after the sentence was completed, to the day
    applying("refusal.criminal_punishment", {"records": (SENTENCE,)},
             add_years, facts=TODAY, years=2, before=True, on=False, name="R-REG-3-sentence"),
    # R-REG-4 and add_years: revoked on 29 February, eligible again on 28 February
    applying("refusal.certificate_revoked",
             {"records": (Record(RecordKind.CERTIFICATE_REVOKED, REVOKED_ON_LEAP_DAY),)},
             add_years, facts=REVOKED_ON_LEAP_DAY, years=2, before=True, on=False,
             name="R-REG-4-29-february"),
) for case in cases]


@pytest.mark.parametrize("case", REGISTRATION_DAYS)
def test_r_reg_3_4_7_8_registration_on_the_day_before_the_day_and_the_day_after(
        scenario: Scenario, case: BoundaryCase[tuple[str, dict[str, Any]], bool]) -> None:
    rule_id, physician = case.case
    scenario.on(case.day)
    case.assert_rule(registers(scenario, scenario.physician(**physician), case.day), rule_id)


def test_r_reg_4_revoked_on_29_february_is_eligible_again_on_28_february() -> None:
    assert add_years(REVOKED_ON_LEAP_DAY, 2) == date(2026, 2, 28)
