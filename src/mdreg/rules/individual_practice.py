"""个体行医与执业助理医师 — who may practise alone, and assistants under a physician's guidance.

Legal basis: 医师法 Arts 20, 34; 执业医师法 (1998) Art 19. A 注册 or 变更 whose primary institution
is an individual clinic (:attr:`~mdreg.domain.model.InstitutionKind.INDIVIDUAL_CLINIC`) is read as
the registrant's 个体行医.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import ChangeRequest, MilitaryInRequest
from mdreg.domain.dates import add_years
from mdreg.domain.model import (
    InstitutionKind,
    Level,
    Qualification,
    merged_periods,
    practice_periods,
)
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PHYSICIANS_LAW, PRACTISING_PHYSICIANS_LAW
from mdreg.rules.practice_location import requested_level
from mdreg.rules.scope import ScopedRequest


def _alone(ctx: EligibilityContext[ScopedRequest]) -> bool:
    return ctx.institution.kind is InstitutionKind.INDIVIDUAL_CLINIC


def _qualification(ctx: EligibilityContext[ScopedRequest]) -> Qualification | None:
    """The qualification the registration rests on: the one named, else (变更) the target's."""
    payload = ctx.payload
    named = payload.qualification_no
    if named is None and isinstance(payload, ChangeRequest):
        target = ctx.registration_named(payload.registration_id)
        named = target.qualification_no if target is not None else None
    return ctx.qualification_named(named)


def practised_days(ctx: EligibilityContext[ScopedRequest], assistant_years: bool) -> int:
    """Days the physician held a registration in force (granted → filed or ended, up to the
    application date) — for 军队变更入 also the military registration the proof states —
    periods that overlap counted once; with ``assistant_years`` false only 执业医师
    registrations count."""
    counted = [r for r in ctx.registrations if assistant_years or r.level is Level.PHYSICIAN]
    spans = list(practice_periods(counted, ctx.as_of))
    payload = ctx.payload
    if isinstance(payload, MilitaryInRequest) and payload.military_registered_on is not None:
        ended = payload.military_practice_ended_on or ctx.as_of
        spans.append((payload.military_registered_on, min(ended, ctx.as_of)))
    return sum((end - start).days for start, end in merged_periods(spans))


class IndividualPracticeAfterFiveYears(Rule[ScopedRequest]):
    """执业医师个体行医，须经注册后在医疗卫生机构中执业满五年 (医师法 Art 20 para 2).

    Applies to a 执业医师 registration at an individual clinic. The years are the registered
    practice on record (:func:`practised_days`): every registration of the physician, from the
    day it was granted to the day it was filed or ended — registrations as 执业助理医师 included
    unless the policy parameter ``individual_practice_counts_assistant_years`` is false — and
    they must reach ``individual_practice_years`` (5) by the application date. A 中医（专长）
    qualification (Art 11 para 2, ``special_skills``) may practise alone at once.
    """

    id = "individual_practice.five_years"
    ref = "R-IND-1"
    label = "执业医师个体行医，须经注册后在医疗卫生机构中执业满五年"
    title = "Practising alone needs five years of registered practice in institutions"
    version = 2
    citations = (PHYSICIANS_LAW.article("第二十条第二款", "S1"),)
    fix = "在医疗卫生机构中执业满五年后再申请个体行医，或选择其他执业机构"

    def check(self, ctx: EligibilityContext[ScopedRequest]) -> Iterator[Violation]:
        if not _alone(ctx) or requested_level(ctx) is not Level.PHYSICIAN:
            return
        held = _qualification(ctx)
        if held is not None and held.special_skills:
            return
        years = int(ctx.parameters.get("individual_practice_years", 5))
        needed = (ctx.as_of - add_years(ctx.as_of, -years)).days
        days = practised_days(ctx, bool(ctx.parameters.get(
            "individual_practice_counts_assistant_years", True)))
        if days < needed:
            yield self.violation(
                f"拟个体行医，但在医疗卫生机构中注册执业仅{days}天，不满{years}年",
                f"practising alone needs {years} years of registered practice; the record shows "
                f"{days} days",
                practised_days=str(days), needed_days=str(needed),
            )


class AssistantUnderGuidance(Rule[ScopedRequest]):
    """执业助理医师应当在执业医师的指导下执业，不得个体行医 (医师法 Arts 34, 20).

    An individual clinic is a 执业医师's practice alone: no other 执业医师 guides there, and the
    law opens 个体行医 to 执业医师 only. An assistant's registration naming one as primary
    institution is refused — unless the policy parameter ``assistant_at_individual_clinic`` is
    true (a province that registers assistants employed at a physician's clinic, under that
    physician's guidance). Art 34 para 2 (independent general practice in township and village
    institutions and in county institutions of remote areas) concerns what the assistant does
    there, not where the assistant registers: it constrains no registration data beyond the
    county location and the single registration (R-LOC-2, R-LOC-3).
    """

    id = "assistant.under_guidance"
    ref = "R-AST-1"
    label = "执业助理医师应当在执业医师指导下执业，不得个体行医"
    title = "An assistant practises under a physician's guidance, not alone at an individual clinic"
    version = 2
    citations = (
        PHYSICIANS_LAW.article("第三十四条", "S1"),
        PHYSICIANS_LAW.article("第二十条第二款", "S1"),
    )
    fix = "选择有执业医师指导的医疗卫生机构作为主要执业机构"

    def check(self, ctx: EligibilityContext[ScopedRequest]) -> Iterator[Violation]:
        if not _alone(ctx) or requested_level(ctx) is not Level.ASSISTANT:
            return
        if ctx.parameters.get("assistant_at_individual_clinic", False):
            return
        yield self.violation(
            f"执业助理医师不能以个体诊所「{ctx.institution.name}」为主要执业机构",
            "an assistant cannot register at an individual clinic: no 执业医师 guides there",
            institution=ctx.institution.id,
        )


class IndividualPracticeAfterFiveYears1998(IndividualPracticeAfterFiveYears):
    """Version 1: 执业医师法 (1998) Art 19 — five years of practice before practising alone."""

    version = 1
    citations = (PRACTISING_PHYSICIANS_LAW.article("第十九条", "S2"),)


class AssistantUnderGuidance1998(AssistantUnderGuidance):
    """Version 1: 执业医师法 (1998) Art 30 — an assistant practises under a physician's
    guidance — and Art 19 (practising alone is for 执业医师)."""

    version = 1
    citations = (PRACTISING_PHYSICIANS_LAW.article("第三十条"),
                 PRACTISING_PHYSICIANS_LAW.article("第十九条", "S2"))


RULES: tuple[Rule[Any], ...] = (
    IndividualPracticeAfterFiveYears1998(), IndividualPracticeAfterFiveYears(),
    AssistantUnderGuidance1998(), AssistantUnderGuidance(),
)
