"""Named scenarios for the rules of the eight business types beside 注册 (domain.md rules 24–26, 42–64).

Each rule gets a scenario that passes and one that fails; the failing one names the rule id in the
verdict or the error. Effect rules (R-LOC-7, R-UPG-2, R-MIL-1) and routing rules (R-LOC-8) assert
the registry change or the route precisely. R-CAN-7 (announcements) is not implemented yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

import mdreg
from mdreg import (
    Actor,
    Category,
    Evidence,
    FakeClock,
    IneligibleError,
    Institution,
    InstitutionKind,
    Level,
    PermissionDenied,
    Qualification,
    Registration,
    RegistrationStatus,
    TransitionNotAllowed,
    ValidationError,
)
from mdreg.domain.application import (
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    DepartureKind,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MilitaryOutRequest,
    MultisiteCancelRequest,
    OfflineBusiness,
    Payload,
    RegistrationRequest,
    ScopeEvidence,
    UpgradeRequest,
)
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import FilingStatus, Physician
from mdreg.errors import NotFoundError, OfflineOnlyBusiness, RuleDefinitionError
from mdreg.rules import Policy, Rule, Verdict
from mdreg.rules.change import NO_CHANGE_NEEDED, change_required
from mdreg.service.registry import Registry
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY, DEFINITIONS, workflow_for
from mdreg.workflows.lifecycle import PENDING_ACCEPTANCE, UNDER_REVIEW

TODAY = date(2026, 3, 2)
KNOWN = date(2026, 2, 20)


def verdict(registry: Registry, payload: Payload, physician: Physician | str) -> Verdict:
    """The verdict ``submit`` would get for a draft of ``payload``; the draft is withdrawn after."""
    me = Actor.physician(physician if isinstance(physician, str) else physician.id)
    app = registry.apply(me, payload, submit=False)
    result = registry.check(app.id, "submit")
    registry.fire(app.id, "withdraw", me)
    return result


def approve(registry: Registry, payload: Payload, physician: Physician) -> mdreg.Application:
    return World(registry).approve(registry.apply(Actor.physician(physician.id), payload))


def effects(event: mdreg.AuditEvent) -> dict[str, list[str]]:
    """What an approval's audit event says it changed in the registry."""
    return {k: event.data[k] for k in ("created", "ended", "changed")}


def fresh(clock: FakeClock, policy: Policy) -> World:
    return World(mdreg.open("memory://", clock=clock, policy=policy, ids=mdreg.SequentialIds()))


def filing_request(registration: Registration, institution: Institution,
                   scopes: tuple[str, ...] = ("内科专业",)) -> FilingRequest:
    return FilingRequest(registration.id, institution.id, scopes, valid_from=TODAY,
                         valid_to=date(2027, 3, 1))


def physician_with(world: World, *extra: tuple[str, Level, Category], level: Level = Level.PHYSICIAN
                   ) -> Physician:
    return world.physician(level=level, extra_qualifications=tuple(
        Qualification(number, lvl, category, date(2025, 9, 1)) for number, lvl, category in extra))


@pytest.fixture
def beijing(world: World) -> Institution:
    return world.institution("110105")


@pytest.fixture
def haidian(world: World) -> Institution:
    return world.institution("110108")


@pytest.fixture
def shanghai(world: World) -> Institution:
    return world.institution("310104")


# R-LOC-6 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("level", "other_code", "passes"),
    [(Level.PHYSICIAN, "110108", True), (Level.PHYSICIAN, "310104", False),
     (Level.ASSISTANT, "110105", True), (Level.ASSISTANT, "110108", False)],
    ids=["physician_files_inside_the_province_passes", "physician_files_in_another_province_fails",
         "assistant_files_inside_the_county_passes", "assistant_files_in_another_county_fails"],
)
def test_r_loc_6_filed_institution_must_lie_in_the_practice_location(
    world: World, registry: Registry, beijing: Institution, level: Level, other_code: str, passes: bool
) -> None:
    doctor = world.physician(level=level)
    registration = world.registration(doctor, beijing)
    result = verdict(registry, filing_request(registration, world.institution(other_code)), doctor)
    assert "filing.within_practice_location" in result.checked
    assert result.passed is passes
    assert result.failed_rule_ids == (() if passes else ("filing.within_practice_location",))


# R-LOC-7 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("second", "first_stays_valid"),
    [({}, True), ({"scopes": ("外科专业",)}, False), ({"qualification_no": "Q-CLIN-2"}, False)],
    ids=["same_qualification_and_scopes_keeps_the_first", "other_scopes_end_the_first",
         "other_qualification_ends_the_first"],
)
def test_r_loc_7_second_province_keeps_the_first_only_if_identical(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution,
    second: dict[str, object], first_stays_valid: bool,
) -> None:
    doctor = physician_with(world, ("Q-CLIN-2", Level.PHYSICIAN, Category.CLINICAL))
    first = world.registration(doctor, beijing)
    filing = world.filing(first, world.institution("110108"))
    new = world.registration(doctor, shanghai, **second)  # type: ignore[arg-type]
    now = {r.id: r for r in registry.registrations(doctor.id)}
    assert now[new.id].is_valid
    assert now[new.id].location.code == "310000"
    approval = registry.history(new.application_id or "")[-1]
    if first_stays_valid:
        assert now[first.id].is_valid
        assert approval.data["ended"] == []
    else:
        assert (now[first.id].status, now[first.id].ended_on) == (RegistrationStatus.INVALID, TODAY)
        assert registry.filings(doctor.id)[0].status is FilingStatus.INVALID
        assert approval.data["ended"] == [first.id, filing.id]


def test_r_loc_7_can_be_switched_off_by_a_province(
    clock: FakeClock
) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("keep-all", second_province_identical=False))
    doctor = world.physician()
    first = world.registration(doctor, world.institution("110105"))
    world.registration(doctor, world.institution("310104"), scopes=("外科专业",))
    assert all(r.is_valid for r in world.registry.registrations(doctor.id))
    assert world.registry.registrations(doctor.id)[0].id == first.id


# R-LOC-8 ---------------------------------------------------------------------------------------

def test_r_loc_8_registration_is_decided_by_the_department_that_approved_the_institution(
    world: World, registry: Registry
) -> None:
    city = world.department("110000")
    hospital = world.institution("110105", approved_by=city.id)
    doctor = world.physician()
    app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    assert (app.institution_id, app.department_id) == (hospital.id, "D110000")
    registry.fire(app.id, "confirm", Actor.institution(hospital.id))
    with pytest.raises(PermissionDenied):
        registry.fire(app.id, "accept", Actor.authority(world.department("110105").id))
    assert registry.fire(app.id, "accept", Actor.authority(city.id)).state == UNDER_REVIEW


def test_r_loc_8_filing_is_decided_by_the_department_that_approved_the_filed_institution(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    other = world.institution("110108")
    app = registry.apply(Actor.physician(doctor.id), filing_request(registration, other))
    assert (app.institution_id, app.department_id) == (other.id, "D110108")
    assert registration.approved_by == "D110105"
    approved = World(registry).approve(app)
    assert approved.state == "approved"
    assert registry.filings(doctor.id)[0].approved_by == "D110108"


def test_r_loc_8_prevention_institution_is_decided_at_its_own_level(
    world: World, registry: Registry
) -> None:
    centre = world.institution("440100", kind=InstitutionKind.PREVENTION)
    doctor = world.physician(category=Category.PUBLIC_HEALTH)
    registration = world.registration(doctor, centre)
    assert registration.approved_by == "D440100"
    assert registry.history(registration.application_id or "")[-1].actor == Actor.authority("D440100")


def test_r_loc_8_prevention_institution_ignores_a_department_of_another_level(
    world: World, registry: Registry
) -> None:
    world.department("110105")
    centre = world.institution("110105", kind=InstitutionKind.PREVENTION,
                               approved_by=world.department("110000").id)
    doctor = world.physician(category=Category.PUBLIC_HEALTH)
    app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        centre.id, doctor.qualifications[0].certificate_no, ("公共卫生类别专业",)))
    assert app.department_id == "D110105"


