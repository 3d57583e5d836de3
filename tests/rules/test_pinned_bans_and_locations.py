"""What a physician is told, word for word in Chinese and English with every fact, when a ban
on practising is still running (R-REG-3), when a revocation or cancellation is too recent
(R-REG-4/5/9), and when a valid registration already holds the practice location asked for
(R-LOC-5); and which practice location a registration would create for each level (执业医师:
the institution's province; 执业助理医师: its county).
"""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from test_rule_properties import context

from mdreg import (
    Category,
    DivisionCode,
    Level,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
)
from mdreg.rules import Rule
from mdreg.rules.practice_location import OneRegistrationPerLocation, intended_location
from mdreg.rules.refusal import (
    CancelledForFailedAssessment,
    CertificateRevoked,
    CriminalPunishment,
    RegistrationRevoked,
)
from mdreg.testing.scenario import Scenario

AS_OF = date(2026, 3, 2)

Told = tuple[str, str, str, dict[str, str], str | None]


def told(rule: Rule, records: tuple[Record, ...] = (), *, level: Level = Level.PHYSICIAN,
         division: str = "110105", registrations: tuple[Registration, ...] = ()) -> list[Told]:
    """Each violation of ``rule`` as (rule id, message, English message, facts, fix)."""
    ctx = context(AS_OF, records=records, level=level, division=DivisionCode(division),
                  registrations=registrations)
    return [(v.rule_id, v.message, v.message_en, dict(v.facts), v.fix) for v in rule.check(ctx)]


# R-REG-3: a ban on practising that has not run out --------------------------------------------

BAN_ID = "refusal.criminal_punishment"
BAN_FIX = "刑罚执行完毕满二年且禁业期届满后再申请"


def test_a_ban_with_an_end_date_names_the_day_it_runs_to() -> None:
    ban = Record(RecordKind.PRACTICE_BAN, date(2023, 4, 5), date(2027, 1, 15))
    assert told(CriminalPunishment(), (ban,)) == [(
        BAN_ID, "禁止从事医师职业的期限未满（至2027-01-15）",
        "a ban on practising runs until 2027-01-15", {"ban_until": "2027-01-15"}, BAN_FIX)]


def test_a_ban_without_an_end_date_is_said_to_have_no_end() -> None:
    ban = Record(RecordKind.PRACTICE_BAN, date(2023, 4, 5), None)
    assert told(CriminalPunishment(), (ban,)) == [(
        BAN_ID, "禁止从事医师职业的期限未满（至无期限）", "a ban on practising runs until 无期限",
        {"ban_until": "无期限"}, BAN_FIX)]


def test_a_ban_ending_the_day_after_the_application_still_runs() -> None:
    ban = Record(RecordKind.PRACTICE_BAN, date(2025, 3, 3), date(2026, 3, 3))
    assert told(CriminalPunishment(), (ban,)) == [(
        BAN_ID, "禁止从事医师职业的期限未满（至2026-03-03）",
        "a ban on practising runs until 2026-03-03", {"ban_until": "2026-03-03"}, BAN_FIX)]


def test_a_ban_ending_on_the_application_date_has_run_out() -> None:
    ban = Record(RecordKind.PRACTICE_BAN, date(2025, 3, 2), AS_OF)
    assert told(CriminalPunishment(), (ban,)) == []


def test_each_running_ban_is_named_with_its_own_end() -> None:
    bans = (Record(RecordKind.PRACTICE_BAN, date(2020, 1, 1), None),
            Record(RecordKind.PRACTICE_BAN, date(2021, 1, 1), date(2030, 6, 30)),
            Record(RecordKind.PRACTICE_BAN, date(2019, 1, 1), date(2024, 1, 1)))
    assert [facts for *_, facts, _fix in told(CriminalPunishment(), bans)] == [
        {"ban_until": "无期限"}, {"ban_until": "2030-06-30"}]


@pytest.mark.parametrize(("until", "shown", "message", "message_en"), [
    (None, "无期限", "禁止从事医师职业的期限未满（至无期限）", "a ban on practising runs until 无期限"),
    (date(2028, 8, 8), "2028-08-08", "禁止从事医师职业的期限未满（至2028-08-08）",
     "a ban on practising runs until 2028-08-08")], ids=["no_end", "dated_end"])
