"""注册 — practice registration (医师法 Art 13; 医师执业注册管理办法 Arts 5–12).

Confirmed by the intended primary institution; decided by the health department that approved
that institution. On approval the registry gains a valid registration whose practice location is
the institution's province (执业医师) or county (执业助理医师).
"""

from __future__ import annotations

from mdreg.workflows.lifecycle import application_lifecycle

REGISTRATION = application_lifecycle(
    "registration", "注册", approve_label="准予注册", reject_label="不予注册"
)
