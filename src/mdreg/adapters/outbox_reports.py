"""What every outbox adapter shares: a dispatcher's reports on a message it holds, checked by
:mod:`mdreg.domain.delivery` between the adapter's locking read and its write."""

from __future__ import annotations

import abc
from datetime import datetime

from mdreg.domain import delivery
from mdreg.domain.account import OutboxMessage
from mdreg.ports import OutboxRepository


class LeasedOutbox(OutboxRepository):
    """:meth:`mark_sent`, :meth:`failed` and :meth:`park` on top of :meth:`_locked` and
    :meth:`_store`."""

    def mark_sent(self, message_id: str, at: datetime, owner: str | None = None) -> None:
        message = self._locked(message_id)
        self._store(message, delivery.delivered(message, at, owner))

    def failed(self, message_id: str, owner: str, at: datetime, error: str,
               retry_at: datetime) -> None:
        message = self._locked(message_id)
        self._store(message, delivery.retried(message, owner, error, retry_at))

    def park(self, message_id: str, owner: str, at: datetime, error: str) -> None:
        message = self._locked(message_id)
        self._store(message, delivery.parked(message, owner, at, error))

    @abc.abstractmethod
    def _locked(self, message_id: str) -> OutboxMessage:
        """The message, read so that no other unit changes it before this one ends.

        Raises:
            NotFoundError: no such message.
        """

    @abc.abstractmethod
    def _store(self, before: OutboxMessage, after: OutboxMessage) -> None:
        """Write ``after`` in place of ``before`` (nothing if they are equal)."""
