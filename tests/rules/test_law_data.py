"""Law data: the instruments' document numbers and periods, rules dated by what they cite."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from mdreg.errors import RuleDefinitionError
from mdreg.rules import Rule, citations
from mdreg.rules.citations import ALL, BY_KEY
from mdreg.rules.export import export
from mdreg.rules.refusal import FullCivilCapacity
from mdreg.workflows import BASE_POLICY


@pytest.mark.parametrize("instrument", ALL, ids=[i.key for i in ALL])
def test_an_instrument_is_dated_and_its_successor_takes_over_the_next_day(instrument) -> None:
    assert instrument.effective_until is None or instrument.effective_until >= instrument.effective_from
    if instrument.replaced_by:
        successor = BY_KEY[instrument.replaced_by]
        assert instrument.effective_until == successor.effective_from - timedelta(days=1)
    else:
        assert instrument.effective_until is None


def test_the_laws_and_measures_carry_their_document_numbers() -> None:
    assert {i.key: i.document_no for i in ALL if i.document_no} == {
        "physicians_law_2021": "中华人民共和国主席令第九十四号",
        "practising_physicians_law_1998": "中华人民共和国主席令第五号",
        "registration_measures_1999": "卫生部令第5号",
        "registration_measures_2017": "国家卫生计生委令第13号",
        "scope_rules_2001": "卫医发〔2001〕169号",
        "administrative_licensing_law": "中华人民共和国主席令第七号",
        "pla_measures_2000": "国务院、中央军事委员会令第290号",
        "assessment_measures_2007": "卫医发〔2007〕66号",
    }
    assert citations.PORTAL_HELP.document_no == ""


def test_the_1998_law_ends_when_the_2021_law_begins() -> None:
    old, new = citations.PRACTISING_PHYSICIANS_LAW, citations.PHYSICIANS_LAW
    assert (old.effective_from.isoformat(), old.effective_until.isoformat()) == ("1999-05-01", "2022-02-28")
    assert new.effective_from.isoformat() == "2022-03-01"
    assert old.in_force(new.effective_from - timedelta(days=1)) and not old.in_force(new.effective_from)
    assert citations.INTERIM_REGISTRATION_MEASURES.effective_until.isoformat() == "2017-03-31"


# -- rules dated by what they cite ----------------------------------------------------------------

RULES = sorted(BASE_POLICY.all_rules(), key=lambda r: (r.id, r.version))


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.id}@v{r.version}" for r in RULES])
def test_a_rule_is_in_force_only_while_every_instrument_it_cites_is(rule: Rule) -> None:
    for citation in rule.citations:
        instrument = citation.instrument
        assert rule.effective_from >= instrument.effective_from, citation
        assert instrument.effective_until is None or (
            rule.effective_until is not None and rule.effective_until <= instrument.effective_until)


@pytest.mark.parametrize("rule_id", BASE_POLICY.rule_ids())
def test_the_versions_of_a_rule_follow_each_other_and_reach_as_far_as_their_instruments(
        rule_id: str) -> None:
    versions = [r for r in RULES if r.id == rule_id]
    assert [r.version for r in versions] == list(range(1, len(versions) + 1))
    assert len({r.ref for r in versions}) == 1
    for earlier, later in pairwise(versions):
        assert earlier.effective_until == later.effective_from - timedelta(days=1)
    first, last = versions[0], versions[-1]
    assert first.effective_from == max(c.instrument.effective_from for c in first.citations)
    ends = [c.instrument.effective_until for c in last.citations]
    assert last.effective_until == (None if None in ends else min(ends))


def _instruments_in_force(on: date) -> set[str]:
    return {c["instrument"] for rule in export(BASE_POLICY, on)["rules"].values()
            for c in rule["citations"]}


def test_the_policy_as_of_2010_cites_only_what_was_in_force_in_2010() -> None:
    cited = _instruments_in_force(date(2010, 6, 1))
    assert cited == {"中华人民共和国执业医师法", "关于医师执业注册中执业范围的暂行规定",
                     "医师执业注册暂行办法", "中国人民解放军实施《执业医师法》办法"}
    for rule in BASE_POLICY.all_rules():
        if rule.in_force(date(2010, 6, 1)):
            assert all(c.instrument.in_force(date(2010, 6, 1)) for c in rule.citations)


@pytest.mark.parametrize("on", [date(2010, 6, 1), date(2017, 4, 1), date(2022, 2, 28),
                                date(2022, 3, 1), date(2026, 3, 2)])
def test_on_any_day_the_policy_cites_no_instrument_out_of_force(on: date) -> None:
    for rule in export(BASE_POLICY, on)["rules"].values():
        for citation in rule["citations"]:
            period = citation["in_force"]
            assert period["from"] <= on.isoformat() and (period["to"] is None
                                                        or on.isoformat() <= period["to"])
    assert ("中华人民共和国医师法" in _instruments_in_force(on)) == (on >= date(2022, 3, 1))
    assert ("中华人民共和国执业医师法" in _instruments_in_force(on)) == (on < date(2022, 3, 1))


def test_a_refusal_cites_the_law_of_the_application_date() -> None:
    assert [r.version for r in BASE_POLICY.all_rules() if r.id == FullCivilCapacity.id] == [1, 2, 3]
    in_2020 = [r for r in BASE_POLICY.all_rules()
               if r.id == FullCivilCapacity.id and r.in_force(date(2020, 1, 1))]
    assert [r.version for r in in_2020] == [2]
    assert [str(c) for c in in_2020[0].violation("x", "x").citations] == [
        "《中华人民共和国执业医师法》第十五条第一项", "《医师执业注册管理办法》第六条第一项"]


def test_overlapping_versions_of_one_rule_are_refused() -> None:
    class Overlapping(FullCivilCapacity):
        version = 4

    with pytest.raises(RuleDefinitionError, match="overlap"):
        BASE_POLICY.override("bad", add={next(iter(BASE_POLICY.rules)): (Overlapping(),)})