def test_r_loc_8_a_provincial_prevention_institution_in_a_district_is_decided_by_the_province(
    world: World, registry: Registry
) -> None:
    world.department("110105")
    province = world.department("110000")
    centre = world.institution("110105", kind=InstitutionKind.PREVENTION,
                               approved_by=province.id)
    provincial = attrs.evolve(centre, id="I-CDC", administrative_level="province")
    registry.load(institutions=[provincial])
    doctor = world.physician(category=Category.PUBLIC_HEALTH)
    app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        provincial.id, doctor.qualifications[0].certificate_no, ("公共卫生类别专业",)))
    assert app.department_id == province.id
    county = registry.apply(Actor.physician(world.physician(category=Category.PUBLIC_HEALTH).id),
                            RegistrationRequest(centre.id, "", ("公共卫生类别专业",)), submit=False)
    assert county.department_id == "D110105"


def test_an_administrative_level_outside_the_three_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Institution("I1", "某医院", DivisionCode("110105"), InstitutionKind.MEDICAL, "D110105",
                    administrative_level="national")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.field_label) == ("administrative_level", "机构行政级别")


# R-CHG-1 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("category", "qualification_no", "scopes", "failures"),
    [(Category.DENTAL, "Q-DENT", ("口腔专业",), 0),
     (Category.DENTAL, None, ("口腔专业",), 1),
     (Category.DENTAL, "Q-TCM", ("口腔专业",), 1),
     (Category.DENTAL, "NOT-HELD", ("口腔专业",), 1),
     (Category.DENTAL, "Q-DENT-ASSISTANT", ("口腔专业",), 1),
     (None, "Q-TCM", ("中医专业",), 1),
     (None, "Q-CLIN-ASSISTANT", ("内科专业",), 1),
     (None, "Q-CLIN-2", ("内科专业",), 0),
     (Category.DENTAL, "Q-TCM-ASSISTANT", ("口腔专业",), 2)],
    ids=["dental_qualification_passes", "no_qualification_named_fails",
         "qualification_of_another_category_fails", "qualification_not_held_fails",
         "assistant_qualification_of_the_new_category_fails",
         "tcm_qualification_without_a_category_change_fails",
         "assistant_qualification_of_the_same_category_fails",
         "another_physician_qualification_of_the_same_category_passes",
         "assistant_qualification_of_a_third_category_fails_on_both_counts"],
)
def test_r_chg_1_category_change_needs_a_qualification_of_the_new_category(
    world: World, registry: Registry, beijing: Institution, category: Category | None,
    qualification_no: str | None, scopes: tuple[str, ...], failures: int,
) -> None:
    doctor = physician_with(world, ("Q-DENT", Level.PHYSICIAN, Category.DENTAL),
                            ("Q-TCM", Level.PHYSICIAN, Category.TCM),
                            ("Q-CLIN-2", Level.PHYSICIAN, Category.CLINICAL),
                            ("Q-DENT-ASSISTANT", Level.ASSISTANT, Category.DENTAL),
                            ("Q-CLIN-ASSISTANT", Level.ASSISTANT, Category.CLINICAL),
                            ("Q-TCM-ASSISTANT", Level.ASSISTANT, Category.TCM))
    registration = world.registration(doctor, beijing)
    result = verdict(registry, ChangeRequest(registration.id, beijing.id, scopes, category=category,
                                             qualification_no=qualification_no), doctor)
    assert "change.category_needs_qualification" in result.checked
    found = [v.rule_id for v in result.violations if v.rule_id == "change.category_needs_qualification"]
    assert len(found) == failures


def test_r_chg_1_an_approved_change_takes_category_and_level_from_the_qualification(
    world: World, registry: Registry, beijing: Institution, haidian: Institution
) -> None:
    doctor = physician_with(world, ("Q-DENT", Level.PHYSICIAN, Category.DENTAL))
    registration = world.registration(doctor, beijing)
    approve(registry, ChangeRequest(registration.id, haidian.id, ("口腔专业",),
                                    category=Category.DENTAL, qualification_no="Q-DENT"), doctor)
    (changed,) = registry.registrations(doctor.id)
    assert (changed.id, changed.qualification_no, changed.category, changed.level) == (
        registration.id, "Q-DENT", Category.DENTAL, Level.PHYSICIAN)
    assert (changed.location.code, changed.primary_institution_id) == ("110000", haidian.id)


def test_r_chg_1_an_assistant_changing_category_stays_an_assistant_in_the_county(
    world: World, registry: Registry, beijing: Institution, haidian: Institution
) -> None:
    doctor = physician_with(world, ("Q-DENT-A", Level.ASSISTANT, Category.DENTAL),
                            level=Level.ASSISTANT)
    registration = world.registration(doctor, beijing)
    approve(registry, ChangeRequest(registration.id, haidian.id, ("口腔专业",),
                                    category=Category.DENTAL, qualification_no="Q-DENT-A"), doctor)
    (changed,) = registry.registrations(doctor.id)
    assert (changed.category, changed.level, changed.location.code) == (
        Category.DENTAL, Level.ASSISTANT, "110108")


# R-CHG-2 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("scopes", "evidence", "passes"),
    [(("外科专业",), ScopeEvidence(), False),
     (("外科专业",), ScopeEvidence(training_years=1), False),
     (("外科专业",), ScopeEvidence(higher_degree=True), True),
     (("外科专业",), ScopeEvidence(training_years=2), True),
     (("内科专业",), ScopeEvidence(), True)],
    ids=["new_scope_without_evidence_fails", "one_year_of_training_fails",
         "higher_degree_passes", "two_years_of_training_passes", "unchanged_scope_needs_nothing"],
)
def test_r_chg_2_new_scope_within_the_category_needs_evidence(
    world: World, registry: Registry, beijing: Institution, haidian: Institution,
    scopes: tuple[str, ...], evidence: ScopeEvidence, passes: bool,
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    result = verdict(registry, ChangeRequest(registration.id, haidian.id, scopes,
                                             scope_evidence=evidence), doctor)
    assert "change.scope_needs_evidence" in result.checked
    assert result.failed_rule_ids == (() if passes else ("change.scope_needs_evidence",))


# R-CHG-3 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("activity", sorted(NO_CHANGE_NEEDED))
def test_r_chg_3_law_18_activities_need_no_change_registration(activity: str) -> None:
    assert change_required(activity) is False


@pytest.mark.parametrize("activity", ["new_primary_institution", "new_scope", "new_category", ""])
def test_r_chg_3_anything_else_needs_a_change_registration(activity: str) -> None:
    assert change_required(activity) is True


def test_r_chg_3_lists_exactly_the_eight_activities_of_law_article_18() -> None:
    assert set(NO_CHANGE_NEEDED.values()) == {
        "参加规范化培训", "进修", "对口支援", "会诊", "突发事件医疗救援", "慈善或者公益性医疗、义诊",
        "承担政府交办的任务", "在医疗联合体内的医疗机构中执业"}


# R-SCOPE-1 -------------------------------------------------------------------------------------

THREE = ("内科专业", "外科专业", "儿科专业")


@pytest.mark.parametrize(
    ("code", "category", "scopes", "county_approved", "passes"),
    [("110108", Category.CLINICAL, ("内科专业",), False, True),
     ("110105", Category.CLINICAL, THREE, True, True),
     ("110105", Category.CLINICAL, THREE[:2], False, False),
     ("110105", Category.CLINICAL, (*THREE, "全科医学专业"), True, False),
     ("440100", Category.CLINICAL, THREE[:2], True, False),
     ("110105", Category.TCM, ("中医专业", "中西医结合专业"), True, False),
     ("110105", Category.CLINICAL, ("内科专业", "内科专业"), True, False)],
    ids=["one_scope_passes", "three_clinical_scopes_at_county_with_approval_pass",
         "two_scopes_without_county_approval_fail", "four_scopes_fail",
         "several_scopes_above_county_level_fail", "several_tcm_scopes_fail",
         "a_repeated_scope_fails"],
)
def test_r_scope_1_one_scope_or_up_to_three_at_county_level(
    world: World, registry: Registry, code: str, category: Category, scopes: tuple[str, ...],
    county_approved: bool, passes: bool,
) -> None:
    doctor = world.physician(category=category)
    request = RegistrationRequest(world.institution(code).id, doctor.qualifications[0].certificate_no,
                                  scopes, county_approved=county_approved)
    result = verdict(registry, request, doctor)
    assert "scope.count" in result.checked
    assert result.failed_rule_ids == (() if passes else ("scope.count",))


@pytest.mark.parametrize(("level", "passes"), [(None, True), ("prefecture", False)],
                         ids=["county_institution_approved_by_the_province_passes",
                              "city_level_institution_in_a_district_fails"])
def test_r_scope_1_the_county_level_is_the_institutions_own(
    world: World, registry: Registry, level: str | None, passes: bool,
) -> None:
    """县及县以下医疗机构: the institution's level decides, not the deciding department's."""
    licensed_by_province = world.institution("110105", approved_by=world.department("110000").id)
    institution = attrs.evolve(licensed_by_province, id=f"I-{level}", administrative_level=level)
    registry.load(institutions=[institution])
    doctor = world.physician()
    request = RegistrationRequest(institution.id, doctor.qualifications[0].certificate_no,
                                  THREE, county_approved=True)
    result = verdict(registry, request, doctor)
    assert result.failed_rule_ids == (() if passes else ("scope.count",))


def _three_scopes_under_review(world: World) -> tuple[mdreg.Application, Institution]:
    county = world.institution("110105")
    doctor = world.physician()
    app = world.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        county.id, doctor.qualifications[0].certificate_no, THREE, county_approved=True))
    world.registry.fire(app.id, "confirm", Actor.institution(county.id))
    return world.registry.fire(app.id, "accept", Actor.authority(app.department_id)), county


