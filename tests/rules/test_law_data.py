"""Law data: the instruments' document numbers and periods, rules dated by what they cite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mdreg.rules import citations
from mdreg.rules.citations import ALL, BY_KEY


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
