"""The numbered-rule catalogue: all 70 numbers, every rule's ref listed, implementations that exist."""

from __future__ import annotations

import importlib
from collections import Counter

import pytest

from mdreg.reference import domain_catalogue
from mdreg.rules.catalogue import ENTRIES, Status, by_ref, counts, implementing_rules
from mdreg.workflows import BASE_POLICY

#: How many numbers each prefix of the numbered list has (R-ID-1 … R-AST-1: 70).
NUMBERED = {"R-ID": 6, "R-DIV": 2, "R-PHONE": 1, "R-ACC": 5, "R-INFO": 2, "R-PHOTO": 1,
            "R-DEPT": 1, "R-LOC": 8, "R-REG": 10, "R-DL": 5, "R-CHG": 3, "R-SCOPE": 2, "R-UPG": 2,
            "R-MIL": 2, "R-CAN": 7, "R-FIL": 2, "R-LEG": 1, "R-OFF": 1, "R-APP": 3, "R-ASM": 4,
            "R-IND": 1, "R-AST": 1}
RULES = implementing_rules(BASE_POLICY.all_rules())


def resolve(dotted: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_catalogue_holds_the_70_numbered_rules_once_each() -> None:
    numbered = [e.ref for e in ENTRIES if not e.supplement]
    expected = [f"{prefix}-{n}" for prefix, count in NUMBERED.items() for n in range(1, count + 1)]
    assert numbered == expected and len(numbered) == 70
    assert len({e.ref for e in ENTRIES}) == len(ENTRIES)
    assert [e.ref for e in ENTRIES if e.supplement] == ["R-FIL-3", "R-FIL-4", "R-MIL-3"]


def test_every_rule_ref_in_the_code_is_a_catalogue_entry() -> None:
    refs = {r.ref for r in BASE_POLICY.all_rules()}
    assert "" not in refs
    assert refs - {e.ref for e in ENTRIES} == set()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.ref for e in ENTRIES])
def test_an_entry_names_what_implements_it_and_says_what_is_missing(entry) -> None:
    implementations = [*RULES.get(entry.ref, ()), *entry.modules]
    for dotted in entry.modules:
        assert resolve(dotted) is not None
    if entry.status in (Status.IMPLEMENTED, Status.PARTIAL):
        assert implementations, f"{entry.ref} is {entry.status.value} but names nothing"
    else:
        assert not implementations
    assert bool(entry.note) == (entry.status is not Status.IMPLEMENTED)
    assert entry.statement and entry.tag


def test_the_status_counts_and_the_generated_page() -> None:
    assert sum(counts().values()) == 70 and counts()[Status.IMPLEMENTED] > 50
    assert Counter(e.status for e in ENTRIES if e.supplement) == {Status.IMPLEMENTED: 3}
    page = domain_catalogue()
    assert all(f"| {e.ref} |" in page for e in ENTRIES)
    assert "| R-REG-2 | 注册 is refused without full civil capacity | [V] | 已实现 implemented | " \
           "`refusal.civil_capacity` |" in page
    assert by_ref("R-ACC-2").status is Status.IMPLEMENTED and RULES["R-ACC-2"] == ("account.active",)
