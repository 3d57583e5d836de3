"""申请对象 — what an application acts on must still exist in a usable status.

A cancelled or invalid registration cannot be the target of any further application (R-CAN-5,
an inferred rule: a policy may switch it off).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

from mdreg.domain.application import (
    CancellationRequest,
    ChangeRequest,
    FilingRequest,
    MilitaryOutRequest,
    UpgradeRequest,
)
from mdreg.domain.model import RegistrationStatus
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PHYSICIANS_LAW, REGISTRATION_MEASURES
from mdreg.rules.versions import before_2022

#: The payloads that name a registration to act on (``registration_id``).
TargetedRequest: TypeAlias = (
    UpgradeRequest | MilitaryOutRequest | ChangeRequest | CancellationRequest | FilingRequest
)


class TargetRegistrationUsable(Rule[TargetedRequest]):
    """注销、失效的执业注册不能再办理业务（注销申请可针对备案状态的注册）."""

    id = "target.registration_usable"
    ref = "R-CAN-5"
    version = 3
    label = "已注销或失效的执业注册不能办理业务"
    title = "A cancelled or invalid registration cannot be the target of an application"
    citations = (
        PHYSICIANS_LAW.article("第十七条", "S1"),
        REGISTRATION_MEASURES.article("第十八条、第十九条", "S3"),
    )
    inferred = True
    fix = "请先办理“注册”"

    def check(self, ctx: EligibilityContext[TargetedRequest]) -> Iterator[Violation]:
        target = ctx.registration_named(ctx.payload.registration_id)
        if target is None:
            return
        usable = {RegistrationStatus.VALID}
        if isinstance(ctx.payload, CancellationRequest):
            usable.add(RegistrationStatus.FILED)
        if target.status not in usable:
            yield self.violation(
                f"执业注册{target.id}的状态为「{target.status.label}」",
                f"registration {target.id} is {target.status.value}",
                registration=target.id, status=target.status.value,
            )


RULES: tuple[Rule[Any], ...] = (
    *before_2022(TargetRegistrationUsable, "第十六条", "第十八条、第十九条"), TargetRegistrationUsable(),
)
