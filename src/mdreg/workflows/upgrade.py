"""助理医师升执业医师 — an assistant who obtained the 执业医师 qualification upgrades the registration.

Same category and same primary institution (portal help, 业务说明 2). Confirmed by the primary
institution; decided by the department that approved it. On approval the assistant registration
becomes invalid and a province-level 执业医师 registration replaces it.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

UPGRADE = application_lifecycle(
    "upgrade", "助理医师升执业医师", approve_label="准予升级", reject_label="不予升级"
)
