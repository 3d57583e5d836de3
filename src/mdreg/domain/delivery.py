"""投递 — how an outbox message moves between pending, leased, sent and parked.

Pure functions over :class:`~mdreg.domain.account.OutboxMessage`, shared by every outbox
adapter: each checks that the reporting dispatcher holds the lease and returns the message as it
is to be stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from mdreg.domain.account import OutboxCounts, OutboxMessage
from mdreg.errors import LeaseLost

#: The longest last error kept with a message.
MAX_ERROR = 200


def leased(message: OutboxMessage, owner: str, now: datetime, lease: timedelta) -> OutboxMessage:
    """``message`` leased to ``owner`` until ``now + lease``, one more attempt counted."""
    return attrs.evolve(message, lease_owner=owner, lease_until=now + lease,
                        attempts=message.attempts + 1)


def require_lease(message: OutboxMessage, owner: str) -> None:
    """Raises :class:`~mdreg.errors.LeaseLost` unless ``owner`` holds the lease of the
    undelivered, unparked ``message``."""
    if message.sent_at is not None or message.parked_at is not None \
            or message.lease_owner != owner:
        raise LeaseLost(message.id, owner)


def delivered(message: OutboxMessage, at: datetime, owner: str | None) -> OutboxMessage:
    """``message`` delivered at ``at`` (its body erased, its lease ended); a message delivered
    before stays as it was. ``owner`` (a dispatcher) must hold the lease."""
    if message.sent_at is not None:
        return message
    if owner is not None:
        require_lease(message, owner)
    return attrs.evolve(message, sent_at=at, body="", lease_owner=None, lease_until=None)


def retried(message: OutboxMessage, owner: str, error: str, retry_at: datetime) -> OutboxMessage:
    """A failed attempt by ``owner``: the lease ended, the next attempt from ``retry_at``."""
    require_lease(message, owner)
    return attrs.evolve(message, lease_owner=None, lease_until=None, next_attempt_at=retry_at,
                        last_error=short(error))


def parked(message: OutboxMessage, owner: str, at: datetime, error: str) -> OutboxMessage:
    """``message`` given up by ``owner`` at ``at``."""
    require_lease(message, owner)
    return attrs.evolve(message, lease_owner=None, lease_until=None, parked_at=at,
                        last_error=short(error))


def short(error: str) -> str:
    """One line of at most :data:`MAX_ERROR` characters."""
    line = " ".join(error.split())
    return line if len(line) <= MAX_ERROR else line[:MAX_ERROR - 1] + "…"


def count(messages: list[OutboxMessage], now: datetime) -> OutboxCounts:
    """The :class:`~mdreg.domain.account.OutboxCounts` of ``messages`` at ``now``."""
    states = [m.state(now) for m in messages]
    return OutboxCounts(pending=states.count("pending"), leased=states.count("leased"),
                        sent=states.count("sent"), parked=states.count("parked"))
