"""医师资格与考核 — qualification prerequisites and the evidence a late or renewed registration needs.

Legal basis: 医师法 Arts 13, 19; 医师执业注册管理办法 Art 12; 关于医师执业注册中执业范围的暂行规定 part 二;
before 2022-03-01 the 执业医师法 Arts 13, 18 (the earlier versions of the rules citing them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import Evidence, MilitaryInRequest, RegistrationRequest
from mdreg.domain.dates import add_years
from mdreg.domain.model import RecordKind
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import (
    PHYSICIANS_LAW,
    PRACTISING_PHYSICIANS_LAW,
    REGISTRATION_MEASURES,
    SCOPE_RULES,
)
from mdreg.rules.versions import before_2022

MIN_TRAINING_MONTHS = 6


class QualificationMatchesCategory(Rule[RegistrationRequest | MilitaryInRequest]):
    """取得医师资格的，可以申请注册；注册的执业类别须与资格类别一致."""

    id = "qualification.held_and_category_matches"
    ref = "R-REG-1"
    version = 2
    label = "须持有医师资格，且注册类别与资格类别一致"
    title = "The applicant holds the qualification and registers its category"
    citations = (
        PHYSICIANS_LAW.article("第十三条", "S1"),
        SCOPE_RULES.article("二", "S5"),
    )
    fix = "填写本人持有的医师资格证书编码，并按资格类别申请注册"

    def check(
        self, ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
    ) -> Iterator[Violation]:
        payload = ctx.payload
        qualification = ctx.qualification_named(payload.qualification_no)
        if qualification is None:
            yield self.violation(
                "申请人未持有所填医师资格",
                "the applicant does not hold the qualification named in the application",
                qualification_no=str(payload.qualification_no),
            )
            return
        wanted = payload.category if isinstance(payload, RegistrationRequest) else None
        if wanted is not None and wanted is not qualification.category:
            yield self.violation(
                f"注册类别「{wanted.label}」与资格类别「{qualification.category.label}」不一致",
                f"category {wanted.value} differs from the qualification's "
                f"{qualification.category.value}",
                category=wanted.value,
                qualification_category=qualification.category.value,
            )


def _evidence_gaps(evidence: Evidence, need_training: bool) -> list[tuple[str, str]]:
    gaps: list[tuple[str, str]] = []
    if need_training and evidence.training_months < MIN_TRAINING_MONTHS:
        gaps.append(("连续六个月以上的培训证明", "proof of 6 consecutive months of training"))
    if not evidence.assessment_passed:
        gaps.append(("考核合格证明", "a passed assessment"))
    return gaps


class LateFirstRegistration(Rule[RegistrationRequest | MilitaryInRequest]):
    """取得医师资格二年以上未注册的，须提交六个月培训证明并经考核合格 (2017 Art 12 para 2).

    A first registration is one of a physician with no registration on record; for 军队变更入
    the military registration the proof states is a registration too.
    """

    id = "qualification.late_first_registration"
    ref = "R-REG-7"
    label = "取得资格满二年未注册的，须有六个月培训并经考核合格"
    title = "A first registration 2+ years after qualifying needs 6 months' training and a pass"
    citations = (REGISTRATION_MEASURES.article("第十二条第二款", "S3"),)
    fix = "补交连续六个月以上培训证明和考核合格证明"

    def check(
        self, ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
    ) -> Iterator[Violation]:
        qualification = ctx.qualification_named(ctx.payload.qualification_no)
        military = (ctx.payload.military_registered_on
                    if isinstance(ctx.payload, MilitaryInRequest) else None)
        if qualification is None or ctx.registrations or military is not None:
            return
        if ctx.as_of < add_years(qualification.obtained_on, 2):
            return
        for zh, en in _evidence_gaps(ctx.payload.evidence, need_training=True):
            yield self.violation(
                f"取得资格已满二年未注册，缺少{zh}",
                f"qualified on {qualification.obtained_on.isoformat()} and never registered: "
                f"missing {en}",
                obtained_on=qualification.obtained_on.isoformat(),
            )


class ReRegistrationEvidence(Rule[RegistrationRequest | MilitaryInRequest]):
    """中止执业活动二年以上，申请重新执业的，须经考核合格 (医师法 Art 19; 2017 Art 12).

    A ``practice_suspended`` record (中止医师执业活动) of two years or more — to its ``until``,
    or to the application date while it runs — makes the applicant one who returns to practice,
    unless a registration granted after the 中止 began follows it: then the return has been
    registered already (re-registration completed, and checked when it was decided), and the
    old 中止 asks for nothing more. A 军队变更入 applicant whose military practice ended two
    years or more before the application returns to practice too. A returning applicant, or one
    who flags a 注册 as ``re_registration``, needs a passed assessment and, since 2017-04-01,
    six months' training. An assessment suspension (暂停执业活动, 医师法 Art 42) is not a 中止.
    """

    id = "qualification.re_registration_assessment"
    ref = "R-REG-8"
    version = 3
    label = "中止执业满二年后重新注册，须经考核合格"
    title = "Returning after 2+ years' suspension of practice needs a passed assessment"
    citations = (
        PHYSICIANS_LAW.article("第十九条", "S1"),
        REGISTRATION_MEASURES.article("第十二条第二款", "S3"),
    )
    fix = "补交考核合格证明（及连续六个月以上培训证明）"

    def check(
        self, ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
    ) -> Iterator[Violation]:
        payload = ctx.payload
        facts = _returning(ctx)
        flagged = isinstance(payload, RegistrationRequest) and payload.re_registration
        if not (flagged or facts):
            return
        need_training = ctx.as_of >= REGISTRATION_MEASURES.effective_from
        for zh, en in _evidence_gaps(payload.evidence, need_training):
            yield self.violation(
                f"中止执业满二年后重新注册，缺少{zh}",
                f"re-registration after 2 years' suspension: missing {en}",
                **facts,
            )


def _returning(ctx: EligibilityContext[RegistrationRequest | MilitaryInRequest]
               ) -> dict[str, str]:
    """What makes the applicant one who returns after two years without practice: the first
    中止 of two years or more that no registration granted after its start follows, or (军队变更入)
    military practice that ended two years or more before the application (医师法 Art 19)."""
    for record in ctx.physician.records:
        if record.kind is not RecordKind.PRACTICE_SUSPENDED:
            continue
        if (record.until or ctx.as_of) < add_years(record.on, 2):
            continue
        if not any(r.granted_on > record.on for r in ctx.registrations):
            return {"suspended_on": record.on.isoformat()}
    payload = ctx.payload
    ended = payload.military_practice_ended_on if isinstance(payload, MilitaryInRequest) else None
    if ended is not None and add_years(ended, 2) <= ctx.as_of:
        return {"military_practice_ended_on": ended.isoformat()}
    return {}


class QualificationMatchesCategory2001(QualificationMatchesCategory):
    """Version 1: 执业医师法 Art 13 and the 2001 scope rules, part 二."""

    version = 1
    citations = (PRACTISING_PHYSICIANS_LAW.article("第十三条", "S2"), SCOPE_RULES.article("二", "S5"))


RULES: tuple[Rule[Any], ...] = (
    QualificationMatchesCategory2001(), QualificationMatchesCategory(),
    LateFirstRegistration(),
    *before_2022(ReRegistrationEvidence, "第十八条", "第十二条第二款"), ReRegistrationEvidence(),
)
