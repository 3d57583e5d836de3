"""注销 — cancellation grounds and who may report them.

Legal basis: 医师法 Art 17 (执业医师法 Art 16 before 2022-03-01); 医师执业注册管理办法 Arts 18–19.
The accepted grounds are data: the policy parameter ``cancellation_grounds`` lists their values
(default: every ground).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

from mdreg.domain.application import CancellationGround, CancellationRequest
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PHYSICIANS_LAW, REGISTRATION_MEASURES
from mdreg.rules.versions import before_2022

#: The legal source of each ground, by value.
GROUND_SOURCES = {
    CancellationGround.DEATH: "医师法第十七条第一项；办法第十八条第一项",
    CancellationGround.CRIMINAL_PUNISHMENT: "医师法第十七条第二项；办法第十八条第二项",
    CancellationGround.CERTIFICATE_REVOKED: "医师法第十七条第三项；办法第十八条第三项",
    CancellationGround.FAILED_REASSESSMENT: "医师法第十七条第四项；办法第十八条第四项",
    CancellationGround.MISSED_ASSESSMENTS: "办法第十八条第五项",
    CancellationGround.SUSPENDED_TWO_YEARS: "医师法第十七条第五项；办法第十八条第六项",
    CancellationGround.HEALTH_UNFIT: "办法第十八条第七项",
    CancellationGround.CERTIFICATE_MISUSE: "办法第十八条第八项",
    CancellationGround.EXAM_CHEATING: "办法第十八条第九项",
    CancellationGround.OWN_REQUEST: "办法第十八条第十项",
    CancellationGround.OTHER: "医师法第十七条第六项；办法第十八条第十一项",
}


class GroundAccepted(Rule[CancellationRequest]):
    """注销须有法定情形；“其他情形”须写明具体情况."""

    id = "cancellation.ground_accepted"
    ref = "R-CAN-1"
    version = 3
    label = "注销须符合法定情形"
    title = "A cancellation names an accepted legal ground"
    citations = (
        PHYSICIANS_LAW.article("第十七条", "S1"),
        REGISTRATION_MEASURES.article("第十八条", "S3"),
    )
    fix = "选择法定的注销情形，“其他情形”须写明具体情况"

    def check(self, ctx: EligibilityContext[CancellationRequest]) -> Iterator[Violation]:
        ground = ctx.payload.ground
        accepted = ctx.parameters.get("cancellation_grounds", [g.value for g in CancellationGround])
        if not isinstance(ground, CancellationGround) or ground.value not in accepted:
            shown = ground.value if isinstance(ground, Enum) else str(ground)
            yield self.violation(f"注销情形「{shown}」不被接受", f"ground {shown!r} is not accepted")
            return
        if ground is CancellationGround.OTHER and not str(ctx.payload.details or "").strip():
            yield self.violation("“其他情形”未写明具体情况", "ground 'other' needs details")


class GroundKnownBeforeReport(Rule[CancellationRequest]):
    """注销情形的知悉日期不得晚于申请日期."""

    id = "cancellation.ground_date"
    ref = "R-CAN-3"
    version = 3
    label = "注销情形的发生日期不得晚于申请日期"
    title = "The date the ground became known is not after the application date"
    citations = (
        PHYSICIANS_LAW.article("第十七条第二款", "S1"),
        REGISTRATION_MEASURES.article("第十八条", "S3"),
    )
    fix = "核对注销情形的发生日期"

    def check(self, ctx: EligibilityContext[CancellationRequest]) -> Iterator[Violation]:
        known = ctx.payload.ground_known_on
        if known is not None and known > ctx.as_of:
            yield self.violation(
                f"注销情形日期{known.isoformat()}晚于申请日期{ctx.as_of.isoformat()}",
                f"ground known on {known.isoformat()}, after the application date",
            )


RULES: tuple[Rule[Any], ...] = (
    *before_2022(GroundAccepted, "第十六条", "第十八条"), GroundAccepted(),
    *before_2022(GroundKnownBeforeReport, "第十六条", "第十八条"), GroundKnownBeforeReport(),
)
