"""What a rule author is told when a rule or a policy is defined wrongly, how a rule shows itself,
the catalogue's look-up, and the rules that must answer (not raise) when a record is missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar

import pytest

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
    RegistrationRequest,
    ResidentId,
)
from mdreg.domain.application import (
    Application,
    BusinessType,
    FilingCancelRequest,
    MultisiteCancelRequest,
)
from mdreg.errors import RuleDefinitionError
from mdreg.rules import EligibilityContext, Policy, Rule, Violation
from mdreg.rules.catalogue import ENTRIES, by_ref
from mdreg.rules.citations import PHYSICIANS_LAW, REGISTRATION_MEASURES
from mdreg.rules.filing import FilingActive, LegacyActive
from mdreg.rules.refusal import FullCivilCapacity
from mdreg.workflows import BASE_POLICY

KEY = (BusinessType.REGISTRATION, "submit")


class _Quiet(Rule[RegistrationRequest]):
    def check(self, ctx: EligibilityContext[RegistrationRequest]) -> Iterator[Violation]:
        return iter(())


class Complete(_Quiet):
    id = "example.complete"
    label = "完整"
    title = "Complete"
    citations = (REGISTRATION_MEASURES.article("第六条"),)


def incomplete(missing: str) -> Rule[Any]:
    """A rule class with every declaration but ``missing``."""
    declared: dict[str, Any] = {"id": "example.incomplete", "label": "缺项", "title": "Missing",
                                "citations": (REGISTRATION_MEASURES.article("第六条"),)}
    del declared[missing]
    return type("Incomplete", (_Quiet,), declared)()


@pytest.mark.parametrize("missing", ["id", "label", "title"])
def test_a_rule_without_an_identity_is_refused_naming_what_it_lacks(missing: str) -> None:
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (incomplete(missing),)})
    assert str(refused.value) == f"rule Incomplete has no {missing}"


@pytest.mark.parametrize("blank", ["id", "label", "title"])
def test_a_blank_identity_is_refused_too(blank: str) -> None:
    rule = type("Blank", (Complete,), {blank: ""})()
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (rule,)})
    assert str(refused.value) == f"rule Blank has no {blank}"


def test_a_rule_without_citations_is_refused() -> None:
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (incomplete("citations"),)})
    assert str(refused.value) == "rule example.incomplete has no citation"


def test_two_classes_under_one_id_are_named() -> None:
    other = type("Other", (Complete,), {})()
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (Complete(), other)})
    assert str(refused.value) == "rule id 'example.complete' is used by Complete and Other"


def _version(version: int, ref: str, start: date, until: date | None) -> Rule[Any]:
    return type(f"V{version}", (Complete,), {"version": version, "ref": ref,
                                              "effective_from": start,
                                              "effective_until": until})()


def test_two_versions_with_different_refs_are_refused() -> None:
    first = _version(1, "R-X-1", date(2017, 4, 1), date(2022, 2, 28))
    second = _version(2, "R-X-2", date(2022, 3, 1), None)
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (first, second)})
    assert str(refused.value) == "the versions of rule 'example.complete' have different refs"


@pytest.mark.parametrize(
    ("until", "overlap"),
    [(date(2022, 3, 1), True), (date(2022, 2, 28), False), (None, True)],
    ids=["ending_on_the_next_ones_first_day_overlaps", "ending_the_day_before_does_not",
         "never_ending_overlaps"],
)
def test_versions_may_not_overlap_by_a_single_day(until: date | None, overlap: bool) -> None:
    first = _version(1, "R-X", date(2017, 4, 1), until)
    second = _version(2, "R-X", date(2022, 3, 1), None)
    if not overlap:
        assert Policy("p", {KEY: (first, second)}).rules_for(*KEY, date(2022, 3, 1)) == (second,)
        return
    with pytest.raises(RuleDefinitionError) as refused:
        Policy("p", {KEY: (first, second)})
    assert str(refused.value) == "versions 1 and 2 of rule 'example.complete' overlap"


def test_extend_keeps_the_parameters_and_the_switched_off_rules() -> None:
    inferred = next(r for r in BASE_POLICY.all_rules() if r.inferred)
    base = BASE_POLICY.with_changes("province", switch_off=[inferred.id], extra_scopes=["X"])
    added = Complete()
    extended = base.extend("province+", {KEY: (added,)})
    assert extended.name == "province+"
    assert extended.parameters == base.parameters
    assert extended.switched_off == base.switched_off == {inferred.id}
    assert extended.rules[KEY] == (*base.rules[KEY], added)


def test_a_rule_shows_its_class_id_version_and_period() -> None:
    first, _, third = (r for r in BASE_POLICY.all_rules() if r.id == "refusal.civil_capacity")
    assert repr(third) == "<FullCivilCapacity refusal.civil_capacity v3>"
    assert repr(first) == "<FullCivilCapacityV1 refusal.civil_capacity v1>"
    assert first.period() == "1999-05-01 – 2017-03-31"
    assert third.period() == "2022-03-01 – …"
    assert isinstance(third, FullCivilCapacity)
    assert PHYSICIANS_LAW in {c.instrument for c in third.citations}


def test_the_catalogue_is_looked_up_by_number() -> None:
    for entry in ENTRIES:
        assert by_ref(entry.ref) is entry
    entry = by_ref("R-IND-1")
    assert (entry.ref, entry.section) == ("R-IND-1", entry.section)
    assert entry.statement and entry.tag
    with pytest.raises(KeyError) as missing:
        by_ref("R-NONE-9")
    assert missing.value.args == ("R-NONE-9",)


def _context(payload: object, kind: BusinessType) -> EligibilityContext[Any]:
    division = DivisionCode("110105")
    doctor = Physician("P", "张三", ResidentId.parse("11010519491231002X"),
                       (Qualification("Q", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1)),))
    now = datetime(2026, 3, 2, tzinfo=UTC)
    app = Application("A", kind, "P", Actor.physician("P"), payload, "I", "D", division.code,
                      "draft", 1, now, now, date(2026, 3, 2))
    return EligibilityContext(date(2026, 3, 2), app, doctor,
                              Institution("I", "医院", division, InstitutionKind.MEDICAL, "D"),
                              HealthDepartment("D", "卫健委", division))


def test_cancelling_a_filing_or_record_not_on_file_is_left_to_other_rules() -> None:
    # routing refuses such an application before the rules run; the rules alone answer, not raise
    filing = _context(FilingCancelRequest("F-missing"), BusinessType.FILING_CANCEL)
    assert list(FilingActive().check(filing)) == []
    legacy = _context(MultisiteCancelRequest("L-missing"), BusinessType.MULTISITE_CANCEL)
    assert list(LegacyActive().check(legacy)) == []


def test_a_rules_declared_period_wins_over_its_citations() -> None:
    declared = type("Declared", (Complete,), {"citations": Complete.citations,
                                              "effective_from": date(2018, 1, 1),
                                              "effective_until": date(2019, 12, 31)})
    assert (declared.effective_from, declared.effective_until) == (date(2018, 1, 1),
                                                                    date(2019, 12, 31))
    cited = type("Cited", (Complete,), {"citations": (
        PHYSICIANS_LAW.article("第十三条"), REGISTRATION_MEASURES.article("第六条"))})
    assert cited.effective_from == max(PHYSICIANS_LAW.effective_from,
                                       REGISTRATION_MEASURES.effective_from)
    assert cited.effective_until is None


def test_a_rule_reading_something_other_than_payload_classes_is_named() -> None:
    with pytest.raises(RuleDefinitionError) as refused:
        class Odd(Rule[Literal["registration"]]):  # type: ignore[type-var]
            pass
    assert str(refused.value) == ("rule Odd reads typing.Literal['registration']: name payload "
                                  "classes, e.g. Rule[RegistrationRequest]")


T = TypeVar("T")


class Tagged(Generic[T]):
    """A generic mixin that is not a rule."""


def test_a_generic_mixin_does_not_change_what_a_rule_reads() -> None:
    class Mixed(Tagged[int], Complete):
        pass

    assert Mixed.reads == Complete.reads == (RegistrationRequest,)