def test_r_scope_1_the_decision_needs_the_county_departments_approval_on_record(
    world: World, registry: Registry,
) -> None:
    app, _ = _three_scopes_under_review(world)
    department = Actor.authority(app.department_id)
    assert registry.check(app.id, "approve").failed_rule_ids == ("scope.count",)
    recorded = registry.approve_scopes(app.id, Actor.authority("D110105"))
    assert recorded.scope_approval is not None
    assert (recorded.scope_approval.department_id, recorded.version) == ("D110105", app.version + 1)
    assert registry.history(app.id)[-1].event == "approve_scopes"
    approved = registry.fire(app.id, "approve", department)
    (registration,) = registry.registrations(app.physician_id)
    assert approved.state == "approved" and registration.scopes == THREE


def test_r_scope_1_only_the_county_department_of_the_institution_approves(
    world: World, registry: Registry,
) -> None:
    app, _ = _three_scopes_under_review(world)
    for stranger in (Actor.authority(world.department("110000").id),
                     Actor.authority(world.department("110108").id),
                     Actor.institution(app.institution_id)):
        with pytest.raises(PermissionDenied):
            registry.approve_scopes(app.id, stranger)
    assert registry.application(app.id) == app
    doctor = world.physician()
    single = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        app.institution_id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    with pytest.raises(TransitionNotAllowed):
        registry.approve_scopes(single.id, Actor.authority("D110105"))


def test_r_scope_1_a_policy_may_take_the_applicants_word(clock: FakeClock) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("declared", county_scope_approval="declared"))
    app, _ = _three_scopes_under_review(world)
    assert world.registry.check(app.id, "approve").passed


# R-SCOPE-2 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("scope", "extra", "passes"),
    [("内科专业", {}, True), ("口腔专业", {}, False), ("老年医学专业", {}, False),
     ("老年医学专业", {"clinical": ("老年医学专业",)}, True),
     ("老年医学专业", {"dental": ("老年医学专业",)}, False)],
    ids=["clinical_scope_on_clinical_passes", "dental_scope_on_clinical_fails",
         "unlisted_scope_fails", "province_extra_scope_passes",
         "extra_scope_of_another_category_fails"],
)
def test_r_scope_2_scope_belongs_to_the_category_or_the_province_list(
    clock: FakeClock, scope: str, extra: dict[str, tuple[str, ...]], passes: bool
) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("province", extra_scopes=extra))
    doctor = world.physician()
    request = RegistrationRequest(world.institution("110105").id,
                                  doctor.qualifications[0].certificate_no, (scope,))
    result = verdict(world.registry, request, doctor)
    assert result.failed_rule_ids == (() if passes else ("scope.belongs_to_category",))


def test_r_scope_2_applies_to_a_change_too(world: World, registry: Registry, beijing: Institution) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    result = verdict(registry, ChangeRequest(registration.id, beijing.id, ("口腔专业",),
                                             scope_evidence=ScopeEvidence(higher_degree=True)), doctor)
    assert result.failed_rule_ids == ("scope.belongs_to_category",)


# R-UPG-1 ---------------------------------------------------------------------------------------

@pytest.fixture
def assistant(world: World) -> Physician:
    return physician_with(world, ("Q-UP", Level.PHYSICIAN, Category.CLINICAL),
                          ("Q-UP-TCM", Level.PHYSICIAN, Category.TCM),
                          ("Q-AST-2", Level.ASSISTANT, Category.CLINICAL), level=Level.ASSISTANT)


@pytest.mark.parametrize(
    ("qualification_no", "passes"),
    [("Q-UP", True), ("Q-UP-TCM", False), ("Q-AST-2", False), ("NOT-HELD", False)],
    ids=["physician_qualification_of_the_same_category_passes", "other_category_fails",
         "assistant_level_qualification_fails", "qualification_not_held_fails"],
)
def test_r_upg_1_upgrade_needs_a_physician_qualification_of_the_same_category(
    world: World, registry: Registry, beijing: Institution, assistant: Physician,
    qualification_no: str, passes: bool,
) -> None:
    registration = world.registration(assistant, beijing)
    result = verdict(registry, UpgradeRequest(registration.id, qualification_no), assistant)
    assert "upgrade.assistant_to_physician_same_category" in result.checked
    assert result.failed_rule_ids == (() if passes else ("upgrade.assistant_to_physician_same_category",))


