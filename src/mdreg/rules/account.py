"""个人账户 — who may hand an application in through the personal portal.

Legal basis: the national system's FAQ (激活后系统开放所有功能): a physician's portal account opens
its functions, business applications among them, only once activated. An institution applying
for its staff (医师法 Art 13) does not use the physician's account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mdreg.domain.application import ActorKind, Payload
from mdreg.rules.base import EligibilityContext, Rule, Violation
from mdreg.rules.citations import PORTAL_HELP

#: The account state that may submit (:data:`mdreg.workflows.account.ACTIVE`).
ACTIVE = "active"


class AccountActive(Rule[Payload]):
    """医师本人提交业务申请，须使用已激活的个人账户 (policy parameter ``require_active_account``)."""

    id = "account.active"
    ref = "R-ACC-2"
    label = "医师须通过已激活的个人账户提交业务申请"
    title = "A physician submits applications only through an ACTIVE portal account"
    citations = (PORTAL_HELP.article("常见问题：账户激活（激活后系统开放所有功能）", "S9"),)
    fix = "先激活个人账户（机构激活码、资格证书编码或机构自动激活）"
    reads_account = True

    def check(self, ctx: EligibilityContext[Payload]) -> Iterator[Violation]:
        applicant = ctx.application.applicant
        if applicant.kind is not ActorKind.PHYSICIAN:
            return
        if not ctx.parameters.get("require_active_account", True):
            return
        if ctx.account_state != ACTIVE:
            state = ctx.account_state or "none"
            yield self.violation(
                f"个人账户未激活（{'无账户' if not ctx.account_state else ctx.account_state}）",
                f"the physician's portal account is not active: {state}",
                account_state=ctx.account_state,
            )


#: Checked when an application is handed in (``submit``) by every business type.
SUBMISSION_RULES: tuple[Rule[Any], ...] = (AccountActive(),)
