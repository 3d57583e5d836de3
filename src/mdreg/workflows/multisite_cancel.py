"""申请取消“多地点执业” — cancelling a legacy multi-site record (they are never created).

Confirmed by the primary institution of the registration; decided by its registering department.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

MULTISITE_CANCEL = application_lifecycle(
    "multisite_cancel", "申请取消“多地点执业”",
    approve_label="准予取消多地点执业", reject_label="不予取消多地点执业",
)
