"""The helpers rules share, and what an assistant's second location is told: read on their own,
with a context built by hand."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from test_rule_properties import context

from mdreg import (
    Category,
    DivisionCode,
    Level,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
)
from mdreg.domain.application import UNDER_REVIEW, ChangeRequest, MilitaryInRequest, ScopeApproval
from mdreg.errors import RuleDefinitionError
from mdreg.rules.individual_practice import practised_days
from mdreg.rules.policy import PARAMETERS, Policy
from mdreg.rules.practice_location import AssistantSingleLocation, requested_level
from mdreg.rules.qualification import ReRegistrationEvidence
from mdreg.rules.scope import county_approval
from mdreg.workflows import BASE_POLICY

AS_OF = date(2026, 3, 2)


def registration(rid: str, province: str) -> Registration:
    return Registration(rid, "P", "Q", Level.ASSISTANT, Category.CLINICAL, ("内科专业",),
                        DivisionCode(province), "I0", "D", date(2024, 1, 1), "1")


def test_a_registration_not_held_is_none() -> None:
    ctx = context(AS_OF, registrations=(registration("R1", "310000"),))
    assert ctx.registration_named("R1") == registration("R1", "310000")
    assert ctx.registration_named("R2") is None
    assert ctx.registration_named(None) is None


@pytest.mark.parametrize(("division", "approved"), [
    ("110105", True), ("110106", False), ("110100", False), ("110000", False)],
    ids=["the_institutions_county", "another_county", "the_city", "the_province"])
def test_a_recorded_scope_approval_counts_only_from_the_institutions_county(
        division: str, approved: bool) -> None:
    base = context(AS_OF)  # the institution is in 110105
    app = attrs.evolve(base.application, state=UNDER_REVIEW,
                       scope_approval=ScopeApproval(f"D{division}", division, AS_OF))
    assert county_approval(attrs.evolve(base, application=app)) is approved


def test_an_assistant_with_a_valid_registration_is_told_where_it_is() -> None:
    held = registration("R1", "310104")
    base = context(AS_OF, level=Level.ASSISTANT, registrations=(held,))
    (violation,) = AssistantSingleLocation().check(base)
    assert (violation.message, violation.message_en, dict(violation.facts), violation.fix) == (
        "已有有效执业注册（执业地点310104）", "already holds a valid registration at 310104",
        {"registration": "R1", "location": "310104"}, "如需更换执业地点，请办理“变更”业务")
    physician = attrs.evolve(base.physician, qualifications=(
        Qualification("Q", Level.PHYSICIAN, Category.CLINICAL, date(2020, 1, 1)),))
    assert list(AssistantSingleLocation().check(attrs.evolve(base, physician=physician))) == []
    assert isinstance(base.payload, RegistrationRequest)


def test_military_practice_without_an_end_counts_to_the_application_date() -> None:
    base = context(AS_OF)
    payload = MilitaryInRequest("I", "Q", ("内科专业",), military_registered_on=date(2025, 3, 2))
    ctx = attrs.evolve(base, application=attrs.evolve(base.application, payload=payload))
    assert practised_days(ctx, True) == (AS_OF - date(2025, 3, 2)).days
    ended = attrs.evolve(payload, military_practice_ended_on=date(2025, 9, 2))
    ctx = attrs.evolve(base, application=attrs.evolve(base.application, payload=ended))
    assert practised_days(ctx, True) == (date(2025, 9, 2) - date(2025, 3, 2)).days


def test_a_policy_parameter_is_its_value_or_its_documented_default() -> None:
    bare = Policy("bare", {})  # sets no parameter
    for name, parameter in PARAMETERS.items():
        assert bare.param(name) == parameter.default
        assert BASE_POLICY.param(name) == BASE_POLICY.parameters.get(name, parameter.default)
    assert any(parameter.default is not None for parameter in PARAMETERS.values())
    with pytest.raises(RuleDefinitionError) as refused:
        BASE_POLICY.param("no_such_parameter")
    assert str(refused.value) == "unknown policy parameter 'no_such_parameter'"


def _suspension_facts(*records: Record, registrations: tuple[Registration, ...] = ()
                      ) -> list[dict[str, str]]:
    """The facts of each violation of the re-registration rule for a 注册 without evidence."""
    ctx = context(AS_OF, records=records, registrations=registrations)
    return [dict(v.facts) for v in ReRegistrationEvidence().check(ctx)]


def test_the_first_long_suspension_counts_whatever_records_come_before_it() -> None:
    sentence = Record(RecordKind.CRIMINAL_SENTENCE, date(2015, 1, 1), date(2016, 1, 1))
    short = Record(RecordKind.PRACTICE_SUSPENDED, date(2019, 1, 1), date(2020, 1, 1))
    long = Record(RecordKind.PRACTICE_SUSPENDED, date(2021, 1, 1), date(2023, 6, 1))
    facts = _suspension_facts(sentence, short, long)
    assert facts and all(f == {"suspended_on": "2021-01-01"} for f in facts)


@pytest.mark.parametrize(("granted_on", "returning"), [
    (date(2021, 1, 1), True), (date(2021, 1, 2), False)],
    ids=["granted_the_day_the_suspension_began_does_not_follow_it", "granted_after_follows_it"])
def test_a_registration_follows_a_suspension_only_if_granted_after_it_began(
        granted_on: date, returning: bool) -> None:
    long = Record(RecordKind.PRACTICE_SUSPENDED, date(2021, 1, 1), date(2023, 6, 1))
    granted = attrs.evolve(registration("R1", "310000"), level=Level.PHYSICIAN,
                           approved_on=granted_on)
    assert bool(_suspension_facts(long, registrations=(granted,))) is returning


def test_the_level_of_a_change_whose_registration_is_not_held_is_unknown() -> None:
    base = context(AS_OF)
    change = ChangeRequest("R-missing", "I", ("内科专业",))
    ctx = attrs.evolve(base, application=attrs.evolve(base.application, payload=change))
    assert requested_level(ctx) is None
    held = registration("R1", "310000")
    ctx = attrs.evolve(ctx, application=attrs.evolve(ctx.application, payload=attrs.evolve(
        change, registration_id="R1")), registrations=(held,))
    assert requested_level(ctx) is Level.ASSISTANT
