"""军队变更入 — a military physician moves into civilian practice (PLA measures Art 9).

Needs the military registering organ's proof. Confirmed by the intended institution; decided by
the department that approved it. On approval a civilian registration is created.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

MILITARY_IN = application_lifecycle(
    "military_in", "军队变更入", approve_label="准予转入", reject_label="不予转入"
)
