"""个人信息变更 — personal changes the practice institution approves.

待审核 → 审核通过 | 审核不通过 (with a written reason). A new upload while a change of the same
kind is pending replaces it (重新提交; only the latest photo is kept, R-PHOTO-1). A department
choice that needs no approval takes effect at once, by the physician (即时生效, R-DEPT-1). On approval the
change is written to the practice-registration copy only, never to the qualification record
(R-INFO-1, R-INFO-2); a department is chosen from the institution's own list (R-DEPT-1).
"""

from __future__ import annotations

from mdreg.workflows.base import EventSpec, Role, StateSpec, WorkflowDefinition

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"

PERSONAL_CHANGE = WorkflowDefinition(
    "personal_change",
    "个人信息变更",
    initial=PENDING,
    states=(
        StateSpec(PENDING, "待审核"),
        StateSpec(APPROVED, "审核通过", final=True),
        StateSpec(REJECTED, "审核不通过", final=True),
    ),
    events=(
        EventSpec("replace", "重新提交", (PENDING,), PENDING, Role.APPLICANT),
        EventSpec("approve", "审核通过", (PENDING,), APPROVED, Role.INSTITUTION),
        EventSpec("take_effect", "即时生效", (PENDING,), APPROVED, Role.APPLICANT),
        EventSpec("reject", "审核不通过", (PENDING,), REJECTED, Role.INSTITUTION,
                  needs_reason=True),
    ),
)
