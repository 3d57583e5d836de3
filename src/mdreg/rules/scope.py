"""执业范围 — practice scopes per category, and how many a registration may carry.

Legal basis: 关于医师执业注册中执业范围的暂行规定 (2001), parts 一 and 二. The scope lists are data; a
province adds its own ("省级以上卫生行政部门规定的其他专业") through the policy parameter
``extra_scopes`` (category value → scopes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

from mdreg.domain.application import (
    UNDER_REVIEW,
    ChangeRequest,
    MilitaryInRequest,
    RegistrationRequest,
)
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import Category
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import SCOPE_RULES

SCOPES: Mapping[Category, tuple[str, ...]] = {
    Category.CLINICAL: (
        "内科专业", "外科专业", "妇产科专业", "儿科专业", "眼耳鼻咽喉科专业", "皮肤病与性病专业",
        "精神卫生专业", "职业病专业", "医学影像和放射治疗专业", "医学检验、病理专业", "全科医学专业",
        "急救医学专业", "康复医学专业", "预防保健专业", "特种医学与军事医学专业",
        "计划生育技术服务专业",
    ),
    Category.DENTAL: ("口腔专业",),
    Category.PUBLIC_HEALTH: ("公共卫生类别专业",),
    Category.TCM: ("中医专业", "中西医结合专业", "蒙医专业", "藏医专业", "维医专业", "傣医专业"),
}

MAX_SCOPES_AT_COUNTY = 3

#: The payloads that ask for a category and scopes: 注册, 军队变更入 and 变更.
ScopedRequest: TypeAlias = RegistrationRequest | MilitaryInRequest | ChangeRequest


def allowed_scopes(category: Category, parameters: Mapping[str, Any]) -> tuple[str, ...]:
    """The national list for ``category`` plus the province's extra scopes."""
    extra: Mapping[str, tuple[str, ...]] = parameters.get("extra_scopes", {})
    return SCOPES[category] + tuple(extra.get(category.value, ()))


def requested_category(ctx: EligibilityContext[ScopedRequest]) -> Category | None:
    """The category to register: the one asked for, else the qualification's, else (变更) the
    registration's.
    """
    payload = ctx.payload
    asked = None if isinstance(payload, MilitaryInRequest) else payload.category
    if isinstance(asked, Category):
        return asked
    qualification = ctx.qualification_named(payload.qualification_no)
    if qualification is not None:
        return qualification.category
    if isinstance(payload, ChangeRequest):
        target = ctx.registration_named(payload.registration_id)
        return target.category if target is not None else None
    return None


class ScopeBelongsToCategory(Rule[ScopedRequest]):
    """执业范围须属于注册的执业类别 (or the province's extra scopes)."""

    id = "scope.belongs_to_category"
    ref = "R-SCOPE-2"
    label = "执业范围须属于所注册的执业类别"
    title = "Each scope belongs to the registered category (or the province's extra list)"
    citations = (SCOPE_RULES.article("一", "S5"),)
    fix = "按执业类别选择执业范围"

    def check(self, ctx: EligibilityContext[ScopedRequest]) -> Iterator[Violation]:
        category = requested_category(ctx)
        scopes = ctx.payload.scopes
        if category is None:
            return
        allowed = allowed_scopes(category, ctx.parameters)
        for scope in scopes:
            if scope not in allowed:
                yield self.violation(
                    f"执业范围「{scope}」不属于{category.label}类别",
                    f"scope {scope!r} is not listed for category {category.value}",
                    scope=scope, category=category.value,
                )


def county_approval(ctx: EligibilityContext[ScopedRequest]) -> bool:
    """Whether the county department approved several scopes. Until the decision the applicant's
    ``county_approved`` says the approval is asked for; at the decision (审核中) it must be on
    record (:class:`~mdreg.domain.application.ScopeApproval`), given by a county department
    whose division holds the institution — unless the policy parameter
    ``county_scope_approval`` is ``"declared"``, which takes the applicant's word."""
    declared = ctx.parameters.get("county_scope_approval", "recorded") == "declared"
    if declared or ctx.application.state != UNDER_REVIEW:
        return bool(ctx.payload.county_approved)
    record = ctx.application.scope_approval
    if record is None:
        return False
    division = DivisionCode(record.division)
    return division.level == "county" and division.contains(ctx.institution.division)


class ScopeCount(Rule[ScopedRequest]):
    """一般注册一个专业；县级及以下机构临床医师经县级批准可注册至多三个同类别专业."""

    id = "scope.count"
    ref = "R-SCOPE-1"
    label = "执业范围一般为一个专业，县及县以下机构临床医师经批准至多三个"
    title = "One scope; up to three for clinical physicians at county-level institutions with approval"
    citations = (SCOPE_RULES.article("二", "S5"),)
    fix = "减少执业范围，或提交县级卫生健康主管部门的批准"

    def check(self, ctx: EligibilityContext[ScopedRequest]) -> Iterator[Violation]:
        scopes = ctx.payload.scopes
        if len(scopes) != len(set(scopes)):
            yield self.violation("执业范围重复", "a scope is listed twice")
        if len(scopes) <= 1:
            return
        county = ctx.institution.level == "county"  # 县及县以下医疗机构: the institution's own
        clinical = requested_category(ctx) is Category.CLINICAL
        approved = county_approval(ctx)
        if not (county and clinical and approved) or len(scopes) > MAX_SCOPES_AT_COUNTY:
            yield self.violation(
                f"申请了{len(scopes)}个执业范围",
                f"{len(scopes)} scopes requested; one is allowed, up to three only for clinical "
                "physicians at county-level institutions with county approval",
                count=str(len(scopes)), county_level=str(county), county_approved=str(approved),
            )


RULES: tuple[Rule[Any], ...] = (ScopeBelongsToCategory(), ScopeCount())
