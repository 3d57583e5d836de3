"""投递 — the dispatcher that delivers the outbox's messages, at least once.

A :class:`Dispatcher` claims a batch of due messages (one committed unit of work: each is leased
to it for ``lease``), hands each to the sender of its channel, and reports the outcomes in a
second unit: sent (the body is erased), failed (tried again after an exponential backoff with
full jitter) or parked (after ``max_attempts`` claims, or a permanent failure). Several
dispatchers — threads, processes, hosts — may run at once on one registry: a message is leased
to one at a time. A dispatcher that dies leaves its batch leased until the lease runs out; then
another delivers the messages it had not reported, so a message can arrive twice, never not
at all. Each carries its id for the receiving end to drop the repeat
(:mod:`mdreg.infra.senders`).

Logs and stored errors hold message ids, channels and short reasons: never a recipient, a body or
an exception's text (a driver's message may quote an address).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import attrs

from mdreg.domain.account import Channel, OutboxCounts, OutboxMessage
from mdreg.errors import DeliveryFailed, LeaseLost, ValidationError
from mdreg.infra.retry import Retry
from mdreg.infra.senders import Sender
from mdreg.ports import UnitOfWork
from mdreg.service.portal_base import HasServices
from mdreg.service.services import RETRY, Services, read, transact

_log = logging.getLogger(__name__)

#: What the dispatcher tells the outbox for one message: ``sent``, ``failed`` or ``parked``.
Outcome = tuple[str, OutboxMessage, str]


@attrs.frozen
class DeliveryReport:
    """What :meth:`Dispatcher.run_once` (or :meth:`Dispatcher.run`, summed) did.

    Attributes:
        claimed: messages leased to this dispatcher.
        sent: delivered and reported.
        failed: failed, to be tried again later.
        parked: given up (too many attempts, or a permanent failure).
        lost: outcomes the outbox refused because the lease had run out meanwhile (another
            dispatcher has the message now).
        skipped: claimed but not tried, because the lease was about to run out.
    """

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    parked: int = 0
    lost: int = 0
    skipped: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(*(a + b for a, b in zip(attrs.astuple(self), attrs.astuple(other),
                                                      strict=True)))


def default_owner() -> str:
    """``host:pid:random``, unique to one dispatcher."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def outbox_counts(registry: HasServices | Services) -> OutboxCounts:
    """How many of the registry's outbox messages are pending, leased, sent and parked now."""
    services = registry if isinstance(registry, Services) else registry.services
    now = services.now()
    return read(services, lambda uow: uow.outbox.counts(now))


#: The default backoff: up to 30 s after the first failure, doubling, at most an hour.
BACKOFF = Retry(attempts=1, on=(DeliveryFailed,), base_delay=30.0, max_delay=3600.0)


