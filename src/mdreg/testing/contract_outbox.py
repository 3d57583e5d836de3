"""The unit-of-work contract for the outbox's delivery side (claims, leases, reports and
counts: :class:`mdreg.ports.OutboxRepository`); part of
:class:`mdreg.testing.contract.UnitOfWorkContract`, so memory, SQLite and PostgreSQL all run it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from mdreg.domain.account import Channel, OutboxCounts, OutboxMessage
from mdreg.errors import ConcurrencyConflict, LeaseLost, NotFoundError
from mdreg.infra.retry import Retry
from mdreg.ports import UnitOfWork

MakeUow = Callable[[], UnitOfWork]
AT = datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def outgoing(n: int, *, at: datetime = AT, channel: Channel = Channel.SMS) -> OutboxMessage:
    to = "13800138000" if channel is Channel.SMS else "doctor@example.org"
    return OutboxMessage(f"M{n}", channel, to, "recovery_code", f"验证码 {n:06d}", "U1", at)


def _ids(rows: tuple[OutboxMessage, ...]) -> list[str]:
    return [m.id for m in rows]


class OutboxContract:
    """Leased claims and the reports of their holders, on every backend."""

    @staticmethod
    def report(make_uow: MakeUow, step: Callable[[UnitOfWork], object]) -> object:
        with make_uow() as uow:
            result = step(uow)
            uow.commit()
        return result

    def post(self, make_uow: MakeUow, *messages: OutboxMessage) -> None:
        def step(uow: UnitOfWork) -> None:
            for message in messages:
                uow.outbox.add(message)
        self.report(make_uow, step)

    def lease_to(self, make_uow: MakeUow, owner: str, at: datetime, limit: int = 10,
              channels: frozenset[Channel] | None = None) -> tuple[OutboxMessage, ...]:
        with make_uow() as uow:
            claimed = uow.outbox.claim(owner, at, LEASE, limit, channels)
            uow.commit()
        return claimed

    def test_a_claim_leases_due_messages_oldest_first(self, make_uow: MakeUow) -> None:
        self.post(make_uow, outgoing(1, at=AT + timedelta(seconds=1)), outgoing(2, at=AT),
                 outgoing(3, at=AT + timedelta(seconds=2)))
        first = self.lease_to(make_uow, "d1", AT, limit=2)
        assert _ids(first) == ["M2", "M1"]
        assert {(m.lease_owner, m.lease_until, m.attempts) for m in first} == {
            ("d1", AT + LEASE, 1)}
        with make_uow() as uow:
            assert tuple(uow.outbox.get(m.id) for m in first) == first
        assert _ids(self.lease_to(make_uow, "d2", AT + timedelta(seconds=10))) == ["M3"]
        assert self.lease_to(make_uow, "d3", AT + timedelta(seconds=59)) == ()
        again = self.lease_to(make_uow, "d3", AT + LEASE)  # d1's lease ran out
        assert [(m.id, m.lease_owner, m.attempts) for m in again] == [("M2", "d3", 2),
                                                                      ("M1", "d3", 2)]

    def test_a_claim_takes_only_the_channels_asked_for(self, make_uow: MakeUow) -> None:
        self.post(make_uow, outgoing(1), outgoing(2, channel=Channel.EMAIL), outgoing(3))
        assert _ids(self.lease_to(make_uow, "mail", AT, channels=frozenset({Channel.EMAIL}))) == ["M2"]
        assert _ids(self.lease_to(make_uow, "any", AT)) == ["M1", "M3"]

    def test_only_the_lease_holder_reports_and_delivery_is_idempotent(
            self, make_uow: MakeUow) -> None:
        self.post(make_uow, outgoing(1))
        self.lease_to(make_uow, "d1", AT)
        later = AT + timedelta(seconds=5)
        for report in (lambda u: u.outbox.mark_sent("M1", later, "d2"),
                       lambda u: u.outbox.failed("M1", "d2", later, "timeout", later),
                       lambda u: u.outbox.park("M1", "d2", later, "timeout")):
            with pytest.raises(LeaseLost):
                self.report(make_uow, report)
        self.report(make_uow, lambda u: u.outbox.mark_sent("M1", later, "d1"))
        self.report(make_uow, lambda u: u.outbox.mark_sent("M1", later + LEASE, "d1"))
        self.report(make_uow, lambda u: u.outbox.mark_sent("M1", later + LEASE, "d2"))
        with make_uow() as uow:
            sent = uow.outbox.get("M1")
        assert sent is not None
        assert (sent.sent_at, sent.body, sent.lease_owner, sent.lease_until) == (
            later, "", None, None)
        with pytest.raises(LeaseLost):
            self.report(make_uow, lambda u: u.outbox.failed("M1", "d1", later, "late", later))
        for unknown in (lambda u: u.outbox.mark_sent("M9", later, "d1"),
                        lambda u: u.outbox.failed("M9", "d1", later, "x", later),
                        lambda u: u.outbox.park("M9", "d1", later, "x")):
            with pytest.raises(NotFoundError):
                self.report(make_uow, unknown)

    def test_a_failed_message_waits_until_its_retry_time(self, make_uow: MakeUow) -> None:
        self.post(make_uow, outgoing(1))
        self.lease_to(make_uow, "d1", AT)
        retry_at = AT + timedelta(minutes=5)
        self.report(make_uow, lambda u: u.outbox.failed("M1", "d1", AT, "HTTP 503\n" + "x" * 300,
                                                      retry_at))
        assert self.lease_to(make_uow, "d2", retry_at - timedelta(microseconds=1)) == ()
        (again,) = self.lease_to(make_uow, "d2", retry_at)
        assert (again.attempts, again.lease_owner, again.next_attempt_at) == (2, "d2", retry_at)
        assert again.last_error.startswith("HTTP 503 xxx")
        assert len(again.last_error) == 200

    def test_a_parked_message_is_never_claimed_again(self, make_uow: MakeUow) -> None:
        self.post(make_uow, outgoing(1), outgoing(2), outgoing(3), outgoing(4))
        self.lease_to(make_uow, "d1", AT, limit=3)
        self.report(make_uow, lambda u: u.outbox.park("M1", "d1", AT, "refused"))
        self.report(make_uow, lambda u: u.outbox.mark_sent("M2", AT, "d1"))
        with make_uow() as uow:
            assert uow.outbox.counts(AT) == OutboxCounts(pending=1, leased=1, sent=1, parked=1)
            assert uow.outbox.counts(AT + LEASE) == OutboxCounts(pending=2, sent=1, parked=1)
            parked = uow.outbox.get("M1")
        assert parked is not None
        assert (parked.parked_at, parked.last_error, parked.lease_owner) == (AT, "refused", None)
        assert _ids(self.lease_to(make_uow, "d2", AT + LEASE * 2)) == ["M3", "M4"]
        with pytest.raises(LeaseLost):
            self.report(make_uow, lambda u: u.outbox.mark_sent("M1", AT, "d1"))

    def test_racing_claimers_lease_every_message_once(self, make_uow: MakeUow) -> None:
        self.post(make_uow, *(outgoing(n, at=AT + timedelta(seconds=n % 7)) for n in range(60)))
        claims: Counter[str] = Counter()
        failures: list[BaseException] = []
        start = threading.Barrier(4)
        again = Retry(attempts=50, on=(ConcurrencyConflict,))  # memory: the later commit loses

        def worker(owner: str) -> None:
            try:
                start.wait(10)
                while claimed := again.call(lambda: self.lease_to(make_uow, owner, AT, limit=4)):
                    claims.update(_ids(claimed))
            except BaseException as error:  # pragma: no cover - reported below
                failures.append(error)

        threads = [threading.Thread(target=worker, args=(f"d{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        assert claims == Counter(f"M{n}" for n in range(60))
