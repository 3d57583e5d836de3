"""Reference data in a few lines: departments, institutions and physicians for tests and demos.

>>> import mdreg
>>> from mdreg.testing import World
>>> world = World(mdreg.open("memory://", ids=mdreg.SequentialIds()))
>>> hospital = world.institution("110105")
>>> doctor = world.physician()
>>> hospital.division, world.registry.institution(hospital.id).approved_by
(DivisionCode('110105'), 'D110105')
"""

from __future__ import annotations

from datetime import date
from itertools import count

from stdnum.cn import ric

from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Category,
    CivilCapacity,
    HealthDepartment,
    Institution,
    InstitutionKind,
    Level,
    Physician,
    Qualification,
    Record,
)
from mdreg.service.registry import Registry


def make_id_number(region: str, born: date, sequence: int) -> ResidentId:
    """A valid resident ID number for ``region`` (6 digits), birth date and sequence (0–999)."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return ResidentId.parse(body + ric.calc_check_digit(body + "0"))


class World:
    """Adds reference data to a registry with sensible defaults; every call commits."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._n = count(1)

    def department(self, code: str, name: str = "") -> HealthDepartment:
        """The health department of division ``code`` (created once, id ``D<code>``)."""
        division = DivisionCode(code)
        department = HealthDepartment(f"D{code}", name or f"{code}卫生健康委员会", division)
        self.registry.load(departments=[department])
        return department

    def institution(
        self,
        code: str,
        *,
        kind: InstitutionKind = InstitutionKind.MEDICAL,
        approved_by: str = "",
        departments: tuple[str, ...] = ("内科", "外科"),
        auto_activation: bool = False,
    ) -> Institution:
        """An institution in division ``code``, approved by that division's department."""
        department = approved_by or self.department(code).id
        n = next(self._n)
        institution = Institution(
            f"I{n:05d}", f"第{n}医院", DivisionCode(code), kind, department, departments,
            auto_activation,
        )
        self.registry.load(institutions=[institution])
        return institution

    def physician(
        self,
        *,
        level: Level = Level.PHYSICIAN,
        category: Category = Category.CLINICAL,
        qualified_on: date = date(2025, 9, 1),
        records: tuple[Record, ...] = (),
        civil_capacity: CivilCapacity = CivilCapacity.FULL,
        extra_qualifications: tuple[Qualification, ...] = (),
        born: date = date(1995, 5, 17),
        name: str = "",
    ) -> Physician:
        """A physician with one qualification ``Q<id>`` (plus any extra ones)."""
        n = next(self._n)
        physician = Physician(
            id=f"P{n:06d}",
            name=name or f"医师{n}",
            id_number=make_id_number("110105", born, n % 1000),
            qualifications=(
                Qualification(f"Q{n:06d}", level, category, qualified_on),
                *extra_qualifications,
            ),
            civil_capacity=civil_capacity,
            records=records,
        )
        self.registry.load(physicians=[physician])
        return physician
