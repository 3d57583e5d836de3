"""多执业机构备案 — filings of other institutions, their cancellation, and legacy multi-site records.

Legal basis: 医师执业注册管理办法 Arts 7, 10; the personal portal's help page (业务说明 7–9). R-FIL-3 and
R-FIL-4 are mdreg's numbers for two preconditions of a filing the numbered list leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import FilingCancelRequest, FilingRequest, MultisiteCancelRequest
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PORTAL_HELP, REGISTRATION_MEASURES


class FilingWithinLocation(Rule[FilingRequest]):
    """备案的机构须在该注册的执业地点内（执业医师不能跨省多执业机构备案）."""

    id = "filing.within_practice_location"
    ref = "R-LOC-6"
    label = "备案机构须位于该注册的执业地点内"
    title = "The filed institution lies inside the registration's practice location"
    citations = (
        REGISTRATION_MEASURES.article("第十条", "S3"),
        PORTAL_HELP.article("业务说明 7、多执业机构备案", "S9"),
    )
    fix = "跨执业地点执业，请先在该地申请“注册”"

    def check(self, ctx: EligibilityContext[FilingRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is not None and not target.location.contains(ctx.institution.division):
            yield self.violation(
                f"机构所在地{ctx.institution.division.code}不在执业地点{target.location.code}内",
                f"institution at {ctx.institution.division.code} is outside the practice location "
                f"{target.location.code}",
                location=target.location.code, institution_division=ctx.institution.division.code,
            )


class FilingNotDuplicate(Rule[FilingRequest]):
    """备案机构不能是主要执业机构，也不能已有有效备案.

    R-FIL-3 is mdreg's number, continuing R-FIL-1 and R-FIL-2 (the numbered list leaves this
    precondition out). 2017 Art 10: a physician practising in several institutions of one
    practice location names one as the primary institution and registers there, and files each
    *other* institution with the department that approved it — so the primary institution is
    never filed. That an institution is not filed twice while a filing is active is inferred
    ([I]).
    """

    id = "filing.not_primary_or_duplicate"
    ref = "R-FIL-3"
    label = "备案机构不能是主要执业机构或已备案的机构"
    title = "The filed institution is neither the primary one nor already actively filed"
    citations = (REGISTRATION_MEASURES.article("第十条", "S3"),)
    inferred = True

    def check(self, ctx: EligibilityContext[FilingRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is None:
            return
        if target.primary_institution_id == ctx.institution.id:
            yield self.violation("备案机构即为主要执业机构", "the institution is the primary one")
        for filing in ctx.filings:
            if filing.is_active and not filing.lapsed_on(ctx.as_of) \
                    and filing.institution_id == ctx.institution.id:
                yield self.violation(f"该机构已有有效备案{filing.id}",
                                     f"an active filing {filing.id} exists", filing=filing.id)


class FilingScopeWithinRegistration(Rule[FilingRequest]):
    """备案的执业范围须在注册的执业范围之内.

    R-FIL-4 is mdreg's number, continuing R-FIL-1 and R-FIL-2. A filing extends a registration to
    another institution of its practice location (2017 Art 10), and what is registered is the
    location, the category and the scopes (2017 Art 7); so a filing adds no scope. Inferred
    ([I]): neither article says so in words.
    """

    id = "filing.scope_within_registration"
    ref = "R-FIL-4"
    label = "备案执业范围须在注册执业范围之内"
    title = "Filed scopes are among the registration's scopes"
    citations = (REGISTRATION_MEASURES.article("第十条", "S3"),
                 REGISTRATION_MEASURES.article("第七条", "S3"))
    inferred = True

    def check(self, ctx: EligibilityContext[FilingRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is None:
            return
        extra = [s for s in ctx.payload.scopes if s not in target.scopes]
        if extra:
            yield self.violation(f"备案执业范围「{'、'.join(extra)}」超出注册范围",
                                 f"filed scopes {extra} exceed the registration's scopes")


class FilingActive(Rule[FilingCancelRequest]):
    """只能取消有效的备案."""

    id = "filing.cancel_only_active"
    ref = "R-FIL-2"
    label = "只能取消有效的多执业机构备案"
    title = "Only an active filing can be cancelled"
    citations = (PORTAL_HELP.article("业务说明 8、多执业机构取消备案", "S9"),)
    inferred = True

    def check(self, ctx: EligibilityContext[FilingCancelRequest]) -> Iterator[Violation]:
        wanted = ctx.payload.filing_id
        filing = next((f for f in ctx.filings if f.id == wanted), None)
        if filing is not None and not filing.is_active:
            yield self.violation(f"备案{filing.id}的状态为「{filing.status.label}」",
                                 f"filing {filing.id} is {filing.status.value}", filing=filing.id)


class LegacyActive(Rule[MultisiteCancelRequest]):
    """按原多地点执业政策办理的记录只能查询和取消，不能新增；只能取消有效的记录."""

    id = "legacy.cancel_only_active"
    ref = "R-LEG-1"
    label = "只能取消有效的“多地点执业”记录"
    title = "Only an active legacy multi-site record can be cancelled (none can be added)"
    citations = (PORTAL_HELP.article("业务说明 9、申请取消“多地点执业”", "S9"),)

    def check(self, ctx: EligibilityContext[MultisiteCancelRequest]) -> Iterator[Violation]:
        wanted = ctx.payload.legacy_id
        record = next((r for r in ctx.legacy if r.id == wanted), None)
        if record is not None and not record.is_active:
            yield self.violation(f"多地点执业记录{record.id}已取消",
                                 f"legacy record {record.id} is {record.status.value}")


FILING_RULES: tuple[Rule[Any], ...] = (
    FilingWithinLocation(), FilingNotDuplicate(), FilingScopeWithinRegistration(),
)
FILING_CANCEL_RULES: tuple[Rule[Any], ...] = (FilingActive(),)
LEGACY_RULES: tuple[Rule[Any], ...] = (LegacyActive(),)