def test_r_upg_1_only_an_assistant_registration_can_be_upgraded(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    result = verdict(registry, UpgradeRequest(registration.id, doctor.qualifications[0].certificate_no),
                     doctor)
    assert result.failed_rule_ids == ("upgrade.assistant_to_physician_same_category",)


def test_r_upg_1_the_primary_institution_stays_the_same(
    world: World, registry: Registry, beijing: Institution, assistant: Physician
) -> None:
    registration = world.registration(assistant, beijing)
    app = registry.apply(Actor.physician(assistant.id), UpgradeRequest(registration.id, "Q-UP"))
    assert (app.institution_id, app.department_id) == (beijing.id, registration.approved_by)
    World(registry).approve(app)
    (new,) = [r for r in registry.registrations(assistant.id) if r.is_valid]
    assert new.primary_institution_id == beijing.id


# R-UPG-2 ---------------------------------------------------------------------------------------

def test_r_upg_2_approved_upgrade_leaves_one_province_level_registration(
    world: World, registry: Registry, beijing: Institution, assistant: Physician
) -> None:
    old = world.registration(assistant, beijing)
    filing = world.filing(old, world.institution("110105"))
    app = approve(registry, UpgradeRequest(old.id, "Q-UP"), assistant)
    rows = {r.id: r for r in registry.registrations(assistant.id)}
    assert (rows[old.id].status, rows[old.id].ended_on) == (RegistrationStatus.INVALID, TODAY)
    (new,) = [r for r in rows.values() if r.is_valid]
    assert (new.level, new.location.code, new.qualification_no) == (Level.PHYSICIAN, "110000", "Q-UP")
    assert (new.category, new.scopes, new.application_id) == (old.category, old.scopes, app.id)
    assert new.certificate_no != old.certificate_no
    (moved,) = registry.filings(assistant.id)
    assert (moved.id, moved.registration_id, moved.is_active) == (filing.id, new.id, True)
    assert effects(registry.history(app.id)[-1]) == {
        "created": [new.id], "ended": [old.id], "changed": [filing.id]}


def test_r_upg_2_legacy_multisite_records_move_to_the_new_registration(
    world: World, registry: Registry, beijing: Institution, assistant: Physician
) -> None:
    old = world.registration(assistant, beijing)
    site = world.legacy_site(old, world.institution("110105"))
    approve(registry, UpgradeRequest(old.id, "Q-UP"), assistant)
    (new,) = [r for r in registry.registrations(assistant.id) if r.is_valid]
    (moved,) = registry.legacy_sites(assistant.id)
    assert (moved.id, moved.registration_id, moved.is_active) == (site.id, new.id, True)


def test_r_upg_2_refused_upgrade_changes_nothing(
    world: World, registry: Registry, beijing: Institution, assistant: Physician
) -> None:
    old = world.registration(assistant, beijing)
    app = registry.apply(Actor.physician(assistant.id), UpgradeRequest(old.id, "Q-UP"))
    registry.fire(app.id, "confirm", Actor.institution(beijing.id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    registry.fire(app.id, "reject", Actor.authority(app.department_id), reason="材料不实")
    assert registry.registrations(assistant.id) == (old,)


# R-MIL-1 ---------------------------------------------------------------------------------------

def test_r_mil_1_after_approval_nothing_local_stays_valid(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution
) -> None:
    doctor = world.physician()
    first = world.registration(doctor, beijing)
    second = world.registration(doctor, shanghai)
    filing = world.filing(first, world.institution("110108"))
    registry.report_departure(Actor.institution(shanghai.id), second.id, DepartureKind.TRANSFER, TODAY)
    app = registry.apply(Actor.physician(doctor.id), MilitaryOutRequest(first.id, "某部队医院"))
    assert (app.institution_id, app.department_id, app.target) == (beijing.id, "D110105", "military")
    World(registry).approve(app)
    assert {(r.id, r.status) for r in registry.registrations(doctor.id)} == {
        (first.id, RegistrationStatus.MILITARY), (second.id, RegistrationStatus.MILITARY)}
    assert [(f.id, f.status) for f in registry.filings(doctor.id)] == [(filing.id, FilingStatus.INVALID)]
    assert sorted(registry.history(app.id)[-1].data["ended"]) == sorted([first.id, second.id, filing.id])


@pytest.mark.parametrize(
    ("ending", "status"),
    [("military_out", RegistrationStatus.MILITARY), ("death", RegistrationStatus.CANCELLED)],
    ids=["after_military_out", "after_a_person_wide_cancellation"],
)
def test_r_mil_1_every_filing_and_legacy_multisite_record_ends_too(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution,
    haidian: Institution, ending: str, status: RegistrationStatus,
) -> None:
    doctor = world.physician()
    first = world.registration(doctor, beijing)
    second = world.registration(doctor, shanghai)
    filing = world.filing(first, haidian)
    sites = [world.legacy_site(first, haidian), world.legacy_site(second, world.institution("310115"))]
    if ending == "military_out":
        approve(registry, MilitaryOutRequest(first.id, "某部队医院"), doctor)
    else:
        registry.cancel_ex_officio(Actor.authority(first.approved_by), first.id,
                                   CancellationGround.DEATH, "死亡证明")
    assert {r.status for r in registry.registrations(doctor.id)} == {status}
    assert [(f.id, f.status) for f in registry.filings(doctor.id)] == [(filing.id, FilingStatus.INVALID)]
    assert [(s.id, s.status, s.ended_on) for s in registry.legacy_sites(doctor.id)] == [
        (site.id, FilingStatus.INVALID, TODAY) for site in sites]
    again = verdict(registry, MultisiteCancelRequest(sites[0].id), doctor)
    assert again.failed_rule_ids == ("legacy.cancel_only_active",)


def test_r_mil_1_nothing_changes_before_approval(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    app = registry.apply(Actor.physician(doctor.id), MilitaryOutRequest(registration.id, "某部队医院"))
    registry.fire(app.id, "confirm", Actor.institution(beijing.id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    assert registry.registrations(doctor.id) == (registration,)


# R-MIL-2 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("proof", "passes"),
    [("原军队注册机关证明〔2026〕1号", True), ("", False), ("   ", False)],
    ids=["proof_passes", "no_proof_fails", "blank_proof_fails"],
)
def test_r_mil_2_moving_in_from_the_army_needs_the_military_proof(
    world: World, registry: Registry, beijing: Institution, proof: str, passes: bool
) -> None:
    doctor = world.physician()
    request = military_in(beijing, doctor, proof_document=proof)
    result = verdict(registry, request, doctor)
    assert "military.proof_from_military_organ" in result.checked
    assert result.failed_rule_ids == (() if passes else ("military.proof_from_military_organ",))


# R-MIL-3 and the rules of 注册 on 军队变更入 ---------------------------------------------------------

def military_in(institution: Institution, doctor: Physician, **kw: object) -> MilitaryInRequest:
    """A 军队变更入 with the proof of a military registration granted when the physician
    qualified and ended a month before the application, unless ``kw`` says otherwise."""
    fields: dict[str, object] = {
        "proof_document": "原军队注册机关证明", "military_registered_on": doctor.qualifications[0].obtained_on,
        "military_practice_ended_on": date(2026, 2, 1), **kw}
    return MilitaryInRequest(institution.id, doctor.qualifications[0].certificate_no, ("内科专业",),
                             **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dates", "passes"),
    [({}, True), ({"military_registered_on": None}, False), ({"military_practice_ended_on": None}, False),
     ({"military_registered_on": date(2025, 8, 31)}, False),
     ({"military_registered_on": date(2026, 3, 3), "military_practice_ended_on": date(2026, 4, 1)}, False),
     ({"military_practice_ended_on": date(2025, 8, 1)}, False)],
    ids=["military_registration_on_the_proof_passes", "no_military_registration_fails",
         "no_end_of_military_practice_fails", "military_registration_before_the_qualification_fails",
         "military_registration_after_the_application_fails",
         "military_practice_ending_before_it_began_fails"],
)
def test_r_mil_3_moving_in_needs_a_prior_military_registration(
    world: World, registry: Registry, beijing: Institution, dates: dict[str, object], passes: bool
) -> None:
    doctor = world.physician()
    result = verdict(registry, military_in(beijing, doctor, **dates), doctor)
    assert "military.prior_military_registration" in result.checked
    assert result.failed_rule_ids == (() if passes else ("military.prior_military_registration",))


@pytest.mark.parametrize("status", ["valid", "filed"])
def test_r_mil_3_a_physician_holding_a_local_registration_is_no_military_physician(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution, status: str
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    if status == "filed":
        registry.report_departure(Actor.institution(beijing.id), registration.id,
                                  DepartureKind.RETIREMENT, TODAY)
    result = verdict(registry, military_in(shanghai, doctor), doctor)
    assert result.failed_rule_ids == ("military.prior_military_registration",)


def test_r_mil_3_a_physician_who_left_for_the_army_may_move_back_in(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution
) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    approve(registry, MilitaryOutRequest(registration.id, "某部队医院"), doctor)
    approve(registry, military_in(shanghai, doctor, military_registered_on=TODAY,
                                  military_practice_ended_on=TODAY), doctor)
    assert [r.status for r in registry.registrations(doctor.id)] == [
        RegistrationStatus.MILITARY, RegistrationStatus.VALID]


@pytest.mark.parametrize(
    ("request_kw", "qualified_on", "rule", "refused"),
    [({"military_registered_on": None, "military_practice_ended_on": None}, date(2022, 9, 1),
      "qualification.late_first_registration", True),
     ({}, date(2022, 9, 1), "qualification.late_first_registration", False),
     ({"military_practice_ended_on": date(2024, 3, 2)}, date(2015, 9, 1),
      "qualification.re_registration_assessment", True),
     ({"military_practice_ended_on": date(2024, 3, 2), "evidence": Evidence(6, True)},
      date(2015, 9, 1), "qualification.re_registration_assessment", False),
     ({"military_practice_ended_on": date(2024, 3, 3)}, date(2015, 9, 1),
      "qualification.re_registration_assessment", False)],
    ids=["r_reg_7_no_military_registration_is_a_late_first_registration",
         "r_reg_7_the_military_registration_counts",
         "r_reg_8_two_years_out_of_military_practice_need_the_evidence",
         "r_reg_8_with_the_evidence_passes", "r_reg_8_a_day_short_of_two_years_passes"],
)
def test_r_reg_7_and_r_reg_8_apply_to_moving_in_from_the_army(
    world: World, registry: Registry, beijing: Institution, request_kw: dict[str, object],
    qualified_on: date, rule: str, refused: bool,
) -> None:
    doctor = world.physician(qualified_on=qualified_on)
    result = verdict(registry, military_in(beijing, doctor, **request_kw), doctor)
    assert rule in result.checked
    assert (rule in result.failed_rule_ids) is refused


@pytest.mark.parametrize(
    ("registered_on", "refused"), [(date(2021, 3, 3), True), (date(2021, 3, 2), False)],
    ids=["four_years_in_the_army_fail", "five_years_in_the_army_pass"],
)
def test_r_ind_1_military_practice_counts_towards_practising_alone(
    world: World, registry: Registry, registered_on: date, refused: bool
) -> None:
    doctor = world.physician(qualified_on=date(2020, 9, 1))
    clinic = world.institution("110105", kind=InstitutionKind.INDIVIDUAL_CLINIC)
    result = verdict(registry, military_in(clinic, doctor, military_registered_on=registered_on,
                                           military_practice_ended_on=TODAY), doctor)
    assert "individual_practice.five_years" in result.checked
    assert ("individual_practice.five_years" in result.failed_rule_ids) is refused


# R-CAN-1 ---------------------------------------------------------------------------------------

@pytest.fixture
def registered(world: World, beijing: Institution) -> Registration:
    return world.registration(world.physician(), beijing)


@pytest.mark.parametrize("ground", list(CancellationGround), ids=[g.value for g in CancellationGround])
def test_r_can_1_every_legal_ground_is_accepted(
    registry: Registry, registered: Registration, ground: CancellationGround
) -> None:
    details = "国家卫生健康委规定的情形" if ground is CancellationGround.OTHER else ""
    result = verdict(registry, CancellationRequest(registered.id, ground, KNOWN, details),
                     registered.physician_id)
    assert "cancellation.ground_accepted" in result.checked
    assert result.passed


def test_r_can_1_other_ground_without_details_fails(registry: Registry, registered: Registration) -> None:
    result = verdict(registry, CancellationRequest(registered.id, CancellationGround.OTHER, KNOWN),
                     registered.physician_id)
    assert result.failed_rule_ids == ("cancellation.ground_accepted",)


def test_r_can_1_a_policy_may_narrow_the_accepted_grounds(clock: FakeClock) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("law-only", cancellation_grounds=["death"]))
    registration = world.registration(world.physician(), world.institution("110105"))
    own = CancellationRequest(registration.id, CancellationGround.OWN_REQUEST, KNOWN)
    death = CancellationRequest(registration.id, CancellationGround.DEATH, KNOWN)
    assert verdict(world.registry, own, registration.physician_id).failed_rule_ids == (
        "cancellation.ground_accepted",)
    assert verdict(world.registry, death, registration.physician_id).passed


# R-CAN-2 ---------------------------------------------------------------------------------------

def test_r_can_2_the_physician_or_the_primary_institution_may_apply(
    registry: Registry, registered: Registration, beijing: Institution
) -> None:
    request = CancellationRequest(registered.id, CancellationGround.HEALTH_UNFIT, KNOWN)
    by_institution = registry.apply(Actor.institution(beijing.id), request,
                                    physician_id=registered.physician_id)
    assert by_institution.applicant == Actor.institution(beijing.id)
    registry.fire(by_institution.id, "withdraw", Actor.institution(beijing.id))
    by_physician = registry.apply(Actor.physician(registered.physician_id), request)
    assert by_physician.state == "pending_institution"


def test_r_can_2_another_institution_may_not_apply(
    world: World, registry: Registry, registered: Registration
) -> None:
    request = CancellationRequest(registered.id, CancellationGround.HEALTH_UNFIT, KNOWN)
    stranger = Actor.institution(world.institution("110105").id)
    before = registry.audit_count()
    with pytest.raises(PermissionDenied):
        registry.apply(stranger, request, physician_id=registered.physician_id)
    assert registry.audit_count() == before


# R-CAN-3 ---------------------------------------------------------------------------------------

def test_r_can_3_a_ground_dated_after_the_application_fails(
    registry: Registry, registered: Registration
) -> None:
    request = CancellationRequest(registered.id, CancellationGround.DEATH, date(2026, 3, 3))
    assert verdict(registry, request, registered.physician_id).failed_rule_ids == (
        "cancellation.ground_date",)


@pytest.mark.parametrize(
    ("known", "days", "late"),
    [(date(2026, 1, 31), 30, False), (date(2026, 1, 30), 30, True), (date(2026, 1, 30), 60, False)],
    ids=["reported_on_day_30_is_in_time", "reported_on_day_31_is_flagged_late",
         "a_policy_with_60_days_is_in_time"],
)
def test_r_can_3_late_reports_are_flagged(
    clock: FakeClock, known: date, days: int, late: bool
) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("days", cancellation_report_days=days))
    registration = world.registration(world.physician(), world.institution("110105"))
    app = world.registry.apply(Actor.physician(registration.physician_id), CancellationRequest(
        registration.id, CancellationGround.HEALTH_UNFIT, known))
    submitted = world.registry.history(app.id)[-1]
    assert submitted.event == "submit"
    assert submitted.data["reported_late"] == [str(late)]


def test_r_can_3_a_voluntary_cancellation_has_no_report_period(clock: FakeClock) -> None:
    world = fresh(clock, BASE_POLICY)
    registration = world.registration(world.physician(), world.institution("110105"))
    app = world.registry.apply(Actor.physician(registration.physician_id), CancellationRequest(
        registration.id, CancellationGround.OWN_REQUEST, date(2025, 1, 2)))
    submitted = world.registry.history(app.id)[-1]
    assert submitted.event == "submit"
    assert "reported_late" not in submitted.data and "report_due" not in submitted.data
    assert "cancellation_report" not in [d.kind.value for d in world.registry.deadlines(app.id)]
    other = world.registration(world.physician(), world.institution("110105"))
    reported = world.registry.apply(Actor.physician(other.physician_id), CancellationRequest(
        other.id, CancellationGround.HEALTH_UNFIT, date(2025, 1, 2)))
    assert "cancellation_report" in [d.kind.value for d in world.registry.deadlines(reported.id)]
    assert world.registry.history(reported.id)[-1].data["reported_late"] == ["True"]


# R-CAN-4 ---------------------------------------------------------------------------------------

def test_r_can_4_the_granting_department_cancels_ex_officio(
    registry: Registry, registered: Registration
) -> None:
    ended = registry.cancel_ex_officio(Actor.authority(registered.approved_by), registered.id,
                                       CancellationGround.CRIMINAL_PUNISHMENT, "法院判决书通报")
    assert [(r.id, r.status) for r in ended] == [(registered.id, RegistrationStatus.CANCELLED)]
    (event,) = registry.trail(registered.id)
    assert (event.event, event.reason, event.data["ground"]) == (
        "cancel_ex_officio", "法院判决书通报", ["criminal_punishment"])


def test_r_can_4_another_department_cannot(world: World, registry: Registry, registered: Registration) -> None:
    with pytest.raises(PermissionDenied):
        registry.cancel_ex_officio(Actor.authority(world.department("110108").id), registered.id,
                                   CancellationGround.DEATH, "死亡证明")
    assert registry.registrations(registered.physician_id) == (registered,)


# R-CAN-5 ---------------------------------------------------------------------------------------

TARGETING: dict[str, Callable[[Registration, Institution], Payload]] = {
    "upgrade": lambda r, _: UpgradeRequest(r.id, "Q-UP"),
    "military_out": lambda r, _: MilitaryOutRequest(r.id, "某部队医院"),
    "change": lambda r, i: ChangeRequest(r.id, i.id, r.scopes),
    "filing": lambda r, i: filing_request(r, i, r.scopes),
    "cancellation": lambda r, _: CancellationRequest(r.id, CancellationGround.OWN_REQUEST, KNOWN),
}


@pytest.mark.parametrize("business", sorted(TARGETING))
@pytest.mark.parametrize(
    ("status", "refused"),
    [(RegistrationStatus.VALID, False), (RegistrationStatus.CANCELLED, True)],
    ids=["valid_target_passes", "cancelled_target_fails"],
)
def test_r_can_5_a_cancelled_registration_cannot_be_a_target(
    world: World, registry: Registry, beijing: Institution, assistant: Physician,
    business: str, status: RegistrationStatus, refused: bool,
) -> None:
    registration = world.registration(assistant, beijing)
    if status is RegistrationStatus.CANCELLED:
        registry.cancel_ex_officio(Actor.authority(registration.approved_by), registration.id,
                                   CancellationGround.HEALTH_UNFIT, "健康状况不适宜执业")
    other = world.institution("110105")
    result = verdict(registry, TARGETING[business](registration, other), assistant)
    assert "target.registration_usable" in result.checked
    assert ("target.registration_usable" in result.failed_rule_ids) is refused
    assert result.passed is not refused


@pytest.mark.parametrize(
    ("business", "refused"), [("cancellation", False), ("change", True), ("filing", True)],
    ids=["filed_registration_can_be_cancelled", "filed_registration_cannot_change",
         "filed_registration_cannot_take_filings"],
)
def test_r_can_5_a_filed_registration_can_only_be_cancelled(
    world: World, registry: Registry, registered: Registration, beijing: Institution,
    business: str, refused: bool,
) -> None:
    registry.report_departure(Actor.institution(beijing.id), registered.id, DepartureKind.RETIREMENT,
                              TODAY)
    payload = TARGETING[business](registered, world.institution("110105"))
    result = verdict(registry, payload, registered.physician_id)
    assert ("target.registration_usable" in result.failed_rule_ids) is refused


# R-CAN-6 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("as_of", "status"),
    [(date(2028, 3, 1), RegistrationStatus.FILED), (date(2028, 3, 2), RegistrationStatus.CANCELLED)],
    ids=["one_day_short_of_two_years_stays_filed", "two_years_in_filing_cancels"],
)
def test_r_can_6_departure_files_the_registration_and_two_years_cancel_it(
    registry: Registry, registered: Registration, beijing: Institution, as_of: date,
    status: RegistrationStatus,
) -> None:
    filed = registry.report_departure(Actor.institution(beijing.id), registered.id,
                                      DepartureKind.RESIGNATION, TODAY)
    assert (filed.status, filed.filed_on) == (RegistrationStatus.FILED, TODAY)
    expired = registry.expire_filed(as_of)
    assert expired == ((registered.id,) if status is RegistrationStatus.CANCELLED else ())
    assert registry.registrations(registered.physician_id)[0].status is status


def _cancellation_announcements(registry: Registry) -> list[str]:
    return [m.aggregate_id for m in registry.accounts.pending_messages(limit=1000)
            if m.template == "registration_cancelled"]


@pytest.mark.parametrize("by", ["expire_filed", "tick"])
def test_r_can_6_a_physician_who_registered_again_is_not_cancelled_nor_announced(
    world: World, registry: Registry, registered: Registration, beijing: Institution,
    clock: FakeClock, by: str,
) -> None:
    registry.report_departure(Actor.institution(beijing.id), registered.id,
                              DepartureKind.RESIGNATION, TODAY)
    clock.set(datetime(2027, 1, 4, 1, tzinfo=UTC))
    again = world.registration(registry.physician(registered.physician_id), world.institution("110108"))
    if by == "tick":
        clock.set(datetime(2028, 3, 3, 1, tzinfo=UTC))
        report = registry.tick()
        assert [d.subject_id for d in report.fired] == [registered.id]
    else:
        assert registry.expire_filed(date(2028, 3, 2)) == ()
    rows = {r.id: r for r in registry.registrations(registered.physician_id)}
    assert (rows[registered.id].status, rows[again.id].status) == (
        RegistrationStatus.INVALID, RegistrationStatus.VALID)
    (event,) = [e for e in registry.trail(registered.id) if e.event == "supersede_filed"]
    assert (event.from_state, event.to_state, event.data["renewed_by"]) == (
        "filed", "invalid", [again.id])
    assert _cancellation_announcements(registry) == []


def test_r_can_6_a_province_may_keep_the_filed_registration(
    world: World, registered: Registration, beijing: Institution, clock: FakeClock,
) -> None:
    registry = world.registry
    registry.policy = BASE_POLICY.with_changes("keep", filed_after_renewed_practice="keep")
    registry.report_departure(Actor.institution(beijing.id), registered.id,
                              DepartureKind.RETIREMENT, TODAY)
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    world.registration(registry.physician(registered.physician_id), world.institution("310104"))
    clock.set(datetime(2028, 3, 3, 1, tzinfo=UTC))
    report = registry.tick()
    assert [d.subject_id for d in report.ended] == [registered.id]
    assert registry.expire_filed(date(2028, 3, 3)) == ()
    assert registry.registrations(registered.physician_id)[0].status is RegistrationStatus.FILED
    assert _cancellation_announcements(registry) == []


def test_r_can_6_a_registration_held_before_the_filing_is_no_renewed_practice(
    world: World, registry: Registry, beijing: Institution, shanghai: Institution, clock: FakeClock,
) -> None:
    doctor = world.physician()
    first = world.registration(doctor, beijing)
    world.registration(doctor, shanghai)
    clock.set(datetime(2026, 5, 4, 1, tzinfo=UTC))
    registry.report_departure(Actor.institution(beijing.id), first.id,
                              DepartureKind.RESIGNATION, date(2026, 5, 4))
    assert registry.expire_filed(date(2028, 5, 4)) == (first.id,)
    assert _cancellation_announcements(registry) == [first.id]


# R-FIL-1 ---------------------------------------------------------------------------------------

def test_r_fil_1_end_before_start_is_refused_when_the_request_is_built() -> None:
    with pytest.raises(ValidationError) as err:
        FilingRequest("R1", "I1", ("内科专业",), valid_from=date(2026, 3, 2), valid_to=date(2026, 3, 1))
    assert (err.value.field, err.value.field_label) == ("valid_to", "备案结束日期")


def test_r_fil_1_a_filing_keeps_its_start_and_end_dates(
    world: World, registry: Registry, registered: Registration, haidian: Institution
) -> None:
    filing = world.filing(registered, haidian, valid_from=TODAY, valid_to=TODAY)
    assert (filing.valid_from, filing.valid_to, filing.is_active) == (TODAY, TODAY, True)


# R-FIL-2 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cancelled_before", [False, True],
                         ids=["active_filing_can_be_cancelled", "cancelled_filing_cannot"])
def test_r_fil_2_only_an_active_filing_can_be_cancelled(
    world: World, registry: Registry, registered: Registration, haidian: Institution,
    cancelled_before: bool,
) -> None:
    filing = world.filing(registered, haidian)
    doctor = registered.physician_id
    if cancelled_before:
        approve(registry, FilingCancelRequest(filing.id), registry.physician(doctor))
    result = verdict(registry, FilingCancelRequest(filing.id), doctor)
    assert "filing.cancel_only_active" in result.checked
    assert result.failed_rule_ids == (("filing.cancel_only_active",) if cancelled_before else ())


def test_r_fil_2_approved_cancellation_ends_the_filing(
    world: World, registry: Registry, registered: Registration, haidian: Institution
) -> None:
    filing = world.filing(registered, haidian)
    app = registry.apply(Actor.physician(registered.physician_id), FilingCancelRequest(filing.id))
    assert (app.institution_id, app.department_id) == (haidian.id, filing.approved_by)
    World(registry).approve(app)
    (ended,) = registry.filings(registered.physician_id)
    assert (ended.status, ended.ended_on) == (FilingStatus.CANCELLED, TODAY)


# R-FIL-3 / R-FIL-4 (inferred) -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("target", "scopes", "rule"),
    [("primary", ("内科专业",), "filing.not_primary_or_duplicate"),
     ("filed", ("内科专业",), "filing.not_primary_or_duplicate"),
     ("other", ("外科专业",), "filing.scope_within_registration")],
    ids=["filing_the_primary_institution_fails", "filing_an_already_filed_institution_fails",
         "filing_a_scope_outside_the_registration_fails"],
)
def test_r_fil_3_4_filing_is_no_duplicate_and_within_the_registered_scope(
    world: World, registry: Registry, registered: Registration, beijing: Institution,
    haidian: Institution, target: str, scopes: tuple[str, ...], rule: str,
) -> None:
    world.filing(registered, haidian)
    institution = {"primary": beijing, "filed": haidian, "other": world.institution("110101")}[target]
    result = verdict(registry, filing_request(registered, institution, scopes), registered.physician_id)
    assert result.failed_rule_ids == (rule,)
    fine = verdict(registry, filing_request(registered, world.institution("110102")),
                   registered.physician_id)
    assert fine.passed


def test_r_fil_3_a_filing_whose_period_ended_no_longer_blocks_a_new_one(
    world: World, registry: Registry, clock: FakeClock, registered: Registration,
    haidian: Institution,
) -> None:
    old = world.filing(registered, haidian, valid_to=TODAY + timedelta(days=30))
    still = verdict(registry, filing_request(registered, haidian), registered.physician_id)
    assert still.failed_rule_ids == ("filing.not_primary_or_duplicate",)  # the last day counts
    clock.advance(days=31)
    later = clock.now().date()
    renewed = FilingRequest(registered.id, haidian.id, ("内科专业",), valid_from=later,
                            valid_to=later + timedelta(days=364))
    assert verdict(registry, renewed, registered.physician_id).passed
    app = approve(registry, renewed, registry.physician(registered.physician_id))
    by_id = {f.id: f for f in registry.filings(registered.physician_id)}
    assert (by_id[old.id].status, by_id[old.id].ended_on) == (FilingStatus.EXPIRED, old.valid_to)
    assert old.id in registry.history(app.id)[-1].data["ended"]
    assert [f.institution_id for f in by_id.values() if f.is_active] == [haidian.id]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_r_fil_1_the_tick_closes_a_filing_at_the_end_of_its_period(
    clock: FakeClock, tmp_path: Path, backend: str,
) -> None:
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'lapse.db'}"
    world = World(mdreg.open(url, clock=clock, ids=mdreg.SequentialIds()))
    registry = world.registry
    registration = world.registration(world.physician(), world.institution("110105"))
    filing = world.filing(registration, world.institution("110108"),
                          valid_to=TODAY + timedelta(days=10))
    assert registry.tick(clock.now() + timedelta(days=9)).lapsed == ()  # the day before
    assert registry.tick(clock.now() + timedelta(days=10)).lapsed == ()  # its last day
    report = registry.tick(clock.now() + timedelta(days=11))
    assert report.lapsed == (filing.id,)
    (closed,) = registry.filings(registration.physician_id)
    assert (closed.status, closed.ended_on) == (FilingStatus.EXPIRED, filing.valid_to)
    event = registry.trail(filing.id)[-1]
    assert (event.event, event.actor, event.reason) == ("lapse", Actor.system(), "备案有效期届满")
    assert registry.tick(clock.now() + timedelta(days=12)).lapsed == ()


