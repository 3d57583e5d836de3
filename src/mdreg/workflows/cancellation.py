"""注销 — cancellation of a registration (医师法 Art 17; 2017 measures Art 18).

Applied for by the physician or by the primary institution; confirmed by the primary
institution; decided by the department that granted the registration. Person-wide grounds end
every registration of the physician (policy parameter ``person_wide_cancellation``).
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

CANCELLATION = application_lifecycle(
    "cancellation", "注销", approve_label="准予注销", reject_label="不予注销"
)
