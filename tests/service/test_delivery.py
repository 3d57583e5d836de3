"""The dispatcher on the in-memory backend: delivery, backoff, parking, leases and what it logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

import mdreg
from mdreg.domain.account import Channel, OutboxCounts, OutboxMessage
from mdreg.domain.clock import FakeClock
from mdreg.errors import DeliveryFailed, ValidationError
from mdreg.infra.retry import Retry
from mdreg.service.delivery import DeliveryReport, Dispatcher
from mdreg.service.registry import Registry

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE = "13812345678"
#: waits of at most 10 s, 20 s, 40 s … after the first, second, third … failure
STEADY = Retry(attempts=1, on=(DeliveryFailed,), base_delay=10.0, max_delay=10_000.0)


@attrs.define
class Recorder:
    """Records the ids it is given; fails with ``failure`` while it is set."""

    seen: list[str] = attrs.field(factory=list)
    failure: BaseException | None = None
    before: Callable[[], object] | None = None

    def send(self, message: OutboxMessage) -> None:
        if self.before is not None:
            self.before()
        if self.failure is not None:
            raise self.failure
        self.seen.append(message.id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AT)


@pytest.fixture
def registry(clock: FakeClock) -> Registry:
    return mdreg.open("memory://", clock=clock)


def post(registry: Registry, count: int, *, channel: Channel = Channel.SMS, start: int = 0) -> None:
    with registry.services.uow() as uow:
        for n in range(start, start + count):
            uow.outbox.add(OutboxMessage(f"M{n:03d}", channel, PHONE, "recovery_code",
                                         f"验证码 {n:06d}", "U1", AT + timedelta(seconds=n)))
        uow.commit()


def stored(registry: Registry, message_id: str) -> OutboxMessage:
    with registry.services.uow() as uow:
        found = uow.outbox.get(message_id)
    assert found is not None
    return found


def test_a_dispatcher_delivers_every_message_once_and_erases_the_bodies(
        registry: Registry) -> None:
    post(registry, 7)
    sms = Recorder()
    dispatcher = Dispatcher(registry, {Channel.SMS: sms}, owner="d1", batch=3)
    reports = [dispatcher.run_once() for _ in range(4)]
    assert [r.sent for r in reports] == [3, 3, 1, 0]
    assert sms.seen == [f"M{n:03d}" for n in range(7)]
    assert (stored(registry, "M000").body, stored(registry, "M000").sent_at) == ("", AT)
    assert dispatcher.counts() == OutboxCounts(sent=7)


def test_a_failure_waits_for_the_backoff_and_then_parks(registry: Registry,
                                                        clock: FakeClock) -> None:
    post(registry, 1)
    sms = Recorder(failure=DeliveryFailed("HTTP 503"))
    dispatcher = Dispatcher(registry, {Channel.SMS: sms}, owner="d1", max_attempts=3,
                            backoff=STEADY)
    waits = []
    for _ in range(3):
        assert dispatcher.run_once().claimed == 1
        assert dispatcher.run_once() == DeliveryReport()  # not due before its retry time
        message = stored(registry, "M000")
        if message.parked_at is None and message.next_attempt_at is not None:
            waits.append(message.next_attempt_at - clock.now())
            clock.set(message.next_attempt_at)
    assert len(waits) == 2
    assert timedelta(0) <= waits[0] <= timedelta(seconds=10)
    assert timedelta(0) <= waits[1] <= timedelta(seconds=20)
    parked = stored(registry, "M000")
    assert (parked.attempts, parked.parked_at, parked.last_error) == (3, clock.now(), "HTTP 503")
    assert dispatcher.counts() == OutboxCounts(parked=1)


def test_the_backoff_grows_exponentially() -> None:
    ceilings = [STEADY.base_delay * 2**n for n in range(4)]
    assert ceilings == [10.0, 20.0, 40.0, 80.0]
    assert all(0 <= STEADY.delay(n) <= ceilings[n] for n in range(4) for _ in range(50))


def test_a_permanent_failure_parks_at_once(registry: Registry) -> None:
    post(registry, 1)
    sms = Recorder(failure=DeliveryFailed("HTTP 400", permanent=True))
    report = Dispatcher(registry, {Channel.SMS: sms}, owner="d1").run_once()
    assert (report.parked, report.failed) == (1, 0)
    assert stored(registry, "M000").last_error == "HTTP 400"


def test_a_sender_error_is_stored_and_logged_without_its_text(
        registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    post(registry, 1)
    sms = Recorder(failure=RuntimeError(f"gateway refused {PHONE}: 验证码 000000"))
    with caplog.at_level(logging.INFO, logger="mdreg"):
        report = Dispatcher(registry, {Channel.SMS: sms}, owner="d1").run_once()
    assert report.failed == 1
    assert stored(registry, "M000").last_error == "RuntimeError"
    assert "RuntimeError" in caplog.text
    assert PHONE not in caplog.text and "000000" not in caplog.text


def test_a_message_claimed_too_often_is_parked_unsent(registry: Registry,
                                                      clock: FakeClock) -> None:
    """A message whose dispatchers keep dying (its lease runs out unreported) is parked."""
    post(registry, 1)
    lease = timedelta(seconds=30)
    for n in range(3):
        with registry.services.uow() as uow:
            uow.outbox.claim(f"dead{n}", clock.now(), lease, 10)
            uow.commit()
        clock.advance(seconds=30)
    sms = Recorder()
    report = Dispatcher(registry, {Channel.SMS: sms}, owner="d1", max_attempts=3).run_once()
    assert (report.parked, sms.seen) == (1, [])
    assert stored(registry, "M000").last_error == "too many attempts"


def test_a_batch_stops_before_its_lease_runs_out(registry: Registry, clock: FakeClock) -> None:
    post(registry, 5)
    sms = Recorder(before=lambda: clock.advance(seconds=20))
    dispatcher = Dispatcher(registry, {Channel.SMS: sms}, owner="d1",
                            lease=timedelta(seconds=60))
    report = dispatcher.run_once()
    assert (report.claimed, report.sent, report.skipped) == (5, 3, 2)
    assert dispatcher.counts() == OutboxCounts(sent=3, pending=2)  # the lease is over by now


def test_a_report_after_the_lease_ran_out_and_moved_on_is_lost(
        registry: Registry, clock: FakeClock) -> None:
    post(registry, 1)

    def steal() -> None:  # the send outlasts the lease, and another dispatcher claims
        clock.advance(seconds=101)
        with registry.services.uow() as uow:
            assert uow.outbox.claim("thief", clock.now(), timedelta(seconds=60), 10)
            uow.commit()

    sms = Recorder(before=steal)
    report = Dispatcher(registry, {Channel.SMS: sms}, owner="d1",
                        lease=timedelta(seconds=100)).run_once()
    assert (report.claimed, report.sent, report.lost) == (1, 0, 1)
    assert sms.seen == ["M000"]
    assert stored(registry, "M000").lease_owner == "thief"


def test_each_dispatcher_takes_only_its_channels(registry: Registry) -> None:
    post(registry, 2)
    post(registry, 2, channel=Channel.EMAIL, start=10)
    mail, sms = Recorder(), Recorder()
    Dispatcher(registry, {Channel.EMAIL: mail}, owner="mail").run_once()
    assert mail.seen == ["M010", "M011"]
    Dispatcher(registry, {Channel.SMS: sms}, owner="sms").run_once()
    assert sms.seen == ["M000", "M001"]


def test_run_stops_at_its_time_and_sums_its_batches(registry: Registry,
                                                   clock: FakeClock) -> None:
    post(registry, 5)
    sms = Recorder()
    dispatcher = Dispatcher(registry, {Channel.SMS: sms}, owner="d1", batch=2)
    naps: list[float] = []
    done = dispatcher.run(AT + timedelta(seconds=3), idle=1.0,
                          sleep=lambda s: (naps.append(s), clock.advance(seconds=s)))
    assert (done.claimed, done.sent) == (5, 5)
    assert naps == [1.0, 1.0, 1.0]
    assert dispatcher.run(lambda: True) == DeliveryReport()


@pytest.mark.parametrize("settings", [{"batch": 0}, {"max_attempts": 0},
                                      {"lease": timedelta(0)}])
def test_a_dispatcher_refuses_settings_that_deliver_nothing(
        registry: Registry, settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Dispatcher(registry, {Channel.SMS: Recorder()}, **settings)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Dispatcher(registry, {})
