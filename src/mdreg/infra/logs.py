"""日志 — the ``mdreg`` logger hierarchy and one structured record per command.

mdreg logs through :mod:`logging` and configures nothing: the host chooses handlers and levels.
Every logger is below ``mdreg``:

* ``mdreg.command`` — one record per registry command (:meth:`mdreg.Registry.apply`,
  :meth:`mdreg.Registry.fire`): INFO, WARNING when the command failed unexpectedly;
* ``mdreg.accounts`` — the personal portal's steps (sign-up, codes, activation);
* ``mdreg.service.tick`` — deadlines the scheduler could not apply;
* ``mdreg.bootstrap`` — opening a registry;
* ``mdreg.domain.calendar`` — working days counted by the weekday fallback.

A command's record carries, as attributes (``logging``'s ``extra``), ``command`` (``apply`` or
``fire``), ``business_type``, ``event``, ``application_id``, ``actor_kind``, ``outcome``
(:data:`OUTCOMES`), ``error`` (the error's class name, or ``None``) and ``duration_ms``. It
holds internal ids and kinds only — never a name, an ID number, a phone number, a reason or an
error's message, which may quote personal data.

>>> from mdreg.errors import ConcurrencyConflict
>>> with command_log("fire", "approve", "authority", application_id="A-1") as entry:
...     entry.business_type = "registration"
>>> outcome_of(ValueError("?")), outcome_of(ConcurrencyConflict("application", "A-1", 1, 2))
('error', 'conflict')
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import attrs

from mdreg.errors import (
    CalendarDataMissing,
    ConflictError,
    DefinitionError,
    MdregError,
    PersistenceError,
    SerializationError,
)

#: The logger of commands.
COMMAND_LOG: Final = logging.getLogger("mdreg.command")

#: How a command ended: done; refused (the request is wrong, not allowed or not eligible — the
#: caller may fix it); lost to a concurrent writer or a uniqueness rule; failed otherwise.
OUTCOMES: Final = ("ok", "refused", "conflict", "error")

_FAILURES = (PersistenceError, DefinitionError, CalendarDataMissing, SerializationError)

def outcome_of(error: Exception) -> str:
    """The outcome a command that raised ``error`` ends with (one of :data:`OUTCOMES`)."""
    if isinstance(error, ConflictError):
        return "conflict"
    if isinstance(error, MdregError) and not isinstance(error, _FAILURES):
        return "refused"
    return "error"


@attrs.define
class CommandEntry:
    """What the record of a command will say; the command fills in what it learns."""

    command: str
    event: str
    actor_kind: str
    business_type: str | None = None
    application_id: str | None = None

    def fields(self, outcome: str, error: str | None, duration_ms: float) -> dict[str, object]:
        """The record's attributes."""
        return {**attrs.asdict(self), "outcome": outcome, "error": error,
                "duration_ms": round(duration_ms, 3)}


@contextmanager
def command_log(command: str, event: str, actor_kind: str, *, business_type: str | None = None,
                application_id: str | None = None) -> Iterator[CommandEntry]:
    """Log one record on ``mdreg.command`` when the block ends: its outcome and duration.

    An exception is logged (outcome and class name) and raised again.
    """
    entry = CommandEntry(command, event, actor_kind, business_type, application_id)
    start = time.perf_counter()
    try:
        yield entry
    except Exception as error:
        _emit(entry, outcome_of(error), type(error).__name__, start)
        raise
    _emit(entry, "ok", None, start)


def _emit(entry: CommandEntry, outcome: str, error: str | None, start: float) -> None:
    duration_ms = (time.perf_counter() - start) * 1000
    level = logging.WARNING if outcome == "error" else logging.INFO
    if not COMMAND_LOG.isEnabledFor(level):
        return
    COMMAND_LOG.log(level, "%s %s %s %s: %s%s in %.1f ms", entry.command,
                    entry.business_type or "-", entry.event, entry.application_id or "-", outcome,
                    f" ({error})" if error else "", duration_ms,
                    extra=entry.fields(outcome, error, duration_ms))
