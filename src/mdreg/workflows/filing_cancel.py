"""多执业机构取消备案 — cancelling an active filing.

Confirmed by the filed institution; decided by the department that approved the filing.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

FILING_CANCEL = application_lifecycle(
    "filing_cancel", "多执业机构取消备案", approve_label="准予取消备案", reject_label="不予取消备案"
)
