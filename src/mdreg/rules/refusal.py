"""不予注册情形 — refusal grounds for registration.

Legal basis: 医师法 Art 16 (in force 2022-03-01); 医师执业注册管理办法 Art 6 (2017-04-01);
执业医师法 Art 15 (1998, repealed 2022-03-01). The grounds both laws share are dated versions:
version 1 cites the 执业医师法 alone (to 2017-03-31), version 2 adds the 2017 measures (to
2022-02-28), version 3 cites the 医师法 and the 2017 measures.
"""

from __future__ import annotations

from collections.abc import Iterator

from mdreg.domain.application import Payload
from mdreg.domain.dates import add_years, within_years
from mdreg.domain.model import CivilCapacity, RecordKind
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import (
    PHYSICIANS_LAW,
    REGISTRATION_MEASURES,
)
from mdreg.rules.versions import before_2022


class FullCivilCapacity(Rule[Payload]):
    """不具有完全民事行为能力的，不予注册."""

    id = "refusal.civil_capacity"
    ref = "R-REG-2"
    version = 3
    label = "申请人须具有完全民事行为能力"
    title = "The applicant must have full civil capacity"
    citations = (
        PHYSICIANS_LAW.article("第十六条第一项", "S1"),
        REGISTRATION_MEASURES.article("第六条第一项", "S3"),
    )
    fix = "民事行为能力恢复后方可申请注册"

    def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
        capacity = ctx.physician.civil_capacity
        if capacity is not CivilCapacity.FULL:
            yield self.violation(
                f"申请人为{capacity.label}人",
                f"the applicant has {capacity.value} civil capacity, not full",
                civil_capacity=capacity.value,
            )


class CriminalPunishment(Rule[Payload]):
    """刑罚执行完毕不满二年，或者被依法禁止从事医师职业的期限未满的，不予注册."""

    id = "refusal.criminal_punishment"
    ref = "R-REG-3"
    version = 3
    label = "刑罚执行完毕不满二年或禁业期未满的，不予注册"
    title = "Less than 2 years since a criminal sentence was completed, or a practice ban is running"
    citations = (
        PHYSICIANS_LAW.article("第十六条第二项", "S1"),
        REGISTRATION_MEASURES.article("第六条第二项", "S3"),
    )
    fix = "刑罚执行完毕满二年且禁业期届满后再申请"

    def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
        for record in ctx.physician.records:
            if record.kind is RecordKind.CRIMINAL_SENTENCE:
                if record.until is None or record.until > ctx.as_of:
                    yield self.violation(
                        "刑罚尚未执行完毕",
                        "the criminal sentence has not been completed",
                        sentence_from=record.on.isoformat(),
                    )
                elif within_years(record.until, 2, ctx.as_of):
                    yield self.violation(
                        f"刑罚于{record.until.isoformat()}执行完毕，至申请日不满二年",
                        f"sentence completed on {record.until.isoformat()}, less than 2 years "
                        "before the application date",
                        completed_on=record.until.isoformat(),
                        eligible_from=add_years(record.until, 2).isoformat(),
                    )
            elif record.kind is RecordKind.PRACTICE_BAN and (
                record.until is None or record.until > ctx.as_of
            ):
                until = record.until.isoformat() if record.until else "无期限"
                yield self.violation(
                    f"禁止从事医师职业的期限未满（至{until}）",
                    f"a ban on practising runs until {until}",
                    ban_until=until,
                )


class _SinceRecord(Rule[Payload]):
    """A refusal ground that lasts ``years`` after a dated record of ``kind``."""

    kind: RecordKind
    years: int

    def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
        for record in ctx.physician.records:
            if record.kind is self.kind and within_years(record.on, self.years, ctx.as_of):
                again = add_years(record.on, self.years)
                yield self.violation(
                    f"{record.on.isoformat()}{self.kind.label}，至申请日不满{self._years_zh()}",
                    f"{self.kind.value.replace('_', ' ')} on {record.on.isoformat()}, "
                    f"less than {self.years} year(s) before the application date",
                    since=record.on.isoformat(),
                    eligible_from=again.isoformat(),
                )

    def _years_zh(self) -> str:
        return {1: "一年", 2: "二年", 3: "三年"}.get(self.years, f"{self.years}年")


