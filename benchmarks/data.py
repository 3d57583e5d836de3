"""A synthetic registry of any size, deterministic, fast to generate.

N physicians and about 1.2 N registrations: every physician holds one valid registration at an
institution of the home province (浙江, 330000) — at the province for 执业医师, at the county for
执业助理医师 — and one in five also has a second, ended registration (cancelled, at an
institution in 上海). Division codes are real county codes; resident ID numbers are valid (GB
11643 check digit, real birth dates) and unique.

ID numbers are built with their check digit rather than parsed one by one: ``ResidentId.parse``
(≈ 25 µs) would double the generation time of a million-physician registry, and these values are
valid by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from stdnum.cn import ric

from mdreg.domain.identifiers import DivisionCode, ResidentId
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
    RegistrationStatus,
)
from mdreg.simulation.province import current_counties

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing
TODAY = date(2026, 3, 2)
HOME, OTHER = "330000", "310000"
SCOPES = {Category.CLINICAL: ("内科专业", "外科专业", "儿科专业"), Category.TCM: ("中医专业",),
          Category.DENTAL: ("口腔专业",)}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


@dataclass
class Registry:
    """Reference data, ready for ``Registry.import_registry`` or ``load``."""

    departments: list[HealthDepartment] = field(default_factory=list)
    institutions: list[Institution] = field(default_factory=list)
    physicians: list[Physician] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)

    @property
    def home_institutions(self) -> list[Institution]:
        return [i for i in self.institutions if i.division.code.startswith(HOME[:2])]

    @property
    def other_institutions(self) -> list[Institution]:
        return [i for i in self.institutions if i.division.code.startswith(OTHER[:2])]

    def rows(self) -> int:
        return (len(self.departments) + len(self.institutions) + len(self.physicians)
                + len(self.registrations))


def _id_number(region: str, serial: int) -> ResidentId:
    born = date(1960, 1, 1) + timedelta(days=serial // 1000)
    body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return ResidentId(body + ric.calc_check_digit(body + "0"))


def generate(physicians: int, seed: int = 1, *, qualified_on: date | None = None,
             first_registration: bool = True) -> Registry:
    """A registry of ``physicians`` physicians (see the module docstring).

    ``qualified_on`` fixes every qualification date (otherwise 1–20 years ago);
    ``first_registration=False`` leaves out the valid home registration, so every physician
    may apply for one (their only registration is then the ended one, or none).
    """
    rng = random.Random(seed)  # synthetic data, not secrets
    home = [c for c, _ in current_counties(HOME)]
    other = [c for c, _ in current_counties(OTHER)]
    result = Registry()
    for province, counties in ((HOME, home), (OTHER, other)):
        result.departments.append(HealthDepartment(f"D{province}", f"{province}卫生健康委员会",
                                                   DivisionCode(province)))
        result.departments.extend(HealthDepartment(f"D{c}", f"{c}卫生健康局", DivisionCode(c))
                                  for c in counties)
    count = max(8, physicians // 50)
    for n in range(count):
        counties, province = (home, HOME) if n % 10 else (other, OTHER)
        code = counties[n % len(counties)]
        approved_by = f"D{province}" if n % 7 == 0 else f"D{code}"
        result.institutions.append(Institution(
            f"I{n:06d}", f"第{n + 1}人民医院", DivisionCode(code), InstitutionKind.MEDICAL,
            approved_by, ("内科", "外科"), auto_activation=n % 3 == 0))
    homes, others = result.home_institutions, result.other_institutions
    for n in range(physicians):
        level = Level.ASSISTANT if rng.random() < 0.2 else Level.PHYSICIAN
        category = rng.choices((Category.CLINICAL, Category.TCM, Category.DENTAL), (80, 12, 8))[0]
        obtained = qualified_on or TODAY - timedelta(days=rng.randrange(365, 7300))
        qualification = Qualification(f"{obtained.year}{n:08d}{level.value[0].upper()}", level,
                                      category, obtained)
        records = ((Record(RecordKind.PRACTICE_SUSPENDED, TODAY - timedelta(days=900),
                           TODAY - timedelta(days=400)),) if rng.random() < 0.02 else ())
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if n % 2 else "")
        physician = Physician(f"P{n:07d}", name, _id_number(home[n % len(home)], n),
                              (qualification,), records=records)
        result.physicians.append(physician)
        scopes = SCOPES[category][:1]
        if first_registration:
            institution = homes[rng.randrange(len(homes))]
            location = (institution.division.province if level is Level.PHYSICIAN
                        else institution.division)
            result.registrations.append(Registration(
                f"R{n:07d}", physician.id, qualification.certificate_no, level, category, scopes,
                location, institution.id, institution.approved_by,
                TODAY - timedelta(days=rng.randrange(30, 3000)), f"33{n:013d}"))
        if n % 5 == 0:
            institution = others[rng.randrange(len(others))]
            result.registrations.append(Registration(
                f"R{n:07d}X", physician.id, qualification.certificate_no, level, category, scopes,
                institution.division.province if level is Level.PHYSICIAN
                else institution.division, institution.id, institution.approved_by,
                TODAY - timedelta(days=4000), f"31{n:013d}", RegistrationStatus.CANCELLED,
                TODAY - timedelta(days=rng.randrange(400, 2000))))
    return result
