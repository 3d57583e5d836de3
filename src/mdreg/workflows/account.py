"""个人端账户 — the personal-portal account lifecycle.

已注册 (name and ID number matched a qualification or practice record, R-ACC-1) → 已验证 (phone
SMS code, or the e-mail code when the phone cannot receive it, R-PHONE-1) → 已激活 by one of the
four paths of the official FAQ: the activation code the current primary institution generated,
the institution's auto-activation, the qualification certificate number when there is no valid
registration (R-ACC-3, R-ACC-4), or the approval of a 注册 or 变更 (R-ACC-5). Only an active
account may submit business applications (R-ACC-2).
"""

from __future__ import annotations

from mdreg.workflows.base import EventSpec, Role, StateSpec, WorkflowDefinition

REGISTERED = "registered"
VERIFIED = "verified"
ACTIVE = "active"

#: The events that activate an account, one per path.
ACTIVATION_EVENTS = frozenset({
    "activate_with_code", "auto_activate", "activate_with_qualification", "activate_on_approval",
})

ACCOUNT = WorkflowDefinition(
    "account",
    "个人端账户",
    initial=REGISTERED,
    states=(
        StateSpec(REGISTERED, "已注册"),
        StateSpec(VERIFIED, "已验证"),
        StateSpec(ACTIVE, "已激活", final=True),
    ),
    events=(
        EventSpec("verify_phone", "手机验证", (REGISTERED,), VERIFIED, Role.APPLICANT),
        EventSpec("verify_email", "邮箱验证", (REGISTERED,), VERIFIED, Role.APPLICANT),
        EventSpec("activate_with_code", "输入机构激活码", (VERIFIED,), ACTIVE, Role.APPLICANT),
        EventSpec("auto_activate", "机构自动激活", (VERIFIED,), ACTIVE, Role.SYSTEM),
        EventSpec("activate_with_qualification", "输入资格证书编码", (VERIFIED,), ACTIVE,
                  Role.APPLICANT),
        EventSpec("activate_on_approval", "注册或变更审核通过", (VERIFIED,), ACTIVE,
                  Role.AUTHORITY),
    ),
)
