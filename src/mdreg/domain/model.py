"""登记簿 — the registry's entities: physicians, qualifications, institutions, registrations.

Entities are frozen attrs classes; a change produces a new value (``attrs.evolve``), so a
unit of work can hold pending changes beside the committed ones and roll back by dropping them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs

from mdreg.domain.identifiers import DivisionCode, ResidentId, mask
from mdreg.domain.identifiers import Level as AdministrativeLevel
from mdreg.errors import ValidationError

_LEVELS = ("province", "prefecture", "county")


def _administrative_level(_: object, __: object, value: object) -> None:
    if value is not None and value not in _LEVELS:
        raise ValidationError("administrative_level", f"one of {', '.join(_LEVELS)}",
                              field_label="机构行政级别")


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a Chinese label: ``Member = ("value", "标签")``."""

    label: str

    def __new__(cls, value: str, label: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return str(self.value)


class Level(LabelledEnum):
    """医师级别."""

    PHYSICIAN = ("physician", "执业医师")
    ASSISTANT = ("assistant", "执业助理医师")


class Category(LabelledEnum):
    """执业类别 (2017 measures Art 7)."""

    CLINICAL = ("clinical", "临床")
    TCM = ("tcm", "中医")
    DENTAL = ("dental", "口腔")
    PUBLIC_HEALTH = ("public_health", "公共卫生")


class InstitutionKind(LabelledEnum):
    """Kind of institution; it decides who approves a registration (2017 Art 9).

    ``INDIVIDUAL_CLINIC`` is a clinic an individual physician runs (医师个体行医, 医师法 Art 20),
    a medical institution approved like any other; a 注册 or 变更 that names one as primary
    institution is read as the registrant's 个体行医 (R-IND-1, R-AST-1).
    """

    MEDICAL = ("medical", "医疗机构")
    PREVENTION = ("prevention", "预防机构")
    HEALTH_CARE = ("health_care", "保健机构")
    INDIVIDUAL_CLINIC = ("individual_clinic", "个体诊所")


class CivilCapacity(LabelledEnum):
    """民事行为能力."""

    FULL = ("full", "完全民事行为能力")
    LIMITED = ("limited", "限制民事行为能力")
    NONE = ("none", "无民事行为能力")


class RecordKind(LabelledEnum):
    """Facts on a physician's record that refusal grounds look at (医师法 Art 16).

    ``PRACTICE_SUSPENDED`` is 中止医师执业活动: the physician stopped practising (医师法
    Arts 17(5), 19). ``ASSESSMENT_SUSPENSION`` is 暂停执业活动, the 3–6 months a department
    orders after a failed periodic assessment (Art 42). mdreg wrote a failed assessment's
    suspension as ``practice_suspended`` before it told the two apart; such stored records
    still load, and one that starts on the day of a failed assessment is read as that
    assessment's suspension (:mod:`mdreg.domain.assessment`).
    """

    CRIMINAL_SENTENCE = ("criminal_sentence", "受刑事处罚")
    PRACTICE_BAN = ("practice_ban", "被禁止从事医师职业")
    CERTIFICATE_REVOKED = ("certificate_revoked", "被吊销医师执业证书")
    CANCELLED_FAILED_ASSESSMENT = ("cancelled_failed_assessment", "因考核不合格被注销注册")
    EXAM_CHEATING = ("exam_cheating", "参与有组织作弊")
    FORGED_QUALIFICATION = ("forged_qualification", "以伪造或他人资格注册")
    PRACTICE_SUSPENDED = ("practice_suspended", "中止医师执业活动")
    ASSESSMENT_SUSPENSION = ("assessment_suspension", "定期考核不合格暂停执业活动")
    REGISTRATION_REVOKED = ("registration_revoked", "以不正当手段取得注册被撤销")


class RegistrationStatus(LabelledEnum):
    """Status of a practice registration (官方 FAQ: 有效 / 备案 / 注销); ``REVOKED``: the
    granting department rescinded it as obtained by improper means (撤销, 医师法 Art 54)."""

    VALID = ("valid", "有效")
    FILED = ("filed", "备案")
    CANCELLED = ("cancelled", "注销")
    INVALID = ("invalid", "失效")
    MILITARY = ("military", "变更到军队")
    REVOKED = ("revoked", "撤销")


@attrs.frozen
class Qualification:
    """医师资格: what the national exam (or assessment) granted. Never edited by portal changes.

    ``special_skills``: a 中医（专长）医师资格 obtained by the practical assessment of 医师法
    Art 11 para 2 rather than the exam; its holder may practise alone at once (Art 20).
    ``admission_no``: the exam admission number (准考证号), by which a new qualification holder
    is known until the certificate number is issued (``certificate_no`` empty meanwhile);
    masked in ``repr``.

    >>> q = Qualification("", Level.PHYSICIAN, Category.CLINICAL, date(2026, 9, 1),
    ...                   admission_no="110126010203")
    >>> q.number, q.matches("110126010203"), "110126010203" in repr(q), "0203" in repr(q)
    ('110126010203', True, False, True)
    """

    certificate_no: str
    level: Level
    category: Category
    obtained_on: date
    special_skills: bool = False
    admission_no: str = attrs.field(default="", repr=lambda v: repr(mask(v)))

    def __attrs_post_init__(self) -> None:
        if not self.certificate_no and not self.admission_no:
            raise ValidationError("certificate_no", "a qualification has a certificate number "
                                  "or, until it is issued, an exam admission number",
                                  field_label="资格证书编码")

    @property
    def number(self) -> str:
        """The number it is known by now: the certificate's, else the admission number."""
        return self.certificate_no or self.admission_no

    def matches(self, number: str) -> bool:
        """Whether ``number`` names this qualification: its certificate number, or its exam
        admission number while no certificate number is issued."""
        return bool(number) and number == self.number


@attrs.frozen
class Record:
    """A dated fact on a physician's record; ``until`` is the end (sentence served, ban lifted)."""

    kind: RecordKind
    on: date
    until: date | None = None


@attrs.frozen
class Physician:
    """医师: keyed by an internal id; the resident ID number is personal data (masked in repr)."""

    id: str
    name: str = attrs.field(repr=lambda n: n[:1] + "*" * (len(n) - 1))
    id_number: ResidentId
    qualifications: tuple[Qualification, ...] = ()
    civil_capacity: CivilCapacity = CivilCapacity.FULL
    records: tuple[Record, ...] = ()

    def qualification(self, number: str) -> Qualification | None:
        """The qualification this number names (its certificate number, or the exam admission
        number while none is issued), if the physician holds it."""
        for held in self.qualifications:  # a loop: the rules ask several times per check
            if held.matches(number):
                return held
        return None


@attrs.frozen
class HealthDepartment:
    """卫生健康主管部门, identified by its division code (county level and above decide)."""

    id: str
    name: str
    division: DivisionCode


@attrs.frozen
class Institution:
    """医疗、预防、保健机构 with the department that approved its practice licence.

    ``administrative_level`` is the institution's own level (省级 ``province``, 地市级
    ``prefecture``, 县级 ``county``): a provincial centre for disease control sits in a district
    but is a province-level institution. ``None`` (the default) takes the level of its division.
    """

    id: str
    name: str
    division: DivisionCode
    kind: InstitutionKind
    approved_by: str
    departments: tuple[str, ...] = ()
    auto_activation: bool = False
    administrative_level: AdministrativeLevel | None = attrs.field(
        default=None, validator=_administrative_level)

    @property
    def level(self) -> AdministrativeLevel:
        """The institution's administrative level (its division's when not given)."""
        return self.administrative_level or self.division.level

    @property
    def seat(self) -> DivisionCode:
        """The division at the institution's own level: its department is the 同级 department
        (医师执业注册管理办法 Art 9, for prevention institutions).

        >>> from mdreg.domain.identifiers import DivisionCode
        >>> cdc = Institution("I1", "某省疾控中心", DivisionCode("110105"),
        ...                   InstitutionKind.PREVENTION, "D110000", administrative_level="province")
        >>> cdc.seat, cdc.level
        (DivisionCode('110000'), 'province')
        """
        level = self.level
        if level == "province":
            return self.division.province
        return self.division.prefecture if level == "prefecture" else self.division


def practice_location(level: Level, institution: Institution) -> DivisionCode:
    """执业地点: the institution's province for 执业医师, its county for 执业助理医师 (2017 Art 7).

    >>> from mdreg.domain.identifiers import DivisionCode
    >>> inst = Institution("I1", "某医院", DivisionCode("110105"), InstitutionKind.MEDICAL, "D1")
    >>> practice_location(Level.PHYSICIAN, inst), practice_location(Level.ASSISTANT, inst)
    (DivisionCode('110000'), DivisionCode('110105'))
    """
    return institution.division.province if level is Level.PHYSICIAN else institution.division


@attrs.frozen
class Registration:
    """执业注册: one row per practice location, with exactly one primary institution.

    ``approved_on`` is the day of the latest decision on it (审核日期: the 注册, then each
    变更); ``registered_on`` keeps the day it was first granted once a 变更 has moved
    ``approved_on`` (``None`` until then: :attr:`granted_on` reads ``approved_on``).
    """

    id: str
    physician_id: str
    qualification_no: str
    level: Level
    category: Category
    scopes: tuple[str, ...]
    location: DivisionCode
    primary_institution_id: str
    approved_by: str
    approved_on: date
    certificate_no: str
    status: RegistrationStatus = RegistrationStatus.VALID
    ended_on: date | None = None
    application_id: str | None = None
    filed_on: date | None = None
    registered_on: date | None = None

    @property
    def is_valid(self) -> bool:
        return self.status is RegistrationStatus.VALID

    @property
    def granted_on(self) -> date:
        """The day the registration was first granted (注册日期)."""
        return self.registered_on or self.approved_on

    @property
    def practised_until(self) -> date | None:
        """The day practice under it ended — filed (备案) or ended, whichever came first —
        or ``None`` while it is valid."""
        ends = [day for day in (self.filed_on, self.ended_on) if day is not None]
        return min(ends) if ends and not self.is_valid else None


def practice_periods(registrations: Iterable[Registration], until: date
                     ) -> tuple[tuple[date, date], ...]:
    """The periods, first and last day, in which the physician held a registration in force
    (granted → filed or ended), merged where they touch or overlap and cut at ``until``.

    >>> from mdreg.domain.identifiers import DivisionCode
    >>> def row(n: str, on: date, ended: date | None = None) -> Registration:
    ...     status = RegistrationStatus.VALID if ended is None else RegistrationStatus.CANCELLED
    ...     return Registration(n, "P", "Q", Level.PHYSICIAN, Category.CLINICAL, ("内科专业",),
    ...                         DivisionCode("110000"), "I", "D", on, n, status, ended)
    >>> periods = practice_periods([row("R1", date(2010, 3, 1), date(2012, 3, 1)),
    ...                             row("R2", date(2011, 1, 1), date(2013, 1, 1)),
    ...                             row("R3", date(2020, 1, 1))], date(2026, 1, 1))
    >>> [(start.isoformat(), end.isoformat()) for start, end in periods]
    [('2010-03-01', '2013-01-01'), ('2020-01-01', '2026-01-01')]
    """
    return merged_periods((r.granted_on, min(r.practised_until or until, until))
                          for r in registrations if r.granted_on <= until)


def merged_periods(spans: Iterable[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """Periods (first and last day) merged where they touch or overlap, oldest first; an
    empty one (ending before it starts) is dropped."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start <= end:
            merged.append((start, end))
    return tuple(merged)


class FilingStatus(LabelledEnum):
    """Status of a 多执业机构备案."""

    ACTIVE = ("active", "有效")
    CANCELLED = ("cancelled", "已取消")
    INVALID = ("invalid", "失效")
    EXPIRED = ("expired", "已到期")


@attrs.frozen
class Filing:
    """多执业机构备案: another institution in the registration's practice location (2017 Art 10)."""

    id: str
    registration_id: str
    physician_id: str
    institution_id: str
    scopes: tuple[str, ...]
    valid_from: date
    valid_to: date
    approved_by: str
    status: FilingStatus = FilingStatus.ACTIVE
    ended_on: date | None = None
    application_id: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status is FilingStatus.ACTIVE

    def lapsed_on(self, day: date) -> bool:
        """Still recorded active, but its period ended before ``day``: it no longer counts
        (a new filing at the institution may be made) and is closed as ``expired``."""
        return self.is_active and self.valid_to < day


@attrs.frozen
class LegacySite:
    """多地点执业: a record from the old multi-site regime; listed and cancelled, never created."""

    id: str
    physician_id: str
    registration_id: str
    institution_id: str
    started_on: date
    status: FilingStatus = FilingStatus.ACTIVE
    ended_on: date | None = None

    @property
    def is_active(self) -> bool:
        return self.status is FilingStatus.ACTIVE