def test_a_refused_registration_lists_the_ban_as_the_physician_reads_it(
        scenario: Scenario, until: date | None, shown: str, message: str,
        message_en: str) -> None:
    doctor = scenario.physician(records=(Record(RecordKind.PRACTICE_BAN, date(2024, 2, 2), until),))
    hospital = scenario.institution("110105")
    outcome = scenario.on(AS_OF).applies(doctor, RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    outcome.fails(BAN_ID, only=True)
    (violation,) = outcome.verdict.violations
    assert (violation.rule_id, violation.message, violation.message_en, dict(violation.facts),
            violation.fix) == (
        BAN_ID, message, message_en, {"ban_until": shown}, BAN_FIX)


# R-REG-4/5/9: a dated record too recent — the English names the record in words ---------------

@pytest.mark.parametrize(("rule", "kind", "message", "message_en", "eligible_from", "fix"), [
    (CertificateRevoked(), RecordKind.CERTIFICATE_REVOKED,
     "2025-06-01被吊销医师执业证书，至申请日不满二年",
     "certificate revoked on 2025-06-01, less than 2 year(s) before the application date",
     "2027-06-01", "自处罚决定之日起满二年后再申请"),
    (CancelledForFailedAssessment(), RecordKind.CANCELLED_FAILED_ASSESSMENT,
     "2025-06-01因考核不合格被注销注册，至申请日不满一年",
     "cancelled failed assessment on 2025-06-01, less than 1 year(s) before the application "
     "date", "2026-06-01", "注销满一年后再申请"),
    (RegistrationRevoked(), RecordKind.REGISTRATION_REVOKED,
     "2025-06-01以不正当手段取得注册被撤销，至申请日不满三年",
     "registration revoked on 2025-06-01, less than 3 year(s) before the application date",
     "2028-06-01", "撤销决定满三年后再申请"),
], ids=["certificate_revoked", "cancelled_failed_assessment", "registration_revoked"])
def test_a_too_recent_record_is_named_in_words_with_its_date(
        rule: Rule, kind: RecordKind, message: str, message_en: str, eligible_from: str,
        fix: str) -> None:
    assert told(rule, (Record(kind, date(2025, 6, 1)),)) == [(
        rule.id, message, message_en, {"since": "2025-06-01", "eligible_from": eligible_from},
        fix)]


# R-LOC-5: the practice location asked for, by level ----------------------------------------

@pytest.mark.parametrize(("level", "division", "location"), [
    (Level.PHYSICIAN, "110105", "110000"),
    (Level.PHYSICIAN, "441303", "440000"),
    (Level.ASSISTANT, "110105", "110105"),
    (Level.ASSISTANT, "441303", "441303"),
], ids=["physician_beijing", "physician_guangdong", "assistant_beijing", "assistant_guangdong"])
def test_the_location_asked_for_is_the_province_for_a_physician_the_county_for_an_assistant(
        level: Level, division: str, location: str) -> None:
    ctx = context(AS_OF, level=level, division=DivisionCode(division))
    assert intended_location(ctx) == DivisionCode(location)


def test_no_location_is_asked_for_with_a_qualification_the_physician_does_not_hold() -> None:
    base = context(AS_OF)
    payload = RegistrationRequest("I", "Q-NONE", ("内科专业",))
    ctx = attrs.evolve(base, application=attrs.evolve(base.application, payload=payload))
    assert intended_location(ctx) is None


LOC_ID = "practice_location.one_primary_institution"
LOC_FIX = "同一执业地点内的其他机构请办理“多执业机构备案”，更换主要执业机构请办理“变更”"


def held(reg_id: str, location: str, institution: str, level: Level = Level.PHYSICIAN
         ) -> Registration:
    return Registration(reg_id, "P", "Q0", level, Category.CLINICAL, ("内科专业",),
                        DivisionCode(location), institution, "D", date(2020, 1, 1), f"C{reg_id}")


def test_a_physician_holding_the_province_is_told_which_registration_and_institution() -> None:
    assert told(OneRegistrationPerLocation(), registrations=(held("R7", "110000", "I-42"),)) == [(
        LOC_ID, "执业地点110000已有有效注册，主要执业机构为I-42",
        "a valid registration at 110000 already names I-42 as primary institution",
        {"registration": "R7", "location": "110000"}, LOC_FIX)]


def test_a_physician_asks_for_the_whole_province_so_a_county_there_clashes() -> None:
    # an assistant's registration at another county of the same province: a physician asks
    # for the province (110000), which contains it; an assistant would ask for 110105 alone
    registration = held("R3", "110108", "I-9", Level.ASSISTANT)
    assert told(OneRegistrationPerLocation(), registrations=(registration,)) == [(
        LOC_ID, "执业地点110108已有有效注册，主要执业机构为I-9",
        "a valid registration at 110108 already names I-9 as primary institution",
        {"registration": "R3", "location": "110108"}, LOC_FIX)]
    assert told(OneRegistrationPerLocation(), level=Level.ASSISTANT,
                registrations=(registration,)) == []


def test_an_assistant_holding_its_own_county_is_told_which_registration() -> None:
    registration = held("R5", "110105", "I-1", Level.ASSISTANT)
    assert told(OneRegistrationPerLocation(), level=Level.ASSISTANT,
                registrations=(registration,)) == [(
        LOC_ID, "执业地点110105已有有效注册，主要执业机构为I-1",
        "a valid registration at 110105 already names I-1 as primary institution",
        {"registration": "R5", "location": "110105"}, LOC_FIX)]


def test_only_the_registrations_in_the_location_asked_for_are_listed() -> None:
    registrations = (held("R1", "120000", "I-T"), held("R2", "110000", "I-B"),
                     held("R4", "440000", "I-G"))
    assert [facts for *_, facts, _fix in told(OneRegistrationPerLocation(),
                                               registrations=registrations)] == [
        {"registration": "R2", "location": "110000"}]


def test_a_refused_registration_lists_the_clash_as_the_physician_reads_it(
        scenario: Scenario) -> None:
    hospital, other = scenario.institution("110105"), scenario.institution("110108")
    doctor = scenario.physician(level=Level.PHYSICIAN)
    registration = scenario.registered(doctor, hospital)
    outcome = scenario.on(AS_OF).applies(doctor, RegistrationRequest(
        other.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    outcome.fails(LOC_ID, only=True)
    (violation,) = outcome.verdict.violations
    assert (violation.rule_id, violation.message, violation.message_en, dict(violation.facts),
            violation.fix) == (
        LOC_ID, f"执业地点110000已有有效注册，主要执业机构为{hospital.id}",
        f"a valid registration at 110000 already names {hospital.id} as primary institution",
        {"registration": registration.id, "location": "110000"}, LOC_FIX)
