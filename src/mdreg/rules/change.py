"""变更 — changes of practice location, scope, category or primary institution.

Legal basis: 医师法 Art 18 (执业医师法 Art 17 before 2022-03-01); 关于医师执业注册中执业范围的暂行规定
part 二; 医师执业注册管理办法 Arts 10, 17.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import ChangeRequest
from mdreg.domain.model import practice_location
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import (
    PHYSICIANS_LAW,
    PORTAL_HELP,
    PRACTISING_PHYSICIANS_LAW,
    REGISTRATION_MEASURES,
    SCOPE_RULES,
)
from mdreg.rules.practice_location import overlaps

#: Activities that need no change registration (医师法 Art 18 para 2, R-CHG-3).
NO_CHANGE_NEEDED = {
    "training": "参加规范化培训",
    "further_study": "进修",
    "paired_support": "对口支援",
    "consultation": "会诊",
    "emergency_rescue": "突发事件医疗救援",
    "charity": "慈善或者公益性医疗、义诊",
    "state_task": "承担政府交办的任务",
    "medical_alliance": "在医疗联合体内的医疗机构中执业",
}


def change_required(activity: str) -> bool:
    """Whether practising for ``activity`` outside the registration needs a 变更 (R-CHG-3).

    >>> change_required("consultation"), change_required("new_primary_institution")
    (False, True)
    """
    return activity not in NO_CHANGE_NEEDED


class CategoryChangeNeedsQualification(Rule[ChangeRequest]):
    """变更后的注册仍须以本人持有的、类别和级别相符的医师资格为依据.

    A registration's category, level and practice-location level follow the qualification it
    rests on (关于医师执业注册中执业范围的暂行规定 part 二: the registered category follows the
    qualification held). A 变更 that names a qualification is refused when the physician does not
    hold it, when its category is not the category the registration has after the change, or when
    its level is not the registration's level: a level changes only through 助理医师升执业医师. A
    change of category without a qualification of the new category is refused too.
    """

    id = "change.category_needs_qualification"
    ref = "R-CHG-1"
    version = 2
    label = "变更后的注册须以本人持有的、类别和级别相符的医师资格为依据"
    title = ("A change rests on a qualification the physician holds, of the resulting category "
             "and of the registration's level")
    citations = (SCOPE_RULES.article("二", "S5"), PHYSICIANS_LAW.article("第十八条", "S1"))
    fix = ("填写本人持有的、与变更后执业类别和原注册级别相符的医师资格证书编码；"
           "级别变更请办理“助理医师升执业医师”")

    def check(self, ctx: EligibilityContext[ChangeRequest]) -> Iterator[Violation]:
        payload = ctx.payload
        target = ctx.registration_named(payload.registration_id)
        if target is None:
            return
        resulting = payload.category or target.category
        if payload.qualification_no is None:
            if resulting is not target.category:
                yield self.violation(
                    f"变更为「{resulting.label}」类别，但未填写该类别的医师资格",
                    f"change to category {resulting.value} without a qualification of that "
                    "category",
                    category=resulting.value,
                )
            return
        held = ctx.qualification_named(payload.qualification_no)
        if held is None:
            yield self.violation(
                "申请人未持有所填医师资格",
                "the applicant does not hold the qualification named in the application",
                qualification_no=payload.qualification_no,
            )
            return
        if held.category is not resulting:
            yield self.violation(
                f"所填医师资格为「{held.category.label}」类别，变更后的执业类别为「{resulting.label}」",
                f"the qualification is of category {held.category.value}; the registration "
                f"would be {resulting.value}",
                category=resulting.value, qualification_category=held.category.value,
            )
        if held.level is not target.level:
            yield self.violation(
                f"所填医师资格为{held.level.label}资格，原注册为{target.level.label}注册",
                f"the qualification is of level {held.level.value}; the registration is "
                f"{target.level.value} (a level changes only through an upgrade)",
                level=target.level.value, qualification_level=held.level.value,
            )


class ScopeChangeNeedsEvidence(Rule[ChangeRequest]):
    """同类别内变更执业范围，须有相应高一层次学历或二年以上培训并考核合格."""

    id = "change.scope_needs_evidence"
    ref = "R-CHG-2"
    label = "类别内变更执业范围须有高一层次学历或二年以上培训考核合格"
    title = "A new scope within a category needs a higher degree or 2+ years' assessed training"
    citations = (SCOPE_RULES.article("二", "S5"),)
    fix = "提交高一层次学历证明，或二年以上系统培训并考核合格的证明"

    def check(self, ctx: EligibilityContext[ChangeRequest]) -> Iterator[Violation]:
        payload = ctx.payload
        target = ctx.registration_named(payload.registration_id)
        wanted = payload.category
        if target is None or (wanted is not None and wanted is not target.category):
            return
        added = [s for s in payload.scopes if s not in target.scopes]
        evidence = payload.scope_evidence
        enough = evidence is not None and (evidence.higher_degree or evidence.training_years >= 2)
        if added and not enough:
            yield self.violation(
                f"新增执业范围「{'、'.join(added)}」缺少学历或培训证明",
                f"new scopes {added} lack a higher degree or 2 years' training",
                added="、".join(added),
            )


class ChangeKeepsLocationsDistinct(Rule[ChangeRequest]):
    """变更后的执业地点不得与本人其他有效注册的执业地点重合."""

    id = "change.location_free"
    ref = "R-LOC-5"
    label = "变更后的执业地点不得与本人其他有效注册重合"
    title = "After the change no two valid registrations share a practice location"
    citations = (
        REGISTRATION_MEASURES.article("第十条", "S3"),
        PORTAL_HELP.article("业务说明 1、注册", "S9"),
    )
    fix = "在该执业地点已有注册的，请办理多执业机构备案"

    def check(self, ctx: EligibilityContext[ChangeRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is None:
            return
        location = practice_location(target.level, ctx.institution)
        for other in ctx.valid_registrations():
            if other.id != target.id and overlaps(other.location, location):
                yield self.violation(
                    f"执业地点{location.code}已有本人的有效注册{other.id}",
                    f"location {location.code} already has registration {other.id}",
                    registration=other.id,
                )


class CategoryChangeNeedsQualification2001(CategoryChangeNeedsQualification):
    """Version 1: the 2001 scope rules, part 二, and 执业医师法 Art 17."""

    version = 1
    citations = (SCOPE_RULES.article("二", "S5"), PRACTISING_PHYSICIANS_LAW.article("第十七条", "S2"))


RULES: tuple[Rule[Any], ...] = (
    CategoryChangeNeedsQualification2001(),
    CategoryChangeNeedsQualification(),
    ScopeChangeNeedsEvidence(),
    ChangeKeepsLocationsDistinct(),
)
