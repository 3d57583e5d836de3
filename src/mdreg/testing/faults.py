"""Fault injection for the reliability tests.

* :func:`failing_at` makes one event of one workflow raise :class:`InjectedFault` at one stage of
  ``transitions`` (``prepare`` … ``finalize_event``, :data:`~mdreg.workflows.base.STAGES`), for
  the duration of a ``with`` block, in this process.
* :class:`KillSwitch` is a :attr:`~mdreg.adapters.sql.SqlStore.hook` that kills its own process
  with ``SIGKILL`` the n-th time a unit of work reaches one stage (``wrote:application``,
  ``wrote:audit``, ``wrote:outbox``, ``commit`` …): a crash at a chosen point inside a unit.

>>> from mdreg.domain.application import BusinessType
>>> from mdreg.workflows import workflow_for
>>> flow = workflow_for(BusinessType.REGISTRATION)
>>> with failing_at(BusinessType.REGISTRATION, "submit", "on_enter"):
...     flow.fire("draft", "submit")
Traceback (most recent call last):
...
mdreg.testing.faults.InjectedFault: submit failed at on_enter
>>> flow.fire("draft", "submit")
'pending_institution'
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from mdreg.domain.application import BusinessType
from mdreg.workflows import workflow_for
from mdreg.workflows.base import STAGES, Workflow

__all__ = ["STAGES", "InjectedFault", "KillSwitch", "failing_at"]


class InjectedFault(RuntimeError):
    """The error :func:`failing_at` raises: not an :class:`~mdreg.errors.MdregError`, so nothing
    mistakes it for a refusal or retries it."""


@contextmanager
def failing_at(workflow: BusinessType | Workflow, event: str, stage: str) -> Iterator[None]:
    """Within the block, firing ``event`` raises :class:`InjectedFault` at ``stage``.

    Raises:
        ValueError: an unknown event or stage.
    """
    flow = workflow if isinstance(workflow, Workflow) else workflow_for(workflow)

    def fail() -> None:
        raise InjectedFault(f"{event} failed at {stage}")

    detach = flow.attach(event, stage, fail)
    try:
        yield
    finally:
        detach()


class KillSwitch:
    """A SQL store hook that kills the process (``SIGKILL``: no cleanup, no rollback, no
    ``finally``) the ``occurrence``-th time a unit of work reaches ``stage``.

    Before dying it appends ``stage`` and a newline to ``log`` (if given), with one
    ``write(2)``: the kernel keeps it whatever happens to the process next.
    """

    def __init__(self, stage: str, occurrence: int = 1, log: str | None = None) -> None:
        self.stage = stage
        self.occurrence = occurrence
        self.log = log
        self.seen = 0

    def __call__(self, stage: str) -> None:
        if stage != self.stage:
            return
        self.seen += 1
        if self.seen < self.occurrence:
            return
        if self.log is not None:
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(fd, f"{stage}\n".encode())
            os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
