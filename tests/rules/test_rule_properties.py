"""One property per time-window and location rule: never raises, and fails exactly when it should."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mdreg import (
    Actor,
    Category,
    DivisionCode,
    HealthDepartment,
    Institution,
    InstitutionKind,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
    ResidentId,
)
from mdreg.domain.application import Application, BusinessType
from mdreg.domain.dates import add_years
from mdreg.rules import EligibilityContext, evaluate
from mdreg.rules.practice_location import OneRegistrationPerLocation
from mdreg.rules.refusal import CertificateRevoked, CriminalPunishment
from mdreg.testing.strategies import county_codes
from mdreg.workflows.registration import RULES as REGISTRATION_RULES

DIVISION = DivisionCode("110105")
DEPARTMENT = HealthDepartment("D", "卫健委", DIVISION)
_RID = ResidentId.parse("11010519491231002X")


def context(as_of: date, *, records: tuple[Record, ...] = (), level: Level = Level.PHYSICIAN,
            division: DivisionCode = DIVISION,
            registrations: tuple[Registration, ...] = ()
            ) -> EligibilityContext[RegistrationRequest]:
    physician = Physician("P", "张三", _RID,
                          (Qualification("Q", level, Category.CLINICAL, as_of - timedelta(days=30)),),
                          records=records)
    institution = Institution("I", "医院", division, InstitutionKind.MEDICAL, "D")
    now = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    app = Application("A", BusinessType.REGISTRATION, "P", Actor.physician("P"),
                      RegistrationRequest("I", "Q", ("内科专业",)), "I", "D", division.code,
                      "draft", 1, now, now, as_of)
    return EligibilityContext(as_of, app, physician, institution, DEPARTMENT, registrations)


dates = st.dates(date(2017, 4, 1), date(2030, 12, 31))


@given(dates, dates)
def test_r_reg_4_fails_exactly_within_two_years_of_revocation(revoked: date, as_of: date) -> None:
    ctx = context(as_of, records=(Record(RecordKind.CERTIFICATE_REVOKED, revoked),))
    failed = bool(list(CertificateRevoked().check(ctx)))
    assert failed == (revoked <= as_of < add_years(revoked, 2))


@given(dates, dates)
def test_r_reg_3_fails_exactly_until_two_years_after_the_sentence(completed: date, as_of: date) -> None:
    record = Record(RecordKind.CRIMINAL_SENTENCE, completed - timedelta(days=400), completed)
    failed = bool(list(CriminalPunishment().check(ctx := context(as_of, records=(record,)))))
    assert failed == (as_of < add_years(completed, 2))
    assert all(v.rule_id == "refusal.criminal_punishment" for v in CriminalPunishment().check(ctx))


@given(county_codes(), st.lists(county_codes(), max_size=3), st.sampled_from(Level))
def test_r_loc_5_fails_exactly_when_a_valid_registration_overlaps(
    target: DivisionCode, held: list[DivisionCode], level: Level
) -> None:
    registrations = tuple(
        Registration(f"R{i}", "P", "Q", Level.PHYSICIAN, Category.CLINICAL, ("内科专业",),
                     code.province, f"I{i}", "D", date(2020, 1, 1), "1")
        for i, code in enumerate(dict.fromkeys(c.province for c in held))
    )
    ctx = context(date(2026, 3, 2), level=level, division=target, registrations=registrations)
    failed = bool(list(OneRegistrationPerLocation().check(ctx)))
    assert failed == any(r.location.contains(target) for r in registrations)


@given(dates, st.lists(st.sampled_from(list(RecordKind)), max_size=4), st.sampled_from(Level))
def test_every_registration_rule_is_total_and_cited(
    as_of: date, kinds: list[RecordKind], level: Level
) -> None:
    records = tuple(Record(k, as_of - timedelta(days=100)) for k in kinds)
    verdict = evaluate(REGISTRATION_RULES, context(as_of, records=records, level=level))
    for violation in verdict.violations:
        assert violation.rule_id in verdict.checked
        assert violation.message and violation.message_en and violation.citations
