"""``Physician.qualification``: the qualification a number names — its certificate number, or the
exam admission number while no certificate number is issued."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from mdreg.domain.identifiers import ResidentId
from mdreg.domain.model import Category, Level, Physician, Qualification

ID = ResidentId.parse("11010519491231002X")
NUMBERS = st.sampled_from(["", "Q1", "Q2", "110126010203", "110126010204"])


@st.composite
def qualifications(draw: st.DrawFn) -> Qualification:
    certificate = draw(NUMBERS)
    admission = draw(NUMBERS.filter(bool)) if not certificate else draw(NUMBERS)
    return Qualification(certificate, draw(st.sampled_from(Level)),
                         draw(st.sampled_from(Category)), date(2016, 9, 1),
                         admission_no=admission)


@given(st.lists(qualifications(), max_size=4), NUMBERS)
def test_the_number_names_the_first_qualification_it_matches(
        held: list[Qualification], number: str) -> None:
    physician = Physician("P1", "张三", ID, tuple(held))
    found = physician.qualification(number)
    matching = [q for q in held if q.matches(number)]
    assert found is (matching[0] if matching else None)
    if found is not None:
        assert number and number == (found.certificate_no or found.admission_no)


def test_an_admission_number_stops_naming_a_qualification_once_its_certificate_is_issued() -> None:
    pending = Qualification("", Level.ASSISTANT, Category.CLINICAL, date(2026, 9, 1),
                            admission_no="110126010203")
    issued = Qualification("Q1", Level.ASSISTANT, Category.CLINICAL, date(2026, 9, 1),
                           admission_no="110126010203")
    assert Physician("P1", "张三", ID, (pending,)).qualification("110126010203") is pending
    assert Physician("P1", "张三", ID, (issued,)).qualification("110126010203") is None
    assert Physician("P1", "张三", ID, (issued,)).qualification("Q1") is issued
    assert Physician("P1", "张三", ID, (pending,)).qualification("") is None
