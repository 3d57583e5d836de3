"""变更到军队 — a civilian physician joins the army (PLA measures Art 10).

Confirmed by the primary institution of the named registration; decided by the department that
granted it. On approval every local registration and filing of the physician becomes invalid.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

MILITARY_OUT = application_lifecycle(
    "military_out", "变更到军队", approve_label="准予变更到军队", reject_label="不予变更到军队"
)
