"""What a physician with a criminal sentence is told (R-REG-3), word for word in Chinese and
English with every fact, for a sentence still running and one completed less than two years
before the application date; and which category the scope rules (R-SCOPE-1/2) check when a
变更 names no category, a qualification the physician does not hold and no registration of
theirs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest
from test_rule_properties import context

from mdreg import Record, RecordKind, RegistrationRequest
from mdreg.domain.application import ChangeRequest
from mdreg.rules import EligibilityContext, evaluate
from mdreg.rules.refusal import CriminalPunishment
from mdreg.rules.scope import ScopeBelongsToCategory, ScopeCount, requested_category
from mdreg.testing.scenario import Scenario
from mdreg.workflows.change import RULES as CHANGE_RULES

AS_OF = date(2026, 3, 2)
RULE_ID = "refusal.criminal_punishment"
LABEL = "刑罚执行完毕不满二年或禁业期未满的，不予注册"
FIX = "刑罚执行完毕满二年且禁业期届满后再申请"

Told = tuple[str, str, str, dict[str, str], str, str]


def told(records: tuple[Record, ...], as_of: date = AS_OF) -> list[Told]:
    """Each R-REG-3 violation as (rule id, message, English message, facts, fix, label)."""
    return [(v.rule_id, v.message, v.message_en, dict(v.facts), v.fix, v.label)
            for v in CriminalPunishment().check(context(as_of, records=records))]


# R-REG-3: a sentence not yet completed --------------------------------------------------------

RUNNING = [
    pytest.param(Record(RecordKind.CRIMINAL_SENTENCE, date(2024, 5, 6), None), id="no_end_date"),
    pytest.param(Record(RecordKind.CRIMINAL_SENTENCE, date(2024, 5, 6), date(2026, 3, 3)),
                 id="ends_the_day_after_the_application"),
]


@pytest.mark.parametrize("record", RUNNING)
def test_a_sentence_not_yet_completed_is_named_with_the_day_it_began(record: Record) -> None:
    assert told((record,)) == [(
        RULE_ID, "刑罚尚未执行完毕", "the criminal sentence has not been completed",
        {"sentence_from": "2024-05-06"}, FIX, LABEL)]


def test_each_running_sentence_is_named_with_its_own_start() -> None:
    records = (Record(RecordKind.CRIMINAL_SENTENCE, date(2019, 1, 2), None),
               Record(RecordKind.CRIMINAL_SENTENCE, date(2025, 12, 31), date(2027, 1, 1)))
    assert [facts for *_, facts, _fix, _label in told(records)] == [
        {"sentence_from": "2019-01-02"}, {"sentence_from": "2025-12-31"}]


# R-REG-3: a sentence completed less than two years before the application date ---------------

def test_a_sentence_completed_under_two_years_ago_says_when_and_until_when() -> None:
    record = Record(RecordKind.CRIMINAL_SENTENCE, date(2021, 7, 8), date(2024, 9, 10))
    assert told((record,)) == [(
        RULE_ID, "刑罚于2024-09-10执行完毕，至申请日不满二年",
        "sentence completed on 2024-09-10, less than 2 years before the application date",
        {"completed_on": "2024-09-10", "eligible_from": "2026-09-10"}, FIX, LABEL)]


def test_a_sentence_completed_on_the_application_date_is_completed_not_running() -> None:
    record = Record(RecordKind.CRIMINAL_SENTENCE, date(2023, 3, 2), AS_OF)
    assert told((record,)) == [(
        RULE_ID, "刑罚于2026-03-02执行完毕，至申请日不满二年",
        "sentence completed on 2026-03-02, less than 2 years before the application date",
        {"completed_on": "2026-03-02", "eligible_from": "2028-03-02"}, FIX, LABEL)]


# the same, as the registration's verdict lists it --------------------------------------------

@pytest.mark.parametrize(("record", "message", "message_en", "facts"), [
    (Record(RecordKind.CRIMINAL_SENTENCE, date(2024, 5, 6), None), "刑罚尚未执行完毕",
     "the criminal sentence has not been completed", {"sentence_from": "2024-05-06"}),
    (Record(RecordKind.CRIMINAL_SENTENCE, date(2021, 7, 8), date(2024, 9, 10)),
     "刑罚于2024-09-10执行完毕，至申请日不满二年",
     "sentence completed on 2024-09-10, less than 2 years before the application date",
     {"completed_on": "2024-09-10", "eligible_from": "2026-09-10"}),
], ids=["running", "completed_under_two_years"])
def test_a_refused_registration_lists_the_sentence_as_the_physician_reads_it(
        scenario: Scenario, record: Record, message: str, message_en: str,
        facts: dict[str, str]) -> None:
    doctor = scenario.physician(records=(record,))
    hospital = scenario.institution("110105")
    outcome = scenario.on(AS_OF).applies(doctor, RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    outcome.fails(RULE_ID, only=True)
    (violation,) = outcome.verdict.violations
    assert (violation.rule_id, violation.message, violation.message_en, dict(violation.facts),
            violation.fix) == (RULE_ID, message, message_en, facts, FIX)


# R-SCOPE-1/2: the category of a 变更 that names nothing the physician has ----------------------

def changing(payload: ChangeRequest) -> EligibilityContext[Any]:
    """A clinical physician (qualification ``Q``, no registrations) at a county-level hospital
    applying for ``payload``."""
    base = context(AS_OF)
    return attrs.evolve(base, application=attrs.evolve(base.application, payload=payload))


ORPHAN = ChangeRequest("R-NONE", "I", ("内科专业", "外科专业"), qualification_no="Q-NONE")


def test_a_change_naming_no_category_qualification_or_registration_has_no_category() -> None:
    ctx = changing(ORPHAN)
    assert ctx.registrations == ()
    assert ctx.qualification_named("Q-NONE") is None
    assert requested_category(ctx) is None


def test_scope_rules_on_such_a_change_check_no_category_and_count_the_scopes() -> None:
    ctx = changing(ORPHAN)
    assert list(ScopeBelongsToCategory().check(ctx)) == []
    (count,) = ScopeCount().check(ctx)
    # no category, so not clinical: two scopes are refused even at a county-level institution
    assert (count.rule_id, count.message, count.message_en, dict(count.facts)) == (
        "scope.count", "申请了2个执业范围",
        "2 scopes requested; one is allowed, up to three only for clinical physicians at "
        "county-level institutions with county approval",
        {"count": "2", "county_level": "True", "county_approved": "False"})


def test_the_change_rules_check_such_a_change_without_raising() -> None:
    verdict = evaluate(CHANGE_RULES, changing(ORPHAN))
    assert {"change.category_needs_qualification", "scope.belongs_to_category",
            "scope.count"} <= set(verdict.checked)
    # with no registration to change the qualification check has nothing to compare; only the
    # scope count refuses
    assert [(v.rule_id, dict(v.facts)) for v in verdict.violations] == [
        ("scope.count", {"count": "2", "county_level": "True", "county_approved": "False"})]