# R-LEG-1 ---------------------------------------------------------------------------------------

def test_r_leg_1_legacy_records_are_listed_and_cancelled_once(
    world: World, registry: Registry, registered: Registration, haidian: Institution
) -> None:
    site = world.legacy_site(registered, haidian)
    doctor = registry.physician(registered.physician_id)
    assert registry.legacy_sites(doctor.id) == (site,)
    result = verdict(registry, MultisiteCancelRequest(site.id), doctor)
    assert "legacy.cancel_only_active" in result.checked
    assert result.passed
    app = approve(registry, MultisiteCancelRequest(site.id), doctor)
    (cancelled,) = registry.legacy_sites(doctor.id)
    assert (cancelled.id, cancelled.status, cancelled.ended_on) == (site.id, FilingStatus.CANCELLED, TODAY)
    assert effects(registry.history(app.id)[-1]) == {"created": [], "ended": [site.id],
                                                      "changed": []}
    again = verdict(registry, MultisiteCancelRequest(site.id), doctor)
    assert again.failed_rule_ids == ("legacy.cancel_only_active",)


def test_r_leg_1_no_business_creates_a_legacy_record(
    registry: Registry, registered: Registration
) -> None:
    doctor = registered.physician_id
    with pytest.raises(NotFoundError):
        registry.apply(Actor.physician(doctor), MultisiteCancelRequest("L-NEW"))
    assert registry.legacy_sites(doctor) == ()


