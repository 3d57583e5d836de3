"""A synthetic province on real division codes: departments, institutions, physicians.

Division codes and names come from the GB/T 2260 table shipped with python-stdnum; only codes
still in use are taken. Everything else is generated from a seeded random source, so the same
seed gives the same province.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import stdnum
from stdnum.cn import ric

from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Category,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
)

_RETIRED = re.compile(r"\[\d{4}-\d{4}\]|\[-\d{4}\]")
DEPARTMENTS = ("内科", "外科", "妇产科", "儿科", "急诊科", "全科医学科", "口腔科", "中医科", "预防保健科")
SCOPE_BY_CATEGORY = {
    Category.CLINICAL: ("内科专业", "外科专业", "妇产科专业", "儿科专业", "全科医学专业", "急救医学专业"),
    Category.TCM: ("中医专业", "中西医结合专业"),
    Category.DENTAL: ("口腔专业",),
    Category.PUBLIC_HEALTH: ("公共卫生类别专业",),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅飞斌宇浩凯健俊帆"


@cache
def current_counties(province: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every county-level division of ``province`` (``PP0000``) still in use."""
    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    found: list[tuple[str, str]] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" "):
            inside = line.startswith(province[:2] + " ")
            continue
        if not inside:
            continue
        code, _, rest = line.strip().partition(" ")
        name = rest.split('"')[1] if '"' in rest else ""
        full = province[:2] + code
        if _RETIRED.search(name) or "市辖区" in name or full.endswith("00"):
            continue
        found.append((full, re.sub(r"^\[\d{4}-\]", "", name)))
    return tuple(found)


@dataclass
class Province:
    """The generated reference data, ready for :meth:`mdreg.Registry.load`."""

    code: str
    departments: list[HealthDepartment] = field(default_factory=list)
    institutions: list[Institution] = field(default_factory=list)
    physicians: list[Physician] = field(default_factory=list)
    legacy: list[LegacySite] = field(default_factory=list)


def _id_number(rng: random.Random, region: str, serial: int,
               taken: set[str] | None = None) -> ResidentId:
    """A resident ID number born in ``region`` on a random day of 1960–1999, its sequence
    ``serial`` (the last three digits). A number already in ``taken`` (the province's, a large
    one has some twice) moves to the next day until it is new; ``taken`` gains it."""
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
    while True:
        body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if taken is None or number not in taken:
            break
        born += timedelta(days=1)
    if taken is not None:
        taken.add(number)
    return ResidentId.parse(number)


def _records(rng: random.Random, today: date) -> tuple[Record, ...]:
    """A small share of physicians carry a refusal ground, so some applications fail on purpose."""
    roll = rng.random()
    if roll < 0.02:
        return (Record(RecordKind.CRIMINAL_SENTENCE, today - timedelta(days=900),
                       today - timedelta(days=200)),)
    if roll < 0.04:
        return (Record(RecordKind.CERTIFICATE_REVOKED, today - timedelta(days=300)),)
    if roll < 0.05:
        return (Record(RecordKind.EXAM_CHEATING, today - timedelta(days=2000)),)
    return ()


def _physician(rng: random.Random, n: int, region: str, today: date,
               taken: set[str] | None = None) -> Physician:
    level = Level.ASSISTANT if rng.random() < 0.2 else Level.PHYSICIAN
    category = rng.choices(list(Category), weights=(70, 15, 10, 5))[0]
    obtained = today - timedelta(days=rng.choice((120, 400, 700, 1200)))
    qualifications = [Qualification(f"{obtained.year}{n:08d}{level.value[:1].upper()}", level,
                                    category, obtained)]
    if level is Level.ASSISTANT and rng.random() < 0.3:  # later passed the 执业医师 exam
        qualifications.append(Qualification(f"{today.year}{n:08d}U", Level.PHYSICIAN, category,
                                            today - timedelta(days=60)))
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
    return Physician(f"P{n:07d}", name, _id_number(rng, region, n, taken), tuple(qualifications),
                     records=_records(rng, today))


def generate(province: str, physicians: int, seed: int, today: date) -> Province:
    """A province with one department per county (plus the province's), institutions and staff."""
    rng = random.Random(seed)  # noqa: S311 - simulation data, not secrets
    counties = list(current_counties(province))
    rng.shuffle(counties)
    counties = counties[: max(3, min(len(counties), physicians // 40 + 3))]
    result = Province(province)
    result.departments.append(HealthDepartment(f"D{province}", f"{province}卫生健康委员会",
                                               DivisionCode(province)))
    for code, name in counties:
        result.departments.append(HealthDepartment(f"D{code}", f"{name}卫生健康局",
                                                   DivisionCode(code)))
    for n in range(max(4, physicians // 15)):
        code, name = counties[n % len(counties)]
        kind = InstitutionKind.PREVENTION if n % 9 == 8 else InstitutionKind.MEDICAL
        label = "疾病预防控制中心" if kind is InstitutionKind.PREVENTION else "人民医院"
        approved_by = f"D{province}" if n % 7 == 0 else f"D{code}"
        result.institutions.append(Institution(
            f"I{n:05d}", f"{name}第{n + 1}{label}", DivisionCode(code), kind, approved_by,
            tuple(rng.sample(DEPARTMENTS, 4)), auto_activation=rng.random() < 0.3,
        ))
    taken: set[str] = set()  # ID numbers given out: each physician's is their own
    for n in range(physicians):
        result.physicians.append(_physician(rng, n, counties[n % len(counties)][0], today,
                                            taken))
    return result
