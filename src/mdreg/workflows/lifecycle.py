"""业务申请通用流程 — the application lifecycle every business type specialises.

提交 (applicant) → 机构确认 or 机构退回 (institution) → 受理, 要求补正 or 不予受理 (authority) →
准予 or 不予 with a written reason (authority); resubmission after 退回/补正; withdrawal before a
decision. Legal basis: 行政许可法 Arts 32 (受理/补正), 38 (written refusal); 医师法 Arts 13, 16.
"""

from __future__ import annotations

from mdreg.domain.application import (
    APPROVED,
    DRAFT,
    NEEDS_CORRECTION,
    NOT_ACCEPTED,
    OPEN_STATES,
    PENDING_ACCEPTANCE,
    PENDING_INSTITUTION,
    REJECTED,
    RETURNED,
    UNDER_REVIEW,
    WITHDRAWN,
)
from mdreg.workflows.base import EventSpec, Role, StateSpec, WorkflowDefinition

__all__ = [
    "APPROVED", "DRAFT", "NEEDS_CORRECTION", "NOT_ACCEPTED", "OPEN_STATES", "PENDING_ACCEPTANCE",
    "PENDING_INSTITUTION", "REJECTED", "RETURNED", "UNDER_REVIEW", "WITHDRAWN",
    "application_lifecycle",
]



def application_lifecycle(
    workflow_id: str, label: str, *, approve_label: str = "准予", reject_label: str = "不予批准"
) -> WorkflowDefinition:
    """The common lifecycle, with the decision labels of one business type."""
    return WorkflowDefinition(
        workflow_id,
        label,
        initial=DRAFT,
        states=(
            StateSpec(DRAFT, "草稿"),
            StateSpec(PENDING_INSTITUTION, "待机构确认"),
            StateSpec(PENDING_ACCEPTANCE, "待受理"),
            StateSpec(UNDER_REVIEW, "已受理（审核中）"),
            StateSpec(RETURNED, "已退回"),
            StateSpec(NEEDS_CORRECTION, "待补正"),
            StateSpec(APPROVED, approve_label, final=True),
            StateSpec(REJECTED, reject_label, final=True),
            StateSpec(NOT_ACCEPTED, "不予受理", final=True),
            StateSpec(WITHDRAWN, "已撤回", final=True),
        ),
        events=(
            EventSpec("submit", "提交申请", (DRAFT,), PENDING_INSTITUTION, Role.APPLICANT,
                      stamp="submitted_at"),
            EventSpec("confirm", "机构确认", (PENDING_INSTITUTION,), PENDING_ACCEPTANCE,
                      Role.INSTITUTION),
            EventSpec("send_back", "机构退回", (PENDING_INSTITUTION,), RETURNED, Role.INSTITUTION,
                      needs_reason=True),
            EventSpec("resubmit", "重新提交", (RETURNED,), PENDING_INSTITUTION, Role.APPLICANT),
            EventSpec("accept", "受理", (PENDING_ACCEPTANCE,), UNDER_REVIEW, Role.AUTHORITY,
                      stamp="accepted_at"),
            EventSpec("request_correction", "要求补正", (PENDING_ACCEPTANCE,), NEEDS_CORRECTION,
                      Role.AUTHORITY, needs_corrections=True),
            EventSpec("supplement", "提交补正材料", (NEEDS_CORRECTION,), PENDING_ACCEPTANCE,
                      Role.APPLICANT),
            EventSpec("refuse_acceptance", "不予受理", (PENDING_ACCEPTANCE,), NOT_ACCEPTED,
                      Role.AUTHORITY, needs_reason=True, stamp="decided_at"),
            EventSpec("return_to_applicant", "退回申请人", (UNDER_REVIEW,), RETURNED,
                      Role.AUTHORITY, needs_reason=True),
            EventSpec("approve", approve_label, (UNDER_REVIEW,), APPROVED, Role.AUTHORITY,
                      stamp="decided_at"),
            EventSpec("reject", reject_label, (UNDER_REVIEW,), REJECTED, Role.AUTHORITY,
                      needs_reason=True, stamp="decided_at"),
            EventSpec("withdraw", "撤回申请",
                      (DRAFT, PENDING_INSTITUTION, PENDING_ACCEPTANCE, RETURNED, NEEDS_CORRECTION),
                      WITHDRAWN, Role.APPLICANT),
        ),
    )
