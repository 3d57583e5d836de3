"""How pages and the API answer mdreg's errors, and where each side's pages start."""

from __future__ import annotations

from typing import Any

import mdreg
from mdreg import MdregError

STATUS = {mdreg.ValidationError: 400, mdreg.IneligibleError: 422, mdreg.NotFoundError: 404,
          mdreg.PermissionDenied: 404, mdreg.TransitionNotAllowed: 409,
          mdreg.ConcurrencyConflict: 409, mdreg.AuthenticationFailed: 401}
HOME = {"physician": "/me", "institution": "/org", "authority": "/dept"}


def problem(error: MdregError) -> dict[str, Any]:
    """What a page or the API shows of an error: its label, field and message, and for a
    refusal every rule with its citations. Never a stack trace or an ID number (mdreg's messages
    quote none)."""
    found: dict[str, Any] = {"label": error.label, "message": error.message,
                             "field": getattr(error, "field", None),
                             "field_label": getattr(error, "field_label", None)}
    if isinstance(error, mdreg.IneligibleError):
        found["violations"] = [
            {"rule_id": v.rule_id, "label": v.label, "message": v.message, "fix": v.fix,
             "citations": [str(c) for c in v.citations]} for v in error.violations]
    if isinstance(error, mdreg.CodeRejected) and found["field"] is None:  # the code's input
        found.update(field="code", field_label="验证码")
    if isinstance(error, mdreg.PermissionDenied):  # as for an id that does not exist
        found = {"label": "未找到", "message": "not found", "field": None, "field_label": None}
    return found


def status_of(error: MdregError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
