"""Hypothesis strategies for mdreg's values: ID numbers, division codes, phones, qualifications.

>>> from hypothesis import given
>>> @given(resident_ids())
... def test_masked(rid):
...     assert rid.value not in repr(rid)
>>> test_masked()
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st
from stdnum.cn import ric

from mdreg.domain.identifiers import DivisionCode, Phone, ResidentId
from mdreg.domain.model import Category, Level, Qualification

#: Real county-level codes from several provinces (incl. cities without counties).
COUNTY_CODES = (
    "110105", "110108", "310104", "310115", "440106", "441900", "442000", "460400",
    "620200", "429004", "510104", "330106", "360426", "120103", "230306",
)


def division_codes() -> st.SearchStrategy[DivisionCode]:
    """Syntactically valid codes of every level (province part 11–65)."""
    province = st.integers(11, 65).map(lambda p: f"{p:02d}")
    tail = st.sampled_from(["0000"]) | st.integers(1, 99).map(lambda c: f"{c:02d}00") | st.integers(
        1, 9999
    ).map(lambda c: f"{c:04d}")
    return st.builds(lambda p, t: DivisionCode(p + t), province, tail)


def county_codes() -> st.SearchStrategy[DivisionCode]:
    """Real county-level codes."""
    return st.sampled_from(COUNTY_CODES).map(DivisionCode)


def id_bodies() -> st.SearchStrategy[str]:
    """The first 17 characters of a valid ID number: region, birth date, sequence."""
    return st.builds(
        lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
        st.sampled_from(COUNTY_CODES),
        st.dates(date(1900, 1, 1), date(2026, 11, 1)),
        st.integers(0, 999),
    )


def resident_ids() -> st.SearchStrategy[ResidentId]:
    """Valid resident ID numbers (GB 11643 check digit computed)."""
    return id_bodies().map(lambda body: ResidentId.parse(body + ric.calc_check_digit(body + "0")))


def phones() -> st.SearchStrategy[Phone]:
    """Mainland mobile numbers on common prefixes."""
    prefixes = st.sampled_from(["130", "135", "138", "139", "150", "158", "186", "188", "199"])
    return st.builds(lambda p, n: Phone.parse(f"{p}{n:08d}"), prefixes, st.integers(0, 99_999_999))


def qualifications(
    level: Level | None = None, category: Category | None = None
) -> st.SearchStrategy[Qualification]:
    """Qualifications with opaque certificate numbers."""
    return st.builds(
        Qualification,
        certificate_no=st.from_regex(r"\A[0-9]{15,27}\Z"),
        level=st.just(level) if level else st.sampled_from(Level),
        category=st.just(category) if category else st.sampled_from(Category),
        obtained_on=st.dates(date(1999, 5, 1), date(2026, 11, 1)),
    )