# R-OFF-1 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("business", list(OfflineBusiness), ids=[o.value for o in OfflineBusiness])
@pytest.mark.parametrize("spelling", ["member", "value", "label"])
def test_r_off_1_offline_business_is_refused_with_where_to_go(
    world: World, registry: Registry, beijing: Institution, business: OfflineBusiness, spelling: str
) -> None:
    doctor = world.physician()
    named = {"member": business, "value": business.value, "label": business.label}[spelling]
    request = RegistrationRequest(beijing.id, doctor.qualifications[0].certificate_no, ("内科专业",))
    with pytest.raises(OfflineOnlyBusiness) as err:
        registry.apply(Actor.physician(doctor.id), request, business=named)
    assert (err.value.business, err.value.business_label) == (business.value, business.label)
    assert err.value.label == "该业务需到卫生健康行政部门现场办理"
    assert registry.audit_count() == 0


def test_r_off_1_online_business_named_by_its_label_is_accepted(
    world: World, registry: Registry, beijing: Institution
) -> None:
    doctor = world.physician()
    request = RegistrationRequest(beijing.id, doctor.qualifications[0].certificate_no, ("内科专业",))
    app = registry.apply(Actor.physician(doctor.id), request, business="注册")
    assert app.type is BusinessType.REGISTRATION


