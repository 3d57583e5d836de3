"""What a refused physician is told: the exact message, facts and fix of representative
violations (the 'eligible from' date and the Chinese wording of years included), and what a
missing working-day calendar says. For the rules of the business types beside 注册 — one
violation of every branch of every rule class — the English message is pinned too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import pytest
from test_rule_properties import context

from mdreg import (
    Category,
    CivilCapacity,
    DivisionCode,
    Evidence,
    Institution,
    InstitutionKind,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
    RegistrationStatus,
)
from mdreg.domain.application import (
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MultisiteCancelRequest,
    Payload,
    ScopeEvidence,
    UpgradeRequest,
)
from mdreg.domain.calendar import ChineseCalendar, WeekendFallback
from mdreg.domain.model import Filing, FilingStatus, LegacySite
from mdreg.errors import CalendarDataMissing
from mdreg.rules import Rule
from mdreg.rules.account import AccountActive
from mdreg.rules.cancellation import GroundAccepted, GroundKnownBeforeReport
from mdreg.rules.change import (
    CategoryChangeNeedsQualification,
    ChangeKeepsLocationsDistinct,
    ScopeChangeNeedsEvidence,
)
from mdreg.rules.filing import (
    FilingActive,
    FilingNotDuplicate,
    FilingScopeWithinRegistration,
    FilingWithinLocation,
    LegacyActive,
)
from mdreg.rules.individual_practice import AssistantUnderGuidance, IndividualPracticeAfterFiveYears
from mdreg.rules.practice_location import AssistantCountyLocation
from mdreg.rules.qualification import (
    LateFirstRegistration,
    QualificationMatchesCategory,
    ReRegistrationEvidence,
)
from mdreg.rules.refusal import (
    CancelledForFailedAssessment,
    CertificateRevoked,
    CriminalPunishment,
    ExamFraud,
    FullCivilCapacity,
    RegistrationRevoked,
)
from mdreg.rules.scope import ScopeBelongsToCategory, ScopeCount
from mdreg.rules.target import TargetRegistrationUsable
from mdreg.rules.upgrade_military import MilitaryProof, PriorMilitaryRegistration, UpgradeFromAssistant

AS_OF = date(2026, 3, 2)
ON = date(2025, 6, 1)


def told(rule: Rule, **kw: object) -> list[tuple[str, dict[str, str], str]]:
    ctx = kw.pop("ctx", None) or context(AS_OF, **kw)  # type: ignore[arg-type]
    return [(v.message, dict(v.facts), v.fix) for v in rule.check(ctx)]


def test_a_completed_sentence_says_when_the_physician_may_apply_again() -> None:
    assert told(CriminalPunishment(), records=(
        Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), ON),)) == [(
            "刑罚于2025-06-01执行完毕，至申请日不满二年",
            {"completed_on": "2025-06-01", "eligible_from": "2027-06-01"},
            "刑罚执行完毕满二年且禁业期届满后再申请")]


@pytest.mark.parametrize(("rule", "message", "eligible", "fix"), [
    (CancelledForFailedAssessment(), "2025-06-01因考核不合格被注销注册，至申请日不满一年",
     "2026-06-01", "注销满一年后再申请"),
    (CertificateRevoked(), "2025-06-01被吊销医师执业证书，至申请日不满二年", "2027-06-01",
     "自处罚决定之日起满二年后再申请"),
    (RegistrationRevoked(), "2025-06-01以不正当手段取得注册被撤销，至申请日不满三年",
     "2028-06-01", "撤销决定满三年后再申请"),
], ids=["one_year", "two_years", "three_years"])
def test_a_refusal_for_a_record_names_its_years_in_chinese_and_the_day_it_ends(
        rule: CertificateRevoked, message: str, eligible: str, fix: str) -> None:
    assert told(rule, records=(Record(rule.kind, ON),)) == [
        (message, {"since": "2025-06-01", "eligible_from": eligible}, fix)]


def test_an_inactive_account_is_named_with_its_state() -> None:
    assert told(AccountActive(), ctx=attrs.evolve(context(AS_OF), account_state="verified")) == [(
        "个人账户未激活（verified）", {"account_state": "verified"},
        "先激活个人账户（机构激活码、资格证书编码或机构自动激活）")]


def test_a_physician_without_an_account_is_told_so_unless_the_policy_needs_none() -> None:
    ctx = attrs.evolve(context(AS_OF), account_state=None)
    assert [(v.message, v.message_en, dict(v.facts)) for v in AccountActive().check(ctx)] == [(
        "个人账户未激活（无账户）", "the physician's portal account is not active: none",
        {"account_state": None})]
    lenient = attrs.evolve(ctx, parameters={**ctx.parameters, "require_active_account": False})
    assert list(AccountActive().check(lenient)) == []


def test_an_assistant_at_a_province_level_institution_is_told_the_division() -> None:
    assert told(AssistantCountyLocation(), level=Level.ASSISTANT,
                division=DivisionCode("110000")) == [(
        "拟执业机构的行政区划代码110000不是县级，无法确定执业地点", {"division": "110000"},
        "选择登记在县级行政区划的执业机构")]
    (violation,) = AssistantCountyLocation().check(context(AS_OF, level=Level.ASSISTANT,
                                                           division=DivisionCode("110000")))
    assert violation.message_en == ("institution division 110000 is province-level; an "
                                    "assistant's location must be a county")


# -- the working-day calendar -------------------------------------------------------------------


def test_a_year_without_calendar_data_names_the_year_and_the_way_to_add_it() -> None:
    with pytest.raises(CalendarDataMissing) as missing:
        ChineseCalendar().is_workday(date(2099, 3, 2))
    assert missing.value.year == 2099
    assert str(missing.value) == (
        "no working-day data for 2099; add the State Council holiday notice for 2099 to the "
        "calendar override table (put a [years.2099] table (holidays, workdays) in a TOML file "
        "and load it with ChineseCalendar.from_toml(path); see docs/calendar.md)")


def test_from_toml_keeps_its_fallback(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('[years.2098]\nholidays = ["2098-01-01"]\n', encoding="utf-8")
    fallback = WeekendFallback()
    calendar = ChineseCalendar.from_toml(path, fallback=fallback)
    assert calendar.fallback is fallback
    assert calendar.is_workday(date(2098, 1, 1)) is False
    assert calendar.is_workday(date(2099, 3, 2)) is True  # a Monday, answered by the fallback
    assert calendar.fallback_years == {2099}
    with pytest.raises(CalendarDataMissing):
        ChineseCalendar.from_toml(path).is_workday(date(2099, 3, 2))


# -- the rules of the business types beside 注册 --------------------------------------------------

R1 = Registration("R1", "P", "Q", Level.PHYSICIAN, Category.CLINICAL, ("内科专业",),
                  DivisionCode("110000"), "I", "D", date(2020, 1, 1), "1")
CLINIC = Institution("C", "张氏诊所", DivisionCode("110105"), InstitutionKind.INDIVIDUAL_CLINIC, "D")
Said = tuple[str, str, dict[str, str], str]


def said(rule: Rule, payload: Payload, **kw: object) -> list[Said]:
    """Each violation of ``rule`` for ``payload`` as (message, English message, facts, fix)."""
    base = context(AS_OF)
    ctx = attrs.evolve(base, application=attrs.evolve(base.application, payload=payload), **kw)
    return [(v.message, v.message_en, dict(v.facts), v.fix) for v in rule.check(ctx)]


def holding(*qualifications: Qualification, records: tuple[Record, ...] = ()) -> Physician:
    return attrs.evolve(context(AS_OF).physician, qualifications=qualifications, records=records)


def change(**kw: object) -> ChangeRequest:
    return ChangeRequest("R1", "I", **{"scopes": ("内科专业",), **kw})  # type: ignore[arg-type]


CANCEL_FIX = "选择法定的注销情形，“其他情形”须写明具体情况"


@pytest.mark.parametrize(("payload", "parameters", "expected"), [
    (CancellationRequest("R1", CancellationGround.OWN_REQUEST, ON), {"cancellation_grounds": ["death"]},
     ("注销情形「own_request」不被接受", "ground 'own_request' is not accepted", {}, CANCEL_FIX)),
    (CancellationRequest("R1", CancellationGround.OTHER, ON, " "), {},
     ("“其他情形”未写明具体情况", "ground 'other' needs details", {}, CANCEL_FIX)),
    # a payload built without the engine's argument check may hold a plain string
    (CancellationRequest("R1", "retired", ON), {},  # type: ignore[arg-type]
     ("注销情形「retired」不被接受", "ground 'retired' is not accepted", {}, CANCEL_FIX)),
], ids=["ground_not_accepted", "other_without_details", "ground_not_a_ground"])
def test_a_cancellation_ground_refused_is_named(
        payload: CancellationRequest, parameters: dict[str, object], expected: Said) -> None:
    assert said(GroundAccepted(), payload, parameters=parameters) == [expected]


def test_a_cancellation_ground_known_after_the_application_names_both_dates() -> None:
    payload = CancellationRequest("R1", CancellationGround.DEATH, date(2026, 3, 3))
    assert said(GroundKnownBeforeReport(), payload) == [(
        "注销情形日期2026-03-03晚于申请日期2026-03-02",
        "ground known on 2026-03-03, after the application date", {}, "核对注销情形的发生日期")]


CHANGE_FIX = ("填写本人持有的、与变更后执业类别和原注册级别相符的医师资格证书编码；"
              "级别变更请办理“助理医师升执业医师”")
TCM_ASSISTANT = Qualification("QT", Level.ASSISTANT, Category.TCM, date(2020, 1, 1))


@pytest.mark.parametrize(("payload", "expected"), [
    (change(category=Category.TCM), [(
        "变更为「中医」类别，但未填写该类别的医师资格",
        "change to category tcm without a qualification of that category",
        {"category": "tcm"}, CHANGE_FIX)]),
    (change(qualification_no="Q-NONE"), [(
        "申请人未持有所填医师资格",
        "the applicant does not hold the qualification named in the application",
        {"qualification_no": "Q-NONE"}, CHANGE_FIX)]),
    (change(qualification_no="QT"), [(
        "所填医师资格为「中医」类别，变更后的执业类别为「临床」",
        "the qualification is of category tcm; the registration would be clinical",
        {"category": "clinical", "qualification_category": "tcm"}, CHANGE_FIX), (
        "所填医师资格为执业助理医师资格，原注册为执业医师注册",
        "the qualification is of level assistant; the registration is physician (a level "
        "changes only through an upgrade)",
        {"level": "physician", "qualification_level": "assistant"}, CHANGE_FIX)]),
], ids=["category_without_qualification", "qualification_not_held", "other_category_and_level"])
def test_a_change_without_a_fitting_qualification_names_what_does_not_fit(
        payload: ChangeRequest, expected: list[Said]) -> None:
    physician = holding(*context(AS_OF).physician.qualifications, TCM_ASSISTANT)
    assert said(CategoryChangeNeedsQualification(), payload, physician=physician,
                registrations=(R1,)) == expected


def test_a_new_scope_without_evidence_names_the_scopes_added() -> None:
    payload = change(scopes=("内科专业", "外科专业", "儿科专业"),
                     scope_evidence=ScopeEvidence(training_years=1))
    assert said(ScopeChangeNeedsEvidence(), payload, registrations=(R1,)) == [(
        "新增执业范围「外科专业、儿科专业」缺少学历或培训证明",
        "new scopes ['外科专业', '儿科专业'] lack a higher degree or 2 years' training",
        {"added": "外科专业、儿科专业"}, "提交高一层次学历证明，或二年以上系统培训并考核合格的证明")]


def test_a_change_onto_a_location_already_registered_names_the_registration() -> None:
    other = attrs.evolve(R1, id="R2")
    assert said(ChangeKeepsLocationsDistinct(), change(), registrations=(R1, other)) == [(
        "执业地点110000已有本人的有效注册R2", "location 110000 already has registration R2",
        {"registration": "R2"}, "在该执业地点已有注册的，请办理多执业机构备案")]


def test_a_cancelled_registration_as_target_is_named_with_its_status() -> None:
    cancelled = attrs.evolve(R1, status=RegistrationStatus.CANCELLED)
    assert said(TargetRegistrationUsable(), UpgradeRequest("R1", "Q"),
                registrations=(cancelled,)) == [(
        "执业注册R1的状态为「注销」", "registration R1 is cancelled",
        {"registration": "R1", "status": "cancelled"}, "请先办理“注册”")]


# -- 多执业机构备案 and the legacy multi-site records --------------------------------------------


def filing_for(scopes: tuple[str, ...] = ("内科专业",)) -> FilingRequest:
    return FilingRequest("R1", "I", scopes, valid_from=AS_OF, valid_to=date(2027, 3, 1))


def test_a_filing_outside_the_practice_location_names_both_divisions() -> None:
    in_shanghai = attrs.evolve(R1, location=DivisionCode("310000"))
    assert said(FilingWithinLocation(), filing_for(), registrations=(in_shanghai,)) == [(
        "机构所在地110105不在执业地点310000内",
        "institution at 110105 is outside the practice location 310000",
        {"location": "310000", "institution_division": "110105"}, "跨执业地点执业，请先在该地申请“注册”")]


def test_a_filing_of_the_primary_or_an_already_filed_institution_is_refused() -> None:
    filed = Filing("F1", "R1", "P", "I", ("内科专业",), ON, date(2027, 3, 1), "D")
    assert said(FilingNotDuplicate(), filing_for(), registrations=(R1,), filings=(filed,)) == [
        ("备案机构即为主要执业机构", "the institution is the primary one", {}, ""),
        ("该机构已有有效备案F1", "an active filing F1 exists", {"filing": "F1"}, ""),
    ]


def test_filed_scopes_beyond_the_registration_are_named() -> None:
    assert said(FilingScopeWithinRegistration(), filing_for(("内科专业", "外科专业")),
                registrations=(R1,)) == [(
        "备案执业范围「外科专业」超出注册范围",
        "filed scopes ['外科专业'] exceed the registration's scopes", {}, "")]
    assert said(FilingScopeWithinRegistration(), filing_for(("外科专业", "儿科专业")),
                registrations=(R1,))[0][0] == "备案执业范围「外科专业、儿科专业」超出注册范围"


@pytest.mark.parametrize(("kind", "english"), [
    (RecordKind.EXAM_CHEATING, "exam cheating"),
    (RecordKind.FORGED_QUALIFICATION, "forged qualification")])
def test_an_exam_fraud_record_is_named_with_its_date(kind: RecordKind, english: str) -> None:
    physician = holding(*context(AS_OF).physician.qualifications,
                        records=(Record(kind, date(2024, 5, 6)),))
    assert said(ExamFraud(), RegistrationRequest("I", "Q", ("内科专业",)), physician=physician) == [(
        f"2024-05-06记录：{kind.label}", f"record of {english} on 2024-05-06",
        {"record": kind.value}, "")]


@pytest.mark.parametrize("capacity", [CivilCapacity.LIMITED, CivilCapacity.NONE])
def test_an_applicant_without_full_civil_capacity_is_told_which(capacity: CivilCapacity) -> None:
    physician = attrs.evolve(context(AS_OF).physician, civil_capacity=capacity)
    assert said(FullCivilCapacity(), RegistrationRequest("I", "Q", ("内科专业",)),
                physician=physician) == [(
        f"申请人为{capacity.label}人", f"the applicant has {capacity.value} civil capacity, not full",
        {"civil_capacity": capacity.value}, "民事行为能力恢复后方可申请注册")]


def test_a_refusal_lasting_more_than_three_years_counts_in_digits() -> None:
    longer = type("RevokedFiveYears", (CertificateRevoked,), {"years": 5})()
    physician = holding(*context(AS_OF).physician.qualifications,
                        records=(Record(RecordKind.CERTIFICATE_REVOKED, date(2024, 5, 6)),))
    ((message, english, _, _),) = said(longer, RegistrationRequest("I", "Q", ("内科专业",)),
                                       physician=physician)
    assert "至申请日不满5年" in message
    assert "less than 5 year(s)" in english


def test_cancelling_a_filing_no_longer_active_names_its_status() -> None:
    ended = Filing("F1", "R1", "P", "I", ("内科专业",), ON, date(2027, 3, 1), "D",
                   status=FilingStatus.CANCELLED)
    assert said(FilingActive(), FilingCancelRequest("F1"), filings=(ended,)) == [(
        "备案F1的状态为「已取消」", "filing F1 is cancelled", {"filing": "F1"}, "")]


def test_cancelling_a_cancelled_legacy_record_names_it() -> None:
    ended = LegacySite("L1", "P", "R1", "I", date(2015, 5, 1), status=FilingStatus.CANCELLED)
    assert said(LegacyActive(), MultisiteCancelRequest("L1"), legacy=(ended,)) == [(
        "多地点执业记录L1已取消", "legacy record L1 is cancelled", {}, "")]


# -- 个体行医 and assistants ---------------------------------------------------------------------


def registering(qualification_no: str = "Q", scopes: tuple[str, ...] = ("内科专业",),
                **kw: object) -> RegistrationRequest:
    return RegistrationRequest("I", qualification_no, scopes, **kw)  # type: ignore[arg-type]


def test_practising_alone_too_early_names_the_days_practised_and_needed() -> None:
    two_years = attrs.evolve(R1, approved_on=date(2024, 3, 2))
    assert said(IndividualPracticeAfterFiveYears(), registering(), institution=CLINIC,
                registrations=(two_years,)) == [(
        "拟个体行医，但在医疗卫生机构中注册执业仅730天，不满5年",
        "practising alone needs 5 years of registered practice; the record shows 730 days",
        {"practised_days": "730", "needed_days": "1826"},
        "在医疗卫生机构中执业满五年后再申请个体行医，或选择其他执业机构")]


def test_an_assistant_at_an_individual_clinic_is_told_the_clinic() -> None:
    assistant = Qualification("QA", Level.ASSISTANT, Category.CLINICAL, date(2020, 1, 1))
    assert said(AssistantUnderGuidance(), registering("QA"), institution=CLINIC,
                physician=holding(assistant)) == [(
        "执业助理医师不能以个体诊所「张氏诊所」为主要执业机构",
        "an assistant cannot register at an individual clinic: no 执业医师 guides there",
        {"institution": "C"}, "选择有执业医师指导的医疗卫生机构作为主要执业机构")]


# -- qualifications and the evidence a late or returning registration needs ----------------------

QUALIFICATION_FIX = "填写本人持有的医师资格证书编码，并按资格类别申请注册"


@pytest.mark.parametrize(("payload", "expected"), [
    (registering("Q-NONE"), (
        "申请人未持有所填医师资格",
        "the applicant does not hold the qualification named in the application",
        {"qualification_no": "Q-NONE"}, QUALIFICATION_FIX)),
    (registering(category=Category.DENTAL), (
        "注册类别「口腔」与资格类别「临床」不一致",
        "category dental differs from the qualification's clinical",
        {"category": "dental", "qualification_category": "clinical"}, QUALIFICATION_FIX)),
], ids=["not_held", "other_category"])
def test_a_registration_without_the_qualification_named_says_why(
        payload: RegistrationRequest, expected: Said) -> None:
    assert said(QualificationMatchesCategory(), payload) == [expected]


def test_a_late_first_registration_names_each_missing_proof_and_the_qualifying_day() -> None:
    old = Qualification("Q", Level.PHYSICIAN, Category.CLINICAL, date(2023, 1, 1))
    fix = "补交连续六个月以上培训证明和考核合格证明"
    assert said(LateFirstRegistration(), registering(), physician=holding(old)) == [
        ("取得资格已满二年未注册，缺少连续六个月以上的培训证明",
         "qualified on 2023-01-01 and never registered: missing proof of 6 consecutive months "
         "of training", {"obtained_on": "2023-01-01"}, fix),
        ("取得资格已满二年未注册，缺少考核合格证明",
         "qualified on 2023-01-01 and never registered: missing a passed assessment",
         {"obtained_on": "2023-01-01"}, fix),
    ]


RETURN_FIX = "补交考核合格证明（及连续六个月以上培训证明）"


def test_a_return_after_a_long_suspension_names_the_day_it_began() -> None:
    suspended = Record(RecordKind.PRACTICE_SUSPENDED, date(2020, 1, 1), date(2023, 1, 1))
    physician = holding(*context(AS_OF).physician.qualifications, records=(suspended,))
    assert said(ReRegistrationEvidence(), registering(evidence=Evidence(training_months=6)),
                physician=physician) == [(
        "中止执业满二年后重新注册，缺少考核合格证明",
        "re-registration after 2 years' suspension: missing a passed assessment",
        {"suspended_on": "2020-01-01"}, RETURN_FIX)]


def test_a_return_from_the_army_names_the_day_military_practice_ended() -> None:
    payload = MilitaryInRequest("I", "Q", ("内科专业",), military_registered_on=date(2010, 1, 1),
                                military_practice_ended_on=date(2023, 1, 1),
                                evidence=Evidence(assessment_passed=True))
    assert said(ReRegistrationEvidence(), payload) == [(
        "中止执业满二年后重新注册，缺少连续六个月以上的培训证明",
        "re-registration after 2 years' suspension: missing proof of 6 consecutive months of "
        "training", {"military_practice_ended_on": "2023-01-01"}, RETURN_FIX)]


# -- scopes --------------------------------------------------------------------------------------


def test_a_scope_of_another_category_is_named_with_the_category() -> None:
    assert said(ScopeBelongsToCategory(), registering(scopes=("口腔专业",))) == [(
        "执业范围「口腔专业」不属于临床类别", "scope '口腔专业' is not listed for category clinical",
        {"scope": "口腔专业", "category": "clinical"}, "按执业类别选择执业范围")]


def test_too_many_scopes_name_the_count_the_level_and_the_approval() -> None:
    payload = RegistrationRequest("I", "Q", ("内科专业", "外科专业", "内科专业"))
    fix = "减少执业范围，或提交县级卫生健康主管部门的批准"
    assert said(ScopeCount(), payload) == [
        ("执业范围重复", "a scope is listed twice", {}, fix),
        ("申请了3个执业范围",
         "3 scopes requested; one is allowed, up to three only for clinical physicians at "
         "county-level institutions with county approval",
         {"count": "3", "county_level": "True", "county_approved": "False"}, fix),
    ]


# -- 助理医师升执业医师 and 军队变更入 ---------------------------------------------------------------

UPGRADE_FIX = "使用与助理医师注册同类别的执业医师资格申请"


def test_an_upgrade_of_a_physician_registration_without_the_qualification_says_both() -> None:
    assert said(UpgradeFromAssistant(), UpgradeRequest("R1", "Q-NONE"), registrations=(R1,)) == [
        ("执业注册R1不是执业助理医师注册", "registration R1 is not an assistant registration",
         {"registration": "R1"}, UPGRADE_FIX),
        ("申请人未持有所填执业医师资格",
         "the applicant does not hold the qualification named in the application", {},
         UPGRADE_FIX),
    ]


def test_an_upgrade_with_an_assistant_qualification_of_another_category_says_both() -> None:
    assistant = attrs.evolve(R1, level=Level.ASSISTANT)
    assert said(UpgradeFromAssistant(), UpgradeRequest("R1", "QT"), registrations=(assistant,),
                physician=holding(TCM_ASSISTANT)) == [
        ("所填资格不是执业医师资格", "the qualification is not 执业医师 level", {}, UPGRADE_FIX),
        ("资格类别「中医」与原注册类别「临床」不同",
         "qualification category tcm differs from the registration's clinical", {}, UPGRADE_FIX),
    ]


def moving_in(**kw: object) -> MilitaryInRequest:
    return MilitaryInRequest("I", "Q", ("内科专业",), **kw)  # type: ignore[arg-type]


def test_moving_in_from_the_army_without_proof_is_told_to_bring_it() -> None:
    assert said(MilitaryProof(), moving_in(proof_document=" ")) == [(
        "缺少原军队注册机关出具的证明", "the military organ's proof is missing", {},
        "提交原军队注册机关出具的证明文件")]


MILITARY_FIX = ("按原军队注册机关的证明填写军队执业注册日期和停止军队执业的日期；"
                "持有地方注册的请办理“变更”")


def test_moving_in_without_military_dates_while_holding_a_local_registration_says_both() -> None:
    assert said(PriorMilitaryRegistration(), moving_in(), registrations=(R1,)) == [
        ("未填写军队执业注册日期或停止军队执业的日期",
         "the military registration's dates are missing", {}, MILITARY_FIX),
        ("仍持有地方执业注册R1（有效）", "still holds the local registration R1 (valid)",
         {"registration": "R1"}, MILITARY_FIX),
    ]


def test_military_dates_out_of_order_are_named() -> None:
    payload = moving_in(military_registered_on=date(2024, 1, 1),
                        military_practice_ended_on=date(2023, 1, 1))
    assert said(PriorMilitaryRegistration(), payload) == [(
        "军队执业注册日期2024-01-01或停止执业日期2023-01-01不合理",
        "the military registration must follow the qualification, precede the application and "
        "the end of military practice",
        {"military_registered_on": "2024-01-01", "military_practice_ended_on": "2023-01-01"},
        MILITARY_FIX)]
