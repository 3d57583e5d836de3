"""上限 — caps that keep one application's history bounded.

A workflow may loop (退回 → 重新提交, 补正 → 提交补正材料 …), so without a cap one application
could grow its audit trail and its deadline history without end. The caps are generous: a real
application needs a few dozen events. Passing one raises
:class:`~mdreg.errors.LimitExceeded`, and the command changes nothing.

>>> import mdreg
>>> mdreg.Limits().audit_events_per_application
10000
>>> mdreg.Limits(deadlines_per_kind=0)
Traceback (most recent call last):
...
mdreg.errors.ValidationError: limits: every limit must be at least 1
"""

from __future__ import annotations

import attrs

from mdreg.errors import ValidationError


@attrs.frozen
class Limits:
    """Caps of one registry.

    Attributes:
        audit_events_per_application: events in one application's audit trail (its creation
            included); the command that would append event N+1 is refused.
        deadlines_per_kind: deadlines of one kind ever opened for one application or
            registration (a correction window opens on every 补正 cycle); the command that
            would open deadline M+1 is refused.
    """

    audit_events_per_application: int = 10_000
    deadlines_per_kind: int = 1_000

    def __attrs_post_init__(self) -> None:
        if min(self.audit_events_per_application, self.deadlines_per_kind) < 1:
            raise ValidationError("limits", "every limit must be at least 1",
                                  field_label="系统上限")
