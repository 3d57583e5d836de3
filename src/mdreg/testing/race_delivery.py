"""Dispatchers in several processes on one outbox: the delivery checks (D-01, D-02).

:func:`delivery_race` writes ``messages`` outbox messages, then starts ``processes``
dispatchers (``spawn``, lined up at a barrier) whose sender appends each message id it is given
to a file of its own, one line per delivery; they run until nothing is pending or leased. With
``kill_after``, dispatcher 0 ends itself with ``os._exit`` right after its ``kill_after``-th
delivery, before it reports its batch, so the messages of that batch it had sent stay leased to
it until the lease runs out and another dispatcher sends them again. The others start once it
has sent its first message, so that it surely gets a batch: keep ``kill_after`` within it.

* D-01 (all healthy): every message delivered exactly once.
* D-02 (one killed mid-batch): every message delivered at least once; the repeats are exactly
  the killed dispatcher's sent, unreported messages.

Like :mod:`mdreg.testing.race`, it imports neither pytest nor hypothesis.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

import mdreg
from mdreg.domain.account import Channel, OutboxMessage
from mdreg.service.delivery import Dispatcher

AT = datetime(2026, 3, 2, 1, tzinfo=UTC)


@attrs.frozen
class DeliveryRace:
    """What the dispatchers delivered.

    Attributes:
        deliveries: deliveries per message id, over all dispatchers.
        unreported: the ids the killed dispatcher sent in the batch it never reported (empty
            without a kill).
        exit_codes: each dispatcher's exit code (the killed one's is 3).
        seconds: from the barrier to the last dispatcher's exit.
    """

    messages: int
    deliveries: Counter[str]
    unreported: frozenset[str]
    exit_codes: tuple[int | None, ...]
    seconds: float

    @property
    def missing(self) -> int:
        return self.messages - len(self.deliveries)

    @property
    def repeated(self) -> frozenset[str]:
        return frozenset(k for k, n in self.deliveries.items() if n > 1)

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


class FileSender:
    """Appends each id to ``path`` (one unbuffered write per line); with ``kill_after``, ends
    the process right after that many deliveries."""

    def __init__(self, path: Path, kill_after: int | None = None,
                 started: threading.Event | None = None) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._kill_after = kill_after
        self._started = started
        self.count = 0

    def send(self, message: OutboxMessage) -> None:
        os.write(self._fd, f"{message.id}\n".encode())
        self.count += 1
        if self._started is not None:
            self._started.set()
        if self.count == self._kill_after:
            os._exit(3)


def post(url: str, messages: int) -> None:
    """Write ``messages`` SMS messages to the outbox of ``url`` (one unit of work)."""
    registry = mdreg.open(url)
    with registry.services.uow() as uow:
        for n in range(messages):
            uow.outbox.add(OutboxMessage(f"M{n:06d}", Channel.SMS, "13800138000", "notice",
                                         f"正文 {n}", "U1", AT + timedelta(microseconds=n)))
        uow.commit()
    registry.release()


def delivery_race(url: str, folder: Path, *, processes: int, messages: int, batch: int = 100,
                  kill_after: int | None = None, lease: timedelta = timedelta(seconds=30),
                  timeout: float = 600.0) -> DeliveryRace:
    """Run the race on the empty, migrated store ``url``; the delivery files go to ``folder``."""
    post(url, messages)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    started = context.Event()
    if kill_after is None:
        started.set()
    files = [folder / f"dispatcher-{n}.txt" for n in range(processes)]
    workers = [context.Process(target=_dispatch, daemon=True, args=(
        url, files[n], barrier, started, batch, lease, kill_after if n == 0 else None))
        for n in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait(120)
    start = time.monotonic()
    for worker in workers:
        worker.join(max(1.0, timeout - (time.monotonic() - start)))
    seconds = time.monotonic() - start
    for worker in workers:
        if worker.is_alive():  # pragma: no cover - reported by the exit codes
            worker.kill()
    sent = [f.read_text().split() if f.exists() else [] for f in files]
    unreported: frozenset[str] = frozenset()
    if kill_after is not None:
        unreported = frozenset(sent[0][(kill_after - 1) // batch * batch:])
    return DeliveryRace(messages, Counter(i for lines in sent for i in lines), unreported,
                        tuple(w.exitcode for w in workers), seconds)


def _dispatch(url: str, path: Path, barrier: threading.Barrier, started: threading.Event,
              batch: int, lease: timedelta, kill_after: int | None) -> None:
    registry = mdreg.open(url, migrate=False)
    sender = FileSender(path, kill_after, started if kill_after is not None else None)
    dispatcher = Dispatcher(registry, {Channel.SMS: sender}, batch=batch, lease=lease)
    barrier.wait(120)
    if kill_after is None:
        started.wait(120)
    while True:
        if dispatcher.run_once().claimed:
            continue
        counts = dispatcher.counts()
        if counts.pending + counts.leased == 0:
            break
        time.sleep(0.05)
    registry.release()
