"""The unit-of-work contract for failed-login counters (:class:`~mdreg.ports.LoginAttemptRepository`);
part of :class:`mdreg.testing.contract.UnitOfWorkContract`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from mdreg.domain.throttle import LoginCounter
from mdreg.testing.entities import MakeUow

AT = datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=UTC)


def counter(key: str, failures: int = 1, *, at: datetime = AT,
            locked_until: datetime | None = None) -> LoginCounter:
    return LoginCounter(key, failures, at, locked_until, 1 if locked_until else 0, at)


class ThrottleContract:
    """Counters load back equal, are replaced, purged, and held by one unit at a time."""

    def test_login_counters_load_back_equal_and_are_replaced(self, make_uow: MakeUow) -> None:
        locked = counter("login:b", 0, locked_until=AT + timedelta(minutes=15))
        with make_uow() as uow:
            assert uow.login_attempts.hold("login:a") is None
            uow.login_attempts.put(counter("login:a"))
            uow.login_attempts.put(locked)
            uow.commit()
        with make_uow() as uow:
            assert uow.login_attempts.get("login:a") == counter("login:a")
            assert uow.login_attempts.hold("login:b") == locked
            uow.login_attempts.put(counter("login:a", 2))
            uow.rollback()
        with make_uow() as uow:
            assert uow.login_attempts.get("login:a") == counter("login:a")
            uow.login_attempts.put(counter("login:a", 3))
            uow.commit()
        with make_uow() as uow:
            assert uow.login_attempts.get("login:a") == counter("login:a", 3)

    def test_stale_login_counters_are_purged(self, make_uow: MakeUow) -> None:
        later = AT + timedelta(days=1)
        with make_uow() as uow:
            uow.login_attempts.put(counter("login:old"))
            uow.login_attempts.put(counter("login:new", at=later))
            uow.login_attempts.put(counter("source:locked", locked_until=later))
            uow.login_attempts.put(LoginCounter("login:reset"))
            uow.commit()
        with make_uow() as uow:
            assert uow.login_attempts.purge(AT + timedelta(hours=1)) == 2
            uow.commit()
        with make_uow() as uow:
            kept = [k for k in ("login:old", "login:new", "source:locked", "login:reset")
                    if uow.login_attempts.get(k) is not None]
        assert kept == ["login:new", "source:locked"]

    def test_a_held_key_makes_a_second_holder_wait(self, make_uow: MakeUow) -> None:
        seen: list[LoginCounter | None] = []

        def second() -> None:
            with make_uow() as uow:
                seen.append(uow.login_attempts.hold("login:race"))
                uow.commit()

        with make_uow() as uow:
            assert uow.login_attempts.hold("login:race") is None
            uow.login_attempts.put(counter("login:race"))
            waiter = threading.Thread(target=second)
            waiter.start()
            time.sleep(0.3)
            assert seen == []  # still waiting for the first unit
            uow.commit()
        waiter.join(timeout=30)
        assert seen == [counter("login:race")]
