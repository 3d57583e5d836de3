"""执业地点 — practice locations and primary institutions.

Legal basis: 医师执业注册管理办法 Arts 7, 10, 17; the personal portal's help page (执业医师可以在不同
省份同时注册执业地点。一个执业地点下，有并且只有一个主要执业机构).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import ChangeRequest, MilitaryInRequest, RegistrationRequest
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import Level, Registration, practice_location
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PORTAL_HELP, REGISTRATION_MEASURES
from mdreg.rules.scope import ScopedRequest


def overlaps(a: DivisionCode, b: DivisionCode) -> bool:
    """Whether two practice locations share ground (one contains the other)."""
    return a.contains(b) or b.contains(a)


def intended_location(ctx: EligibilityContext[ScopedRequest]) -> DivisionCode | None:
    """The practice location the application would create, if the qualification is known."""
    qualification = ctx.qualification_named(ctx.payload.qualification_no)
    if qualification is None:
        return None
    return practice_location(qualification.level, ctx.institution)


def requested_level(ctx: EligibilityContext[ScopedRequest]) -> Level | None:
    """The level of the registration asked for: the qualification's, else the target's (变更)."""
    payload = ctx.payload
    qualification = ctx.qualification_named(payload.qualification_no)
    if qualification is not None:
        return qualification.level
    if isinstance(payload, ChangeRequest):
        target = ctx.registration_named(payload.registration_id)
        return target.level if target is not None else None
    return None


class AssistantCountyLocation(Rule[ScopedRequest]):
    """执业助理医师的执业地点为机构所在的县级行政区划 (2017 Art 7)."""

    id = "practice_location.assistant_county"
    ref = "R-LOC-2"
    label = "执业助理医师的执业地点为县级行政区划"
    title = "An assistant's practice location is the institution's county-level division"
    citations = (REGISTRATION_MEASURES.article("第七条", "S3"),)
    fix = "选择登记在县级行政区划的执业机构"

    def check(self, ctx: EligibilityContext[ScopedRequest]) -> Iterator[Violation]:
        if requested_level(ctx) is not Level.ASSISTANT:
            return
        division = ctx.institution.division
        if division.level != "county":
            yield self.violation(
                f"拟执业机构的行政区划代码{division.code}不是县级，无法确定执业地点",
                f"institution division {division.code} is {division.level}-level; an "
                "assistant's location must be a county",
                division=division.code,
            )


class AssistantSingleLocation(Rule[RegistrationRequest | MilitaryInRequest]):
    """执业助理医师只能注册一个执业地点 (2017 Art 17)."""

    id = "practice_location.assistant_single_location"
    ref = "R-LOC-3"
    label = "执业助理医师只能注册一个执业地点"
    title = "An assistant may hold only one valid registration"
    citations = (REGISTRATION_MEASURES.article("第十七条", "S3"),)
    fix = "如需更换执业地点，请办理“变更”业务"

    def check(
        self, ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
    ) -> Iterator[Violation]:
        qualification = ctx.qualification_named(ctx.payload.qualification_no)
        if qualification is None or qualification.level is not Level.ASSISTANT:
            return
        for registration in ctx.valid_registrations():
            yield self.violation(
                f"已有有效执业注册（执业地点{registration.location.code}）",
                f"already holds a valid registration at {registration.location.code}",
                registration=registration.id,
                location=registration.location.code,
            )


class OneRegistrationPerLocation(Rule[RegistrationRequest | MilitaryInRequest]):
    """一个执业地点下，有并且只有一个主要执业机构；执业医师可在不同省份同时注册."""

    id = "practice_location.one_primary_institution"
    ref = "R-LOC-5"
    label = "每个执业地点只能有一个主要执业机构"
    title = "One primary institution (one valid registration) per practice location"
    citations = (
        REGISTRATION_MEASURES.article("第十条", "S3"),
        PORTAL_HELP.article("业务说明 1、注册", "S9"),
    )
    fix = "同一执业地点内的其他机构请办理“多执业机构备案”，更换主要执业机构请办理“变更”"

    def check(
        self, ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
    ) -> Iterator[Violation]:
        location = intended_location(ctx)
        if location is None:
            return
        for registration in _clashing(ctx.valid_registrations(), location):
            yield self.violation(
                f"执业地点{registration.location.code}已有有效注册，"
                f"主要执业机构为{registration.primary_institution_id}",
                f"a valid registration at {registration.location.code} already names "
                f"{registration.primary_institution_id} as primary institution",
                registration=registration.id,
                location=registration.location.code,
            )


def _clashing(
    registrations: tuple[Registration, ...], location: DivisionCode
) -> Iterator[Registration]:
    return (r for r in registrations if overlaps(r.location, location))


RULES: tuple[Rule[Any], ...] = (
    AssistantCountyLocation(),
    AssistantSingleLocation(),
    OneRegistrationPerLocation(),
)
