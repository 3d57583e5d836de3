"""助理医师升执业医师、军队变更入 — upgrades and moves between military and civilian registration.

Legal basis: the personal portal's help page (升级: 类别相同并且主要执业机构不变), before 2017-04-01
医师执业注册暂行办法 (1999) Art 11; 中国人民解放军实施《执业医师法》办法 Arts 9–10.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import MilitaryInRequest, UpgradeRequest
from mdreg.domain.model import Level, RegistrationStatus
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import INTERIM_REGISTRATION_MEASURES, PLA_MEASURES, PORTAL_HELP


class UpgradeFromAssistant(Rule[UpgradeRequest]):
    """助理医师升执业医师：原注册为有效的执业助理医师注册，新资格为同类别的执业医师资格."""

    id = "upgrade.assistant_to_physician_same_category"
    ref = "R-UPG-1"
    version = 2
    label = "升级须为同类别的执业医师资格，且原注册为执业助理医师注册"
    title = "An upgrade needs a 执业医师 qualification of the assistant registration's category"
    citations = (PORTAL_HELP.article("业务说明 2、助理医师升执业医师", "S9"),)
    fix = "使用与助理医师注册同类别的执业医师资格申请"

    def check(self, ctx: EligibilityContext[UpgradeRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is not None and target.level is not Level.ASSISTANT:
            yield self.violation(
                f"执业注册{target.id}不是执业助理医师注册",
                f"registration {target.id} is not an assistant registration",
                registration=target.id,
            )
        qualification = ctx.qualification_named(ctx.payload.qualification_no)
        if qualification is None:
            yield self.violation(
                "申请人未持有所填执业医师资格",
                "the applicant does not hold the qualification named in the application",
            )
            return
        if qualification.level is not Level.PHYSICIAN:
            yield self.violation("所填资格不是执业医师资格", "the qualification is not 执业医师 level")
        if target is not None and qualification.category is not target.category:
            yield self.violation(
                f"资格类别「{qualification.category.label}」与原注册类别「{target.category.label}」不同",
                f"qualification category {qualification.category.value} differs from the "
                f"registration's {target.category.value}",
            )


class MilitaryProof(Rule[MilitaryInRequest]):
    """军队医师转入地方执业，须有原军队注册机关出具的证明 (PLA measures Art 9)."""

    id = "military.proof_from_military_organ"
    ref = "R-MIL-2"
    label = "军队变更入须提交原军队注册机关的证明"
    title = "Moving in from the army needs the military registering organ's proof"
    citations = (PLA_MEASURES.article("第九条", "S6"),)
    fix = "提交原军队注册机关出具的证明文件"

    def check(self, ctx: EligibilityContext[MilitaryInRequest]) -> Iterator[Violation]:
        proof = ctx.payload.proof_document
        if not (isinstance(proof, str) and proof.strip()):
            yield self.violation("缺少原军队注册机关出具的证明", "the military organ's proof is missing")


class PriorMilitaryRegistration(Rule[MilitaryInRequest]):
    """军队变更入是军队医师执业注册的变更：须有军队执业注册，且不再持有地方注册 (PLA measures Arts 9, 10).

    A 军队变更入 changes a military registration into a civilian one: the proof of the original
    military registering organ states when the military registration was granted — on or after
    the qualification it rests on, not after the application — and when military practice
    ended or ends (not before it began). A physician who still holds a valid or filed local
    registration is not a military physician: joining the army hands the local certificate
    back and ends every local registration (Art 10, R-MIL-1); such a physician uses 注册 or 变更.
    """

    id = "military.prior_military_registration"
    ref = "R-MIL-3"
    label = "军队变更入须有军队执业注册，且不持有地方执业注册"
    title = "Moving in from the army needs a military registration and no local one"
    citations = (PLA_MEASURES.article("第九条", "S6"), PLA_MEASURES.article("第十条", "S6"))
    fix = "按原军队注册机关的证明填写军队执业注册日期和停止军队执业的日期；持有地方注册的请办理“变更”"

    def check(self, ctx: EligibilityContext[MilitaryInRequest]) -> Iterator[Violation]:
        payload = ctx.payload
        registered, ended = payload.military_registered_on, payload.military_practice_ended_on
        qualification = ctx.qualification_named(payload.qualification_no)
        if registered is None or ended is None:
            yield self.violation("未填写军队执业注册日期或停止军队执业的日期",
                                 "the military registration's dates are missing")
        elif ((qualification is not None and registered < qualification.obtained_on)
              or registered > ctx.as_of or ended < registered):
            yield self.violation(
                f"军队执业注册日期{registered.isoformat()}或停止执业日期{ended.isoformat()}不合理",
                "the military registration must follow the qualification, precede the "
                "application and the end of military practice",
                military_registered_on=registered.isoformat(),
                military_practice_ended_on=ended.isoformat(),
            )
        for held in ctx.registrations:
            if held.status in (RegistrationStatus.VALID, RegistrationStatus.FILED):
                yield self.violation(
                    f"仍持有地方执业注册{held.id}（{held.status.label}）",
                    f"still holds the local registration {held.id} ({held.status.value})",
                    registration=held.id,
                )


class UpgradeFromAssistant1999(UpgradeFromAssistant):
    """Version 1: 医师执业注册暂行办法 (1999) Art 11 — an assistant who obtains the 执业医师
    qualification applies for a 执业医师 registration."""

    version = 1
    citations = (INTERIM_REGISTRATION_MEASURES.article("第十一条", "S4"),)


UPGRADE_RULES: tuple[Rule[Any], ...] = (UpgradeFromAssistant1999(), UpgradeFromAssistant())
MILITARY_IN_RULES: tuple[Rule[Any], ...] = (MilitaryProof(), PriorMilitaryRegistration())