# R-APP-1 ---------------------------------------------------------------------------------------

def _reachable(business: BusinessType, skip: str) -> set[str]:
    definition = DEFINITIONS[business]
    seen, frontier = {definition.initial}, [definition.initial]
    while frontier:
        for event in definition.allowed(frontier.pop()):
            if event.id != skip and event.dest not in seen:
                seen.add(event.dest)
                frontier.append(event.dest)
    return seen


@pytest.mark.parametrize("business", list(BusinessType), ids=[b.value for b in BusinessType])
def test_r_app_1_every_way_to_the_department_passes_institution_confirmation(business: BusinessType) -> None:
    assert {PENDING_ACCEPTANCE, UNDER_REVIEW, "approved"} <= _reachable(business, skip="")
    assert {PENDING_ACCEPTANCE, UNDER_REVIEW, "approved"}.isdisjoint(_reachable(business, "confirm"))
    for event in ("accept", "approve"):
        with pytest.raises(TransitionNotAllowed):
            workflow_for(business).fire("pending_institution", event)


def test_r_app_1_the_department_cannot_accept_before_confirmation(
    registry: Registry, registered: Registration
) -> None:
    app = registry.apply(Actor.physician(registered.physician_id),
                         CancellationRequest(registered.id, CancellationGround.OWN_REQUEST, KNOWN))
    with pytest.raises(TransitionNotAllowed):
        registry.fire(app.id, "accept", Actor.authority(app.department_id))
    registry.fire(app.id, "confirm", Actor.institution(app.institution_id))
    assert registry.fire(app.id, "accept", Actor.authority(app.department_id)).state == UNDER_REVIEW


