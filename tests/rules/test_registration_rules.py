"""Named scenarios for every 注册 rule (R-REG-1…9, R-LOC-1…5, R-IND-1, R-AST-1): each passes and fails
once at least."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

from mdreg import (
    Actor,
    Category,
    CivilCapacity,
    DivisionCode,
    Evidence,
    FakeClock,
    IneligibleError,
    Institution,
    InstitutionKind,
    Level,
    PermissionDenied,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
    RegistrationStatus,
    TransitionNotAllowed,
    ValidationError,
)
from mdreg.domain.application import CancellationGround, CancellationRequest, ChangeRequest
from mdreg.domain.model import FilingStatus
from mdreg.rules import Verdict
from mdreg.service.registry import Registry
from mdreg.testing import World

TODAY = date(2026, 3, 2)


def draft(registry: Registry, physician: Physician, institution: Institution, **kw: object) -> str:
    request = RegistrationRequest(
        institution.id,
        str(kw.pop("qualification_no", physician.qualifications[0].certificate_no)),
        ("内科专业",),
        **kw,  # type: ignore[arg-type]
    )
    return registry.apply(Actor.physician(physician.id), request, submit=False).id


def verdict(registry: Registry, physician: Physician, institution: Institution, **kw: object) -> Verdict:
    return registry.check(draft(registry, physician, institution, **kw), "submit")


def register(registry: Registry, physician: Physician, institution: Institution) -> None:
    app = registry.apply(Actor.physician(physician.id), RegistrationRequest(
        institution.id, physician.qualifications[0].certificate_no, ("内科专业",)))
    registry.fire(app.id, "confirm", Actor.institution(institution.id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    registry.fire(app.id, "approve", Actor.authority(app.department_id))


@pytest.fixture
def beijing(world: World) -> Institution:
    return world.institution("110105")


# R-REG-1 ---------------------------------------------------------------------------------------

def test_r_reg_1_holder_of_the_qualification_passes(world: World, registry: Registry, beijing: Institution) -> None:
    assert verdict(registry, world.physician(), beijing).passed


def test_r_reg_1_a_qualification_the_applicant_does_not_hold_fails(
    world: World, registry: Registry, beijing: Institution
) -> None:
    result = verdict(registry, world.physician(), beijing, qualification_no="SOMEONE-ELSES")
    assert "qualification.held_and_category_matches" in result.failed_rule_ids


def test_r_reg_1_category_other_than_the_qualification_fails(
    world: World, registry: Registry, beijing: Institution
) -> None:
    result = verdict(registry, world.physician(category=Category.CLINICAL), beijing,
                     category=Category.DENTAL)
    assert result.failed_rule_ids == ("qualification.held_and_category_matches",
                                      "scope.belongs_to_category")
    assert "口腔" in result.violations[0].message


# R-REG-2 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("capacity", [CivilCapacity.LIMITED, CivilCapacity.NONE])
def test_r_reg_2_without_full_civil_capacity_fails(
    world: World, registry: Registry, beijing: Institution, capacity: CivilCapacity
) -> None:
    result = verdict(registry, world.physician(civil_capacity=capacity), beijing)
    assert result.failed_rule_ids == ("refusal.civil_capacity",)


# R-REG-3 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("record", "refused"),
    [
        (Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), date(2025, 3, 1)), True),
        (Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), date(2024, 3, 2)), False),
        (Record(RecordKind.CRIMINAL_SENTENCE, date(2024, 1, 1), None), True),
        (Record(RecordKind.PRACTICE_BAN, date(2024, 1, 1), date(2027, 1, 1)), True),
        (Record(RecordKind.PRACTICE_BAN, date(2020, 1, 1), date(2026, 3, 1)), False),
    ],
    ids=["sentence_served_one_year_ago_fails", "sentence_served_two_years_ago_passes",
         "sentence_still_running_fails", "practice_ban_running_fails", "ban_expired_passes"],
)
def test_r_reg_3_criminal_punishment(
    world: World, registry: Registry, beijing: Institution, record: Record, refused: bool
) -> None:
    result = verdict(registry, world.physician(records=(record,)), beijing)
    assert ("refusal.criminal_punishment" in result.failed_rule_ids) is refused


# R-REG-4 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("revoked_on", "refused"),
    [(date(2024, 3, 3), True), (date(2024, 3, 2), False)],
    ids=["revoked_a_day_short_of_two_years_fails", "revoked_exactly_two_years_ago_passes"],
)
def test_r_reg_4_certificate_revoked(
    world: World, registry: Registry, beijing: Institution, revoked_on: date, refused: bool
) -> None:
    doctor = world.physician(records=(Record(RecordKind.CERTIFICATE_REVOKED, revoked_on),))
    result = verdict(registry, doctor, beijing)
    assert ("refusal.certificate_revoked" in result.failed_rule_ids) is refused


# R-REG-5 ---------------------------------------------------------------------------------------

def test_r_reg_5_cancelled_for_failed_assessment_within_a_year_fails(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician(records=(Record(RecordKind.CANCELLED_FAILED_ASSESSMENT, date(2025, 9, 1)),))
    assert verdict(registry, doctor, beijing).failed_rule_ids == (
        "refusal.failed_assessment_cancellation",)


@pytest.mark.parametrize(
    ("kind", "rule"),
    [(RecordKind.CANCELLED_FAILED_ASSESSMENT, "refusal.failed_assessment_cancellation"),
     (RecordKind.REGISTRATION_REVOKED, "refusal.registration_revoked")],
    ids=["r_reg_5", "r_reg_9"],
)
def test_r_reg_5_and_r_reg_9_are_not_in_force_before_the_2021_law(
    world: World, registry: Registry, beijing: Institution, clock: FakeClock, kind: RecordKind,
    rule: str,
) -> None:
    clock.set(datetime(2021, 6, 1, 2, tzinfo=UTC))
    doctor = world.physician(qualified_on=date(2020, 9, 1), records=(Record(kind, date(2021, 1, 4)),))
    result = verdict(registry, doctor, beijing)
    assert result.passed
    assert rule not in result.checked


def _cancel(registry: Registry, registration: Registration, ground: CancellationGround, how: str,
            known: date) -> None:
    """Cancel ``registration`` on ``ground``: on the institution's report the department
    approves, or ex officio."""
    department = Actor.authority(registration.approved_by)
    if how == "ex_officio":
        registry.cancel_ex_officio(department, registration.id, ground, "处罚决定书", ground_on=known)
        return
    app = registry.apply(Actor.institution(registration.primary_institution_id),
                         CancellationRequest(registration.id, ground, known),
                         physician_id=registration.physician_id)
    World(registry).approve(app)


def checked_once(registry: Registry, physician: Physician, institution: Institution) -> Verdict:
    """The verdict a 注册 would get now; the draft is withdrawn after."""
    app_id = draft(registry, physician, institution)
    result = registry.check(app_id, "submit")
    registry.fire(app_id, "withdraw", Actor.physician(physician.id))
    return result


@pytest.mark.parametrize("how", ["on_application", "ex_officio"])
@pytest.mark.parametrize(
    ("ground", "rule", "bar_ends"),
    [(CancellationGround.FAILED_REASSESSMENT, "refusal.failed_assessment_cancellation",
      date(2027, 3, 2)),
     (CancellationGround.CERTIFICATE_REVOKED, "refusal.certificate_revoked", date(2028, 2, 20))],
    ids=["r_reg_5_failed_reassessment_bars_a_year", "r_reg_4_revocation_bars_two_years"],
)
def test_r_reg_5_a_cancellation_mdreg_approved_bars_a_new_registration(
    world: World, registry: Registry, beijing: Institution, clock: FakeClock, how: str,
    ground: CancellationGround, rule: str, bar_ends: date,
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    _cancel(registry, registration, ground, how, date(2026, 2, 20))
    assert [r.kind for r in registry.physician(doctor.id).records] == [
        {CancellationGround.FAILED_REASSESSMENT: RecordKind.CANCELLED_FAILED_ASSESSMENT,
         CancellationGround.CERTIFICATE_REVOKED: RecordKind.CERTIFICATE_REVOKED}[ground]]
    clock.set(datetime(bar_ends.year, bar_ends.month, bar_ends.day, 1, tzinfo=UTC) - timedelta(days=1))
    assert checked_once(registry, doctor, beijing).failed_rule_ids == (rule,)
    clock.set(datetime(bar_ends.year, bar_ends.month, bar_ends.day, 1, tzinfo=UTC))
    assert checked_once(registry, doctor, beijing).passed


def test_r_reg_5_other_grounds_leave_no_record(world: World, registry: Registry, beijing: Institution
                                               ) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    _cancel(registry, registration, CancellationGround.HEALTH_UNFIT, "ex_officio", date(2026, 2, 20))
    assert registry.physician(doctor.id).records == ()


# R-REG-6 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [RecordKind.EXAM_CHEATING, RecordKind.FORGED_QUALIFICATION])
def test_r_reg_6_exam_fraud_fails(
    world: World, registry: Registry, beijing: Institution, kind: RecordKind
) -> None:
    doctor = world.physician(records=(Record(kind, date(2015, 6, 1)),))
    assert verdict(registry, doctor, beijing).failed_rule_ids == ("refusal.exam_fraud",)


# R-REG-7 ---------------------------------------------------------------------------------------

def test_r_reg_7_late_first_registration_without_evidence_lists_both_gaps(
    world: World, registry: Registry, beijing: Institution
) -> None:
    result = verdict(registry, world.physician(qualified_on=date(2022, 9, 1)), beijing)
    assert [v.rule_id for v in result.violations] == ["qualification.late_first_registration"] * 2


def test_r_reg_7_late_first_registration_with_training_and_assessment_passes(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician(qualified_on=date(2022, 9, 1))
    assert verdict(registry, doctor, beijing,
                   evidence=Evidence(training_months=6, assessment_passed=True)).passed


def test_r_reg_7_registration_within_two_years_needs_no_evidence(
    world: World, registry: Registry, beijing: Institution
) -> None:
    assert verdict(registry, world.physician(qualified_on=date(2024, 3, 3)), beijing).passed


# R-REG-8 ---------------------------------------------------------------------------------------

def test_r_reg_8_after_two_years_suspension_an_assessment_is_needed(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician(qualified_on=date(2024, 9, 1),
                             records=(Record(RecordKind.PRACTICE_SUSPENDED, date(2023, 1, 1)),))
    assert set(verdict(registry, doctor, beijing).failed_rule_ids) == {
        "qualification.re_registration_assessment"}
    again = world.physician(qualified_on=date(2024, 9, 1),
                            records=(Record(RecordKind.PRACTICE_SUSPENDED, date(2023, 1, 1)),))
    assert verdict(registry, again, beijing,
                   evidence=Evidence(training_months=6, assessment_passed=True)).passed


def test_r_reg_8_flagged_re_registration_needs_the_evidence(
    world: World, registry: Registry, beijing: Institution
) -> None:
    result = verdict(registry, world.physician(), beijing, re_registration=True)
    assert result.failed_rule_ids == ("qualification.re_registration_assessment",)
    assert len(result.violations) == 2


def test_r_reg_8_short_suspension_needs_nothing(world: World, registry: Registry, beijing: Institution) -> None:
    doctor = world.physician(
        records=(Record(RecordKind.PRACTICE_SUSPENDED, date(2025, 1, 1), date(2025, 6, 1)),))
    assert verdict(registry, doctor, beijing).passed


def _granted(doctor: Physician, institution: Institution, on: date, n: int = 1) -> Registration:
    return Registration(f"R-{doctor.id}-{n}", doctor.id, doctor.qualifications[0].certificate_no,
                        Level.PHYSICIAN, Category.CLINICAL, ("内科专业",), DivisionCode("110000"),
                        institution.id, institution.approved_by, on, f"11000000000{n:04d}")


@pytest.mark.parametrize(
    ("until", "granted_on", "refused"),
    [(None, None, True), (date(2023, 1, 1), None, True), (date(2023, 1, 1), date(2023, 6, 1), False),
     (None, date(2019, 6, 1), True), (date(2021, 12, 31), None, False)],
    ids=["running_two_years_unfollowed_fails", "ended_two_year_suspension_unfollowed_fails",
         "two_year_suspension_followed_by_a_registration_passes",
         "a_registration_granted_before_the_suspension_does_not_follow_it_fails",
         "suspension_a_day_short_of_two_years_passes"],
)
def test_r_reg_8_only_an_unfollowed_two_year_suspension_needs_the_evidence(
    world: World, registry: Registry, beijing: Institution, until: date | None,
    granted_on: date | None, refused: bool,
) -> None:
    doctor = world.physician(qualified_on=date(2015, 9, 1), records=(
        Record(RecordKind.PRACTICE_SUSPENDED, date(2020, 1, 1), until),))
    if granted_on is not None:
        registry.load(registrations=[_granted(doctor, beijing, granted_on)])
    result = verdict(registry, doctor, world.institution("310104"))
    assert "qualification.re_registration_assessment" in result.checked
    assert ("qualification.re_registration_assessment" in result.failed_rule_ids) is refused
    if refused:
        assert {v.facts["suspended_on"] for v in result.violations
                if v.rule_id == "qualification.re_registration_assessment"} == {"2020-01-01"}


def test_r_reg_8_an_assessment_suspension_is_not_a_suspension_of_practice(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician(records=(
        Record(RecordKind.ASSESSMENT_SUSPENSION, date(2023, 1, 1), date(2025, 6, 1)),))
    assert verdict(registry, doctor, beijing).passed


# R-REG-9 ---------------------------------------------------------------------------------------

def test_r_reg_9_the_granting_department_revokes_a_registration_obtained_by_improper_means(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    filing = world.filing(registration, world.institution("110108"))
    department = Actor.authority(registration.approved_by)
    for actor, reason, error in ((Actor.authority("D110108"), "伪造材料", PermissionDenied),
                                 (Actor.institution(beijing.id), "伪造材料", PermissionDenied),
                                 (department, "  ", ValidationError)):
        with pytest.raises(error):
            registry.revoke(actor, registration.id, reason)
    assert registry.physician(doctor.id).records == ()
    revoked = registry.revoke(department, registration.id, "以伪造的工作证明取得注册")
    assert (revoked.status, revoked.ended_on) == (RegistrationStatus.REVOKED, TODAY)
    assert [f.status for f in registry.filings(doctor.id)] == [FilingStatus.INVALID]
    assert registry.physician(doctor.id).records == (Record(RecordKind.REGISTRATION_REVOKED, TODAY),)
    (event,) = registry.trail(registration.id)
    assert (event.event, event.from_state, event.to_state, event.reason, event.actor) == (
        "revoke", "valid", "revoked", "以伪造的工作证明取得注册", department)
    assert event.data["ended"] == [registration.id, filing.id]
    assert [m.template for m in registry.accounts.pending_messages(limit=100)
            if m.aggregate_id == registration.id][-1] == "registration_revoked"
    with pytest.raises(TransitionNotAllowed):
        registry.revoke(department, registration.id, "再次撤销")


@pytest.mark.parametrize(
    ("day", "refused"), [(date(2029, 3, 1), True), (date(2029, 3, 2), False),
                         (date(2029, 3, 3), False)],
    ids=["a_day_short_of_three_years_fails", "the_third_anniversary_passes",
         "the_day_after_passes"],
)
def test_r_reg_9_a_new_registration_within_three_years_of_a_revocation_is_refused(
    world: World, registry: Registry, beijing: Institution, clock: FakeClock,
    day: date, refused: bool,
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    registry.revoke(Actor.authority(registration.approved_by), registration.id, "骗取注册")
    clock.set(datetime.combine(day, time(1), tzinfo=UTC))  # revoked on 2026-03-02
    result = checked_once(registry, doctor, beijing)
    assert "refusal.registration_revoked" in result.checked
    assert result.failed_rule_ids == (("refusal.registration_revoked",) if refused else ())


# R-IND-1 / R-AST-1 -----------------------------------------------------------------------------

@pytest.fixture
def clinic(world: World) -> Institution:
    return world.institution("110105", kind=InstitutionKind.INDIVIDUAL_CLINIC)


@pytest.mark.parametrize(
    ("granted_on", "refused"),
    [(None, True), (date(2021, 3, 3), True), (date(2021, 3, 2), False)],
    ids=["never_registered_fails", "a_day_short_of_five_years_fails", "five_years_passes"],
)
def test_r_ind_1_practising_alone_needs_five_years_of_registered_practice(
    world: World, registry: Registry, clinic: Institution, granted_on: date | None, refused: bool
) -> None:
    doctor = world.physician(qualified_on=date(2015, 9, 1))
    if granted_on is not None:
        registry.load(registrations=[_granted(doctor, world.institution("310104"), granted_on)])
    result = checked_once(registry, doctor, clinic)
    assert "individual_practice.five_years" in result.checked
    assert ("individual_practice.five_years" in result.failed_rule_ids) is refused


def test_r_ind_1_a_province_may_ask_for_other_than_five_years(
    world: World, registry: Registry, clinic: Institution
) -> None:
    doctor = world.physician(qualified_on=date(2015, 9, 1))
    registry.load(registrations=[_granted(doctor, world.institution("310104"), date(2022, 9, 1))])
    assert "individual_practice.five_years" in checked_once(registry, doctor, clinic).failed_rule_ids
    registry.policy = registry.policy.with_changes("three-years", individual_practice_years=3)
    result = checked_once(registry, doctor, clinic)
    assert "individual_practice.five_years" in result.checked
    assert "individual_practice.five_years" not in result.failed_rule_ids


def test_r_ind_1_periods_of_registration_add_up_and_gaps_do_not_count(
    world: World, registry: Registry, clinic: Institution
) -> None:
    doctor = world.physician(qualified_on=date(2010, 9, 1))
    shanghai = world.institution("310104")
    registry.load(registrations=[
        attrs.evolve(_granted(doctor, shanghai, date(2012, 1, 1)), status=RegistrationStatus.CANCELLED,
                     ended_on=date(2014, 1, 1)),
        attrs.evolve(_granted(doctor, shanghai, date(2024, 3, 2), 2), location=DivisionCode("310000"))])
    assert "individual_practice.five_years" in checked_once(registry, doctor, clinic).failed_rule_ids
    registry.load(registrations=[attrs.evolve(_granted(doctor, shanghai, date(2023, 1, 1), 3),
                                              status=RegistrationStatus.FILED, filed_on=date(2024, 3, 1),
                                              location=DivisionCode("320000"))])
    assert checked_once(registry, doctor, clinic).passed             # 2 + 2 + 1 years 2 months


def test_r_ind_1_a_tcm_special_skills_qualification_may_practise_alone_at_once(
    world: World, registry: Registry, clinic: Institution
) -> None:
    doctor = world.physician(extra_qualifications=(
        Qualification("Q-ZC", Level.PHYSICIAN, Category.TCM, date(2025, 9, 1), special_skills=True),))
    request = RegistrationRequest(clinic.id, "Q-ZC", ("中医专业",))
    app = registry.apply(Actor.physician(doctor.id), request, submit=False)
    assert "individual_practice.five_years" in registry.check(app.id, "submit").checked
    assert registry.check(app.id, "submit").passed


def test_r_ind_1_assistant_years_count_unless_the_policy_says_otherwise(
    world: World, registry: Registry, clinic: Institution
) -> None:
    doctor = world.physician(qualified_on=date(2023, 9, 1))
    registry.load(registrations=[
        attrs.evolve(_granted(doctor, clinic, date(2019, 1, 2)), level=Level.ASSISTANT,
                     status=RegistrationStatus.INVALID, ended_on=date(2024, 1, 2),
                     location=DivisionCode("310104")),
        attrs.evolve(_granted(doctor, world.institution("310104"), date(2024, 1, 2), 2),
                     location=DivisionCode("310000"))])
    assert checked_once(registry, doctor, clinic).passed
    registry.policy = registry.policy.with_changes(
        "physician-years", individual_practice_counts_assistant_years=False)
    assert checked_once(registry, doctor, clinic).failed_rule_ids == ("individual_practice.five_years",)


def test_r_ind_1_a_change_to_an_individual_clinic_is_checked_too(
    world: World, registry: Registry, beijing: Institution, clinic: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    app = registry.apply(Actor.physician(doctor.id),
                         ChangeRequest(registration.id, clinic.id, registration.scopes), submit=False)
    assert registry.check(app.id, "submit").failed_rule_ids == ("individual_practice.five_years",)


def test_r_ind_1_a_change_keeps_the_special_skills_of_the_qualification_it_rests_on(
    world: World, registry: Registry, beijing: Institution, clinic: Institution
) -> None:
    special = Qualification("Q-ZC", Level.PHYSICIAN, Category.TCM, date(2025, 9, 1),
                            special_skills=True)
    doctor = world.physician(qualification=special)
    registration = world.registration(doctor, beijing, qualification_no="Q-ZC")
    app = registry.apply(Actor.physician(doctor.id),
                         ChangeRequest(registration.id, clinic.id, registration.scopes), submit=False)
    result = registry.check(app.id, "submit")
    assert "individual_practice.five_years" in result.checked
    assert result.passed


def test_r_ind_1_a_change_naming_a_special_skills_qualification_is_judged_by_it(
    world: World, registry: Registry, beijing: Institution, clinic: Institution
) -> None:
    special = Qualification("Q-ZC", Level.PHYSICIAN, Category.TCM, date(2025, 9, 1),
                            special_skills=True)
    doctor = world.physician(extra_qualifications=(special,))
    registration = world.registration(doctor, beijing)
    assert registration.qualification_no != "Q-ZC"
    request = ChangeRequest(registration.id, clinic.id, ("中医专业",), category=Category.TCM,
                            qualification_no="Q-ZC")
    app = registry.apply(Actor.physician(doctor.id), request, submit=False)
    result = registry.check(app.id, "submit")
    assert "individual_practice.five_years" in result.checked
    assert "individual_practice.five_years" not in result.failed_rule_ids


@pytest.mark.parametrize(
    ("kind", "allowed", "refused"),
    [(InstitutionKind.INDIVIDUAL_CLINIC, False, True), (InstitutionKind.INDIVIDUAL_CLINIC, True, False),
     (InstitutionKind.MEDICAL, False, False)],
    ids=["assistant_at_an_individual_clinic_fails", "a_province_may_allow_it",
         "assistant_at_a_township_hospital_passes"],
)
def test_r_ast_1_an_assistant_registers_where_a_physician_guides(
    world: World, registry: Registry, kind: InstitutionKind, allowed: bool, refused: bool
) -> None:
    registry.policy = registry.policy.with_changes("p", assistant_at_individual_clinic=allowed)
    assistant = world.physician(level=Level.ASSISTANT)
    result = checked_once(registry, assistant, world.institution("110105", kind=kind))
    assert "assistant.under_guidance" in result.checked
    assert result.failed_rule_ids == (("assistant.under_guidance",) if refused else ())


# R-LOC-1 / R-LOC-2 -----------------------------------------------------------------------------

def test_r_loc_1_physician_location_is_the_province(world: World, registry: Registry, beijing: Institution) -> None:
    doctor = world.physician()
    register(registry, doctor, beijing)
    (registration,) = registry.registrations(doctor.id)
    assert registration.location.code == "110000"
    assert registration.primary_institution_id == beijing.id


@pytest.mark.parametrize("code", ["110105", "441900"])
def test_r_loc_2_assistant_location_is_the_county(world: World, registry: Registry, code: str) -> None:
    assistant = world.physician(level=Level.ASSISTANT)
    register(registry, assistant, world.institution(code))
    (registration,) = registry.registrations(assistant.id)
    assert registration.location.code == code


def test_r_loc_2_assistant_at_a_prefecture_coded_institution_fails(world: World, registry: Registry) -> None:
    result = verdict(registry, world.physician(level=Level.ASSISTANT), world.institution("440100"))
    assert result.failed_rule_ids == ("practice_location.assistant_county",)


# R-LOC-3 ---------------------------------------------------------------------------------------

def test_r_loc_3_assistant_with_a_valid_registration_cannot_add_another(
    world: World, registry: Registry, beijing: Institution
) -> None:
    assistant = world.physician(level=Level.ASSISTANT)
    register(registry, assistant, beijing)
    result = verdict(registry, assistant, world.institution("310104"))
    assert result.failed_rule_ids == ("practice_location.assistant_single_location",)


# R-LOC-4 / R-LOC-5 -----------------------------------------------------------------------------

def test_r_loc_4_physician_may_register_in_a_second_province(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    register(registry, doctor, beijing)
    register(registry, doctor, world.institution("310104"))
    assert sorted(r.location.code for r in registry.registrations(doctor.id)) == ["110000", "310000"]


def test_r_loc_5_second_primary_institution_in_one_location_fails(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    register(registry, doctor, beijing)
    with pytest.raises(IneligibleError) as refused:
        registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            world.institution("110108").id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    assert refused.value.rule_ids == ("practice_location.one_primary_institution",)
    violation = refused.value.violations[0]
    assert violation.label and violation.message and violation.message_en and violation.citations


def test_every_failed_rule_is_listed_not_only_the_first(world: World, registry: Registry) -> None:
    doctor = world.physician(
        level=Level.ASSISTANT, qualified_on=date(2020, 1, 1), civil_capacity=CivilCapacity.LIMITED,
        records=(Record(RecordKind.CERTIFICATE_REVOKED, date(2025, 1, 1)),
                 Record(RecordKind.EXAM_CHEATING, date(2019, 6, 1))),
        extra_qualifications=(Qualification("QX", Level.PHYSICIAN, Category.TCM, date(2020, 1, 1)),),
    )
    with pytest.raises(IneligibleError) as refused:
        registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            world.institution("440100").id, doctor.qualifications[0].certificate_no, ("内科专业",),
            category=Category.TCM))
    assert set(refused.value.rule_ids) == {
        "qualification.held_and_category_matches", "qualification.late_first_registration",
        "refusal.civil_capacity", "refusal.certificate_revoked", "refusal.exam_fraud",
        "practice_location.assistant_county", "scope.belongs_to_category",
    }
    assert registry.audit_count() == 0