class Dispatcher:
    """Delivers the outbox's messages through ``senders`` (one per channel it serves).

    Args:
        registry: the registry (or its :class:`~mdreg.service.services.Services`).
        senders: the sender of each channel; messages of other channels are left to other
            dispatchers.
        owner: this dispatcher's name on its leases (unique: host, pid and a random part by
            default).
        lease: how long a claimed batch stays this dispatcher's; it stops sending a batch once
            four fifths of the lease are gone and leaves the rest to a later claim.
        batch: messages claimed at once.
        max_attempts: claims of one message before it is parked.
        backoff: the wait before the next attempt after the ``n``-th failure is
            ``backoff.delay(n - 1)``: random in ``[0, min(max_delay, base_delay * 2**(n-1))]``
            (:data:`BACKOFF` by default).

    Raises:
        ValidationError: ``lease``, ``batch`` or ``max_attempts`` is not positive, or there is
            no sender.

    >>> import mdreg
    >>> from mdreg.infra.senders import ConsoleSender
    >>> dispatcher = Dispatcher(mdreg.open("memory://"), {Channel.SMS: ConsoleSender()})
    >>> dispatcher.run_once()
    DeliveryReport(claimed=0, sent=0, failed=0, parked=0, lost=0, skipped=0)
    """

    def __init__(self, registry: HasServices | Services, senders: Mapping[Channel, Sender], *,
                 owner: str | None = None, lease: timedelta = timedelta(seconds=60),
                 batch: int = 100, max_attempts: int = 8, backoff: Retry = BACKOFF) -> None:
        if not senders:
            raise ValidationError("senders", "a dispatcher needs at least one sender")
        for name, value in (("lease", lease.total_seconds()), ("batch", batch),
                            ("max_attempts", max_attempts)):
            if value <= 0:
                raise ValidationError(name, "must be positive")
        self.services = registry if isinstance(registry, Services) else registry.services
        self.senders = dict(senders)
        self.owner = owner or default_owner()
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff = backoff

    def run_once(self) -> DeliveryReport:
        """Claim one batch, deliver it and report the outcomes."""
        start = self.services.now()
        claimed = self._claim(start)
        if not claimed:
            return DeliveryReport()
        outcomes = self._deliver(claimed, start + self.lease * 0.8)
        return self._report(outcomes, claimed=len(claimed))

    def run(self, until: datetime | Callable[[], bool] | None = None, *, idle: float = 1.0,
            sleep: Callable[[float], object] = time.sleep) -> DeliveryReport:
        """Run batches until ``until`` (a time on the registry's clock, or a function that says
        when to stop; forever by default), sleeping ``idle`` seconds whenever nothing was due."""
        done = DeliveryReport()
        while not self._over(until):
            report = self.run_once()
            done += report
            if not report.claimed:
                sleep(idle)
        return done

    def counts(self) -> OutboxCounts:
        """How many messages are pending, leased, sent and parked now."""
        return outbox_counts(self.services)

    # -- the steps ----------------------------------------------------------------------------

    def _over(self, until: datetime | Callable[[], bool] | None) -> bool:
        if until is None:
            return False
        if isinstance(until, datetime):
            return self.services.now() >= until
        return until()

    def _claim(self, now: datetime) -> tuple[OutboxMessage, ...]:
        channels = frozenset(self.senders)
        return RETRY.call(lambda: transact(self.services, lambda uow: uow.outbox.claim(
            self.owner, now, self.lease, self.batch, channels)))

    def _deliver(self, claimed: tuple[OutboxMessage, ...], stop_at: datetime) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for message in claimed:
            if self.services.now() >= stop_at:
                _log.warning("lease of %s nearly over: %d message(s) left for a later claim",
                             self.owner, len(claimed) - len(outcomes))
                break
            outcomes.append(self._attempt(message))
        return outcomes

    def _attempt(self, message: OutboxMessage) -> Outcome:
        if message.attempts > self.max_attempts:  # claimed again after crashes, never reported
            return "parked", message, "too many attempts"
        try:
            self.senders[message.channel].send(message)
        except DeliveryFailed as error:
            return self._failure(message, error.reason, permanent=error.permanent)
        except Exception as error:  # a sender's bug fails one message, not the batch
            return self._failure(message, type(error).__name__, permanent=False)
        _log.info("delivered %s (%s)", message.id, message.channel.value)
        return "sent", message, ""

    def _failure(self, message: OutboxMessage, reason: str, *, permanent: bool) -> Outcome:
        give_up = permanent or message.attempts >= self.max_attempts
        _log.warning("delivery of %s (%s) failed, attempt %d: %s%s", message.id,
                     message.channel.value, message.attempts, reason,
                     "; parked" if give_up else "")
        return ("parked" if give_up else "failed"), message, reason

    def _report(self, outcomes: list[Outcome], *, claimed: int) -> DeliveryReport:
        now = self.services.now()

        def record(uow: UnitOfWork) -> DeliveryReport:
            counts = {"sent": 0, "failed": 0, "parked": 0, "lost": 0}
            for kind, message, reason in outcomes:
                try:
                    self._record(uow, kind, message, reason, now)
                    counts[kind] += 1
                except LeaseLost:
                    _log.warning("lease of %s on %s ran out before its report", self.owner,
                                 message.id)
                    counts["lost"] += 1
            return DeliveryReport(claimed=claimed, skipped=claimed - len(outcomes), **counts)

        return RETRY.call(lambda: transact(self.services, record))

    def _record(self, uow: UnitOfWork, kind: str, message: OutboxMessage, reason: str,
                now: datetime) -> None:
        outbox = uow.outbox
        if kind == "sent":
            outbox.mark_sent(message.id, now, self.owner)
        elif kind == "parked":
            outbox.park(message.id, self.owner, now, reason)
        else:
            retry_at = now + timedelta(seconds=self.backoff.delay(message.attempts - 1))
            outbox.failed(message.id, self.owner, now, reason, retry_at)
