"""Hypothesis strategies for mdreg's values: ID numbers, division codes, phones, qualifications.

>>> from hypothesis import given
>>> @given(resident_ids())
... def test_masked(rid):
...     assert rid.value not in repr(rid)
>>> test_masked()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from stdnum.cn import ric

from mdreg.domain.application import (
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    FilingRequest,
    MilitaryInRequest,
    MilitaryOutRequest,
    Payload,
    RegistrationRequest,
    UpgradeRequest,
)
from mdreg.domain.identifiers import DivisionCode, Phone, ResidentId
from mdreg.domain.model import (
    Category,
    HealthDepartment,
    Institution,
    InstitutionKind,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    practice_location,
)
from mdreg.rules.scope import SCOPES
from mdreg.testing.builders import chinese_name

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


def institutions(codes: Sequence[str] = COUNTY_CODES) -> st.SearchStrategy[Institution]:
    """Institutions in real county-level divisions, approved by that division's department."""
    return st.builds(
        lambda n, code, kind, auto: Institution(
            f"I{n:05d}", f"第{n}医院", DivisionCode(code), kind, f"D{code}", ("内科", "外科"), auto),
        st.integers(0, 99_999), st.sampled_from(codes), st.sampled_from(InstitutionKind),
        st.booleans(),
    )


def physicians(today: date = date(2026, 3, 2)) -> st.SearchStrategy[Physician]:
    """Physicians with one or two consistent qualifications and, sometimes, a record."""
    records = st.lists(st.builds(
        lambda kind, days: Record(kind, today - timedelta(days=days)),
        st.sampled_from(RecordKind), st.integers(1, 4000)), max_size=1)
    return st.builds(
        lambda n, rid, q, recs: Physician(f"P{n:06d}", chinese_name(n), rid, (q,), records=tuple(recs)),
        st.integers(0, 999_999), resident_ids(), qualifications(), records,
    )


@dataclass
class GeneratedRegistry:
    """Consistent reference data: every registration sits where its institution says."""

    departments: list[HealthDepartment] = field(default_factory=list)
    institutions: list[Institution] = field(default_factory=list)
    physicians: list[Physician] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)

    def load_into(self, registry: Any) -> None:
        """Load everything into a :class:`mdreg.Registry`."""
        registry.load(departments=self.departments, institutions=self.institutions,
                      physicians=self.physicians, registrations=self.registrations)


@st.composite
def registries(draw: st.DrawFn, max_physicians: int = 8) -> GeneratedRegistry:
    """Whole registries: departments, institutions, physicians, and registrations of some of them.

    A registration's location is its institution's province (执业医师) or county (助理医师), its
    category and scope follow the qualification, and no physician holds two at one location.
    """
    codes = draw(st.lists(st.sampled_from(COUNTY_CODES), min_size=1, max_size=4, unique=True))
    result = GeneratedRegistry(
        departments=[HealthDepartment(f"D{c}", f"{c}卫健委", DivisionCode(c)) for c in codes],
        institutions=[Institution(f"I{i:03d}", f"第{i}医院", DivisionCode(c), InstitutionKind.MEDICAL,
                                  f"D{c}", ("内科",)) for i, c in enumerate(codes)],
    )
    count = draw(st.integers(1, max_physicians))
    rids = draw(st.lists(resident_ids(), min_size=count, max_size=count,
                         unique_by=lambda r: r.value))
    for n, rid in enumerate(rids):
        qualification = draw(qualifications())
        physician = Physician(f"P{n:04d}", chinese_name(n), rid, (qualification,))
        result.physicians.append(physician)
        if draw(st.booleans()):
            institution = draw(st.sampled_from(result.institutions))
            result.registrations.append(Registration(
                f"R{n:04d}", physician.id, qualification.certificate_no, qualification.level,
                qualification.category, SCOPES[qualification.category][:1],
                practice_location(qualification.level, institution), institution.id,
                institution.approved_by, qualification.obtained_on, f"11{n:013d}"))
    return result


def applications(business: BusinessType, data: GeneratedRegistry, today: date = date(2026, 3, 2)
                 ) -> st.SearchStrategy[tuple[Physician, Payload]]:
    """(physician, payload) pairs of ``business`` that refer to things in ``data``."""
    def build(physician: Physician, institution: Institution, days: int) -> Payload | None:
        q = physician.qualifications[0]
        scopes = SCOPES[q.category][:1]
        held = [r for r in data.registrations if r.physician_id == physician.id]
        if business is BusinessType.REGISTRATION:
            return RegistrationRequest(institution.id, q.certificate_no, scopes)
        if business is BusinessType.MILITARY_IN:
            return MilitaryInRequest(institution.id, q.certificate_no, scopes, "军队证明",
                                     military_registered_on=q.obtained_on,
                                     military_practice_ended_on=today - timedelta(days=days))
        if not held:
            return None
        reg = held[0]
        makers: dict[BusinessType, Callable[[], Payload]] = {
            BusinessType.UPGRADE: lambda: UpgradeRequest(reg.id, q.certificate_no),
            BusinessType.MILITARY_OUT: lambda: MilitaryOutRequest(reg.id, "某部队"),
            BusinessType.CHANGE: lambda: ChangeRequest(reg.id, institution.id, reg.scopes),
            BusinessType.CANCELLATION: lambda: CancellationRequest(
                reg.id, CancellationGround.OWN_REQUEST, today - timedelta(days=days)),
            BusinessType.FILING: lambda: FilingRequest(
                reg.id, institution.id, reg.scopes, valid_from=today,
                valid_to=today + timedelta(days=days)),
        }
        maker = makers.get(business)
        return maker() if maker is not None else None

    pairs = st.tuples(st.sampled_from(data.physicians), st.sampled_from(data.institutions),
                      st.integers(0, 60))
    return pairs.map(lambda t: (t[0], build(*t))).filter(  # type: ignore[return-value]
        lambda pair: pair[1] is not None)


def invalid_id_numbers() -> st.SearchStrategy[str]:
    """Strings that are not valid ID numbers: one digit changed, wrong length, bad date."""
    def mutate(rid: ResidentId, position: int, shift: int) -> str:
        digit = (int(rid.value[position]) + shift) % 10
        return rid.value[:position] + str(digit) + rid.value[position + 1:]

    return (st.builds(mutate, resident_ids(), st.integers(0, 16), st.integers(1, 9))
            | st.from_regex(r"\A[0-9]{1,16}\Z") | st.just("110105199102300011"))
