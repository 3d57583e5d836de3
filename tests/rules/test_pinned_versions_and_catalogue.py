"""The dated versions of a rule, and the catalogue's entries, as the generated pages read them."""

from __future__ import annotations

import json

from mdreg.domain.model import Category
from mdreg.rules.catalogue import ENTRIES
from mdreg.rules.export import export
from mdreg.rules.refusal import CriminalPunishment
from mdreg.rules.versions import before_2022


def test_a_dated_version_is_a_class_of_the_rule_s_module_named_after_it() -> None:
    first, second = before_2022(CriminalPunishment, "第十五条第二项", "第六条第二项")
    for rule, version in ((first, 1), (second, 2)):
        cls = type(rule)
        assert issubclass(cls, CriminalPunishment) and rule.version == version
        assert cls.__module__ == "mdreg.rules.refusal"
        assert cls.__name__ == cls.__qualname__ == f"CriminalPunishmentV{version}"
    assert type(first).__doc__ == (
        "CriminalPunishment, version 1: 《中华人民共和国执业医师法》第十五条第二项.")
    assert type(second).__doc__ == (
        "CriminalPunishment, version 2: 《中华人民共和国执业医师法》第十五条第二项; "
        "《医师执业注册管理办法》第六条第二项.")


def test_every_catalogue_entry_names_its_section_and_has_text_for_a_note() -> None:
    first = ENTRIES[0]
    assert (first.ref, first.section) == ("R-ID-1", "Identity and formats")
    assert all(isinstance(e.section, str) and e.section for e in ENTRIES)
    assert all(isinstance(e.note, str) for e in ENTRIES)
    own = [e for e in ENTRIES if e.supplement]
    assert own and all(e.section == "mdreg's own numbers" for e in own)


def test_dated_versions_cite_the_articles_with_their_sources() -> None:
    first, second = before_2022(CriminalPunishment, "第十五条第二项", "第六条第二项")
    assert [(c.instrument.key, c.article, c.source) for c in first.citations] == [
        ("practising_physicians_law_1998", "第十五条第二项", "S2")]
    assert [(c.instrument.key, c.article, c.source) for c in second.citations] == [
        ("practising_physicians_law_1998", "第十五条第二项", "S2"),
        ("registration_measures_2017", "第六条第二项", "S3")]


def test_an_exported_mapping_parameter_keeps_its_keys_as_text_and_its_values_as_lists() -> None:
    from mdreg.workflows import BASE_POLICY

    province = BASE_POLICY.with_changes(
        "province", extra_scopes={Category.CLINICAL: ("全科医学专业", "重症医学专业"),
                                  7: frozenset({"急救医学专业"})})
    data = export(province)
    assert data["parameters"]["extra_scopes"] == {
        "clinical": ["全科医学专业", "重症医学专业"], "7": ["急救医学专业"]}
    assert json.loads(json.dumps(data))["parameters"] == data["parameters"]
