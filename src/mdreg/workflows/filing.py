"""多执业机构备案 — filing another institution inside the registration's practice location
(2017 measures Art 10).

Confirmed by the filed institution; decided by the department that approved it. On approval a
filing with start and end dates hangs under the registration.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

FILING = application_lifecycle(
    "filing", "多执业机构备案", approve_label="准予备案", reject_label="不予备案"
)