class CertificateRevoked(_SinceRecord):
    """受吊销医师执业证书行政处罚，自处罚决定之日起至申请注册之日止不满二年的，不予注册."""

    id = "refusal.certificate_revoked"
    ref = "R-REG-4"
    version = 3
    label = "被吊销医师执业证书不满二年的，不予注册"
    title = "Less than 2 years since the practice certificate was revoked"
    citations = (
        PHYSICIANS_LAW.article("第十六条第三项", "S1"),
        REGISTRATION_MEASURES.article("第六条第三项", "S3"),
    )
    fix = "自处罚决定之日起满二年后再申请"
    kind = RecordKind.CERTIFICATE_REVOKED
    years = 2


class CancelledForFailedAssessment(_SinceRecord):
    """因医师定期考核不合格被注销注册不满一年的，不予注册 (new in the 2021 law)."""

    id = "refusal.failed_assessment_cancellation"
    ref = "R-REG-5"
    label = "因定期考核不合格被注销注册不满一年的，不予注册"
    title = "Less than 1 year since the registration was cancelled for a failed assessment"
    citations = (PHYSICIANS_LAW.article("第十六条第四项", "S1"),)
    fix = "注销满一年后再申请"
    kind = RecordKind.CANCELLED_FAILED_ASSESSMENT
    years = 1


class RegistrationRevoked(_SinceRecord):
    """以不正当手段取得医师执业证书的，予以撤销，三年内不受理其相应申请 (医师法 Art 54 para 2).

    The granting department rescinds such a registration ex officio (撤销, 行政许可法 Art 69
    para 2; :meth:`mdreg.Registry.revoke`), which puts a ``registration_revoked`` record dated
    the decision on the physician; a registration asked for within three years of it is
    refused.
    """

    id = "refusal.registration_revoked"
    ref = "R-REG-9"
    label = "以不正当手段取得注册被撤销不满三年的，不予受理"
    title = "Less than 3 years since a registration obtained by improper means was rescinded"
    citations = (PHYSICIANS_LAW.article("第五十四条第二款", "S1"),)
    fix = "撤销决定满三年后再申请"
    kind = RecordKind.REGISTRATION_REVOKED
    years = 3


class ExamFraud(Rule[Payload]):
    """参与有组织作弊，或以伪造、他人医师资格注册的，不予注册 (2017 Art 6(6)(7))."""

    id = "refusal.exam_fraud"
    ref = "R-REG-6"
    label = "参与有组织作弊或以伪造、他人资格申请的，不予注册"
    title = "Organised exam cheating or a forged or borrowed qualification"
    citations = (REGISTRATION_MEASURES.article("第六条第六项、第七项", "S3"),)

    def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
        for record in ctx.physician.records:
            if record.kind in (RecordKind.EXAM_CHEATING, RecordKind.FORGED_QUALIFICATION):
                yield self.violation(
                    f"{record.on.isoformat()}记录：{record.kind.label}",
                    f"record of {record.kind.value.replace('_', ' ')} on {record.on.isoformat()}",
                    record=record.kind.value,
                )


RULES: tuple[Rule, ...] = (
    *before_2022(FullCivilCapacity, "第十五条第一项", "第六条第一项"), FullCivilCapacity(),
    *before_2022(CriminalPunishment, "第十五条第二项", "第六条第二项"), CriminalPunishment(),
    *before_2022(CertificateRevoked, "第十五条第三项", "第六条第三项"), CertificateRevoked(),
    CancelledForFailedAssessment(),
    RegistrationRevoked(),
    ExamFraud(),
)