# R-APP-2 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("ending", "resubmittable"),
    [("send_back", True), ("return_to_applicant", True), ("reject", False), ("withdraw", False),
     ("refuse_acceptance", False)],
    ids=["returned_by_institution_can_be_resubmitted", "returned_by_department_can_be_resubmitted",
         "rejected_cannot", "withdrawn_cannot", "not_accepted_cannot"],
)
def test_r_app_2_only_returned_applications_can_be_resubmitted(
    world: World, registry: Registry, registered: Registration, haidian: Institution,
    ending: str, resubmittable: bool,
) -> None:
    me = Actor.physician(registered.physician_id)
    app = registry.apply(me, filing_request(registered, haidian))
    inst, dept = Actor.institution(app.institution_id), Actor.authority(app.department_id)
    path = {"send_back": [], "withdraw": [], "refuse_acceptance": [("confirm", inst)]}.get(
        ending, [("confirm", inst), ("accept", dept)])
    for event, actor in path:
        registry.fire(app.id, event, actor)
    by = {"send_back": inst, "withdraw": me}.get(ending, dept)
    registry.fire(app.id, ending, by, reason="材料不全")
    if resubmittable:
        assert registry.fire(app.id, "resubmit", me).state == "pending_institution"
    else:
        with pytest.raises(TransitionNotAllowed):
            registry.fire(app.id, "resubmit", me)


# R-APP-3 ---------------------------------------------------------------------------------------

def test_r_app_3_the_registry_changes_only_on_approval(
    registry: Registry, registered: Registration, haidian: Institution
) -> None:
    doctor = registered.physician_id
    app = registry.apply(Actor.physician(doctor), filing_request(registered, haidian))
    for event, actor in (("confirm", Actor.institution(haidian.id)),
                         ("accept", Actor.authority(app.department_id))):
        registry.fire(app.id, event, actor)
        assert registry.filings(doctor) == ()
        assert registry.registrations(doctor) == (registered,)
    registry.fire(app.id, "approve", Actor.authority(app.department_id))
    assert [f.application_id for f in registry.filings(doctor)] == [app.id]


def test_r_app_3_a_refused_approval_changes_nothing(
    registry: Registry, registered: Registration, haidian: Institution
) -> None:
    doctor = registered.physician_id
    app = registry.apply(Actor.physician(doctor), filing_request(registered, haidian))
    registry.fire(app.id, "confirm", Actor.institution(haidian.id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    registry.cancel_ex_officio(Actor.authority(registered.approved_by), registered.id,
                               CancellationGround.DEATH, "死亡医学证明")
    before = (registry.application(app.id), registry.registrations(doctor), registry.filings(doctor),
              registry.audit_count())
    with pytest.raises(IneligibleError) as err:
        registry.fire(app.id, "approve", Actor.authority(app.department_id))
    assert err.value.rule_ids == ("target.registration_usable",)
    assert (registry.application(app.id), registry.registrations(doctor), registry.filings(doctor),
            registry.audit_count()) == before


# Policy switches -------------------------------------------------------------------------------

INFERRED = [r for r in BASE_POLICY.all_rules() if r.inferred]
VERIFIED = [r for r in BASE_POLICY.all_rules() if not r.inferred]


def _in_force(policy: Policy) -> set[str]:
    return {r.id for b in BusinessType for e in ("submit", "approve") for r in policy.rules_for(b, e, TODAY)}


@pytest.mark.parametrize("rule", INFERRED, ids=[r.id for r in INFERRED])
def test_inferred_rules_can_be_switched_off(rule: Rule) -> None:
    policy = BASE_POLICY.with_changes("local", switch_off=[rule.id])
    assert rule.id in _in_force(BASE_POLICY)
    assert _in_force(policy) == _in_force(BASE_POLICY) - {rule.id}
    assert BASE_POLICY.switched_off == frozenset()


@pytest.mark.parametrize("rule", VERIFIED, ids=[r.id for r in VERIFIED])
def test_verified_rules_cannot_be_switched_off(rule: Rule) -> None:
    with pytest.raises(RuleDefinitionError):
        BASE_POLICY.with_changes("local", switch_off=[rule.id])


def test_unknown_rules_and_parameters_are_refused() -> None:
    with pytest.raises(RuleDefinitionError):
        BASE_POLICY.with_changes("local", switch_off=["no.such.rule"])
    with pytest.raises(RuleDefinitionError):
        BASE_POLICY.with_changes("local", no_such_parameter=1)


SWITCHED: dict[str, Callable[[World, Registration], Payload]] = {
    "target.registration_usable": lambda w, r: ChangeRequest(r.id, r.primary_institution_id, r.scopes),
    "filing.not_primary_or_duplicate": lambda w, r: filing_request(
        r, w.registry.institution(r.primary_institution_id)),
    "filing.scope_within_registration": lambda w, r: filing_request(
        r, w.institution("110108"), ("外科专业",)),
    "filing.cancel_only_active": lambda w, r: FilingCancelRequest(w.registry.filings(r.physician_id)[0].id),
}


@pytest.mark.parametrize("rule_id", sorted(SWITCHED))
@pytest.mark.parametrize("switched_off", [False, True], ids=["base_policy_fails", "switched_off_passes"])
def test_a_switched_off_inferred_rule_no_longer_refuses(
    clock: FakeClock, rule_id: str, switched_off: bool
) -> None:
    policy = BASE_POLICY.with_changes("local", switch_off=[rule_id] if switched_off else [])
    world = fresh(clock, policy)
    registration = world.registration(world.physician(), world.institution("110105"))
    filing = world.filing(registration, world.institution("110101"))
    if rule_id == "filing.cancel_only_active":
        World(world.registry).approve(world.registry.apply(
            Actor.physician(registration.physician_id), FilingCancelRequest(filing.id)))
    if rule_id == "target.registration_usable":
        world.registry.cancel_ex_officio(Actor.authority(registration.approved_by), registration.id,
                                         CancellationGround.DEATH, "死亡医学证明")
    result = verdict(world.registry, SWITCHED[rule_id](world, registration), registration.physician_id)
    assert result.passed is switched_off
    assert (rule_id in result.failed_rule_ids) is not switched_off


@pytest.mark.parametrize(
    ("person_wide", "ground", "ends_both"),
    [(True, CancellationGround.DEATH, True), (True, CancellationGround.OWN_REQUEST, False),
     (False, CancellationGround.DEATH, False)],
    ids=["death_ends_every_registration", "own_request_ends_only_the_target",
         "switched_off_death_ends_only_the_target"],
)
def test_person_wide_cancellation_parameter(
    clock: FakeClock, person_wide: bool, ground: CancellationGround, ends_both: bool
) -> None:
    world = fresh(clock, BASE_POLICY.with_changes("p", person_wide_cancellation=person_wide))
    doctor = world.physician()
    first = world.registration(doctor, world.institution("110105"))
    second = world.registration(doctor, world.institution("310104"))
    filing = world.filing(second, world.institution("310115"))
    approve(world.registry, CancellationRequest(first.id, ground, KNOWN), doctor)
    status = {r.id: r.status for r in world.registry.registrations(doctor.id)}
    assert status[first.id] is RegistrationStatus.CANCELLED
    assert (status[second.id] is RegistrationStatus.CANCELLED) is ends_both
    (after,) = world.registry.filings(doctor.id)
    assert (after.id, after.is_active) == (filing.id, not ends_both)


# Bugs found ------------------------------------------------------------------------------------

def test_r_loc_2_an_assistant_cannot_change_to_a_prefecture_coded_institution(
    world: World, registry: Registry
) -> None:
    assistant = world.physician(level=Level.ASSISTANT)
    registration = world.registration(assistant, world.institution("440106"))
    result = verdict(registry, ChangeRequest(registration.id, world.institution("440100").id,
                                             registration.scopes), assistant)
    assert "practice_location.assistant_county" in result.failed_rule_ids


def test_r_loc_2_an_assistant_may_change_to_another_county(world: World, registry: Registry) -> None:
    assistant = world.physician(level=Level.ASSISTANT)
    registration = world.registration(assistant, world.institution("440106"))
    target = world.institution("441900")
    approve(registry, ChangeRequest(registration.id, target.id, registration.scopes), assistant)
    (moved,) = registry.registrations(assistant.id)
    assert (moved.id, moved.location.code, moved.primary_institution_id) == (
        registration.id, "441900", target.id)
