"""上限 — caps that keep one application's history and written text bounded.

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

from mdreg.domain.inputs import text
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
        text_characters: characters in one piece of written text (a reason, one correction).
        corrections: items in one request for corrections (补正).
    """

    audit_events_per_application: int = 10_000
    deadlines_per_kind: int = 1_000
    text_characters: int = 2_000
    corrections: int = 100

    def __attrs_post_init__(self) -> None:
        if min(self.audit_events_per_application, self.deadlines_per_kind,
               self.text_characters, self.corrections) < 1:
            raise ValidationError("limits", "every limit must be at least 1",
                                  field_label="系统上限")


#: Characters that show nothing: a text of only these (and spaces) says nothing.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def written_text(value: object, field: str, label: str, limit: int, *,
                 required: bool = False) -> str:
    r"""``value`` as written text for the record: a string of at most ``limit`` characters,
    stripped, without control characters (line breaks and tabs allowed) or lone surrogates, and
    — when ``required`` — with something visible in it.

    >>> written_text(" 照片不清晰\n", "reason", "理由", 100)
    '照片不清晰'
    >>> written_text("\u200b", "reason", "理由", 100, required=True)
    Traceback (most recent call last):
    ...
    mdreg.errors.ValidationError: reason: write something visible
    """
    written = text(value, field, label, limit).strip()
    if required and not visible(written):
        raise ValidationError(field, "write something visible", field_label=label)
    return written


def visible(text: str) -> bool:
    """Whether ``text`` shows anything (not only spaces and zero-width characters)."""
    return any(not ch.isspace() and ch not in _INVISIBLE for ch in text)


def field_text(value: object, field: str, label: str, limit: int) -> str:
    r"""``value`` as a one-line form field (a login name, a name, a phone number …): a string
    of at most ``limit`` characters without control characters (line breaks and tabs
    included), line separators or lone surrogates; stripped. Whether it is *well formed* is
    the caller's check.

    >>> field_text(" doctor7 ", "login_name", "用户名", 64)
    'doctor7'
    >>> field_text(None, "login_name", "用户名", 64)
    Traceback (most recent call last):
    ...
    mdreg.errors.ValidationError: login_name: must be text, not NoneType
    """
    return text(value, field, label, limit, one_line=True).strip()
