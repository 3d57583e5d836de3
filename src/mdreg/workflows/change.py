"""变更 — change of practice location, scope, category or primary institution (医师法 Art 18).

Confirmed by the intended (new) institution; decided by the department that granted the
registration, or — by default — the department that approved a new primary institution.
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

CHANGE = application_lifecycle(
    "change", "变更", approve_label="准予变更", reject_label="不予变更"
)
