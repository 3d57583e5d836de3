"""登录限制 — how many failed logins a login name or a source may make before it waits.

A :class:`LoginCounter` is kept per throttled key: the keyed hash of a login name (case-folded,
whether or not an account has it) and, when the portal names one, of the source (the client's
address or device key). :class:`LoginThrottle` says how many failures a key may have within a
window before it is locked, and for how long: the first lockout lasts ``lockout``, each further
one twice as long as the previous, up to ``max_lockout``; a key without failures for
``max_lockout`` starts again from the first lockout. While a key is locked every login through it
is refused without checking the password. OWASP ASVS V2.2.1 asks that no more than 100 failed
attempts per hour are possible on one account; the defaults allow 15.

>>> from datetime import UTC, datetime
>>> rule = LoginThrottle()
>>> rule.attempts, rule.window, rule.lockout, rule.max_lockout, rule.max_failures_per_hour()
(5, datetime.timedelta(seconds=900), datetime.timedelta(seconds=900), datetime.timedelta(days=1), 15)
>>> now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> counter = LoginCounter("login:ab12")
>>> for _ in range(5):
...     counter = counter.failed(now, rule.attempts, rule)
>>> counter.locked_at(now) == now + rule.lockout, counter.lockouts
(True, 1)
>>> LoginThrottle(attempts=100, source_attempts=100)
Traceback (most recent call last):
...
mdreg.errors.InsecureConfiguration: the login throttle allows 300 failed logins per hour; at most 100
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from mdreg.errors import InsecureConfiguration

#: OWASP ASVS V2.2.1: at most this many failed attempts per hour on one account.
MAX_FAILURES_PER_HOUR = 100
_HOUR = timedelta(hours=1)


@attrs.frozen
class LoginThrottle:
    """How failed logins are throttled (:attr:`SecuritySettings.throttle
    <mdreg.infra.security.SecuritySettings.throttle>`).

    Attributes:
        attempts: failures of one login name within ``window`` that lock it.
        window: how long failures are counted together; a failure after it starts a new count.
        lockout: how long the first lockout lasts; each further one lasts twice as long.
        max_lockout: the longest lockout; a key without failures this long is forgiven its
            earlier lockouts.
        source_attempts: failures from one source within ``window`` that lock the source (more
            than ``attempts``: many people may share an address).

    Raises:
        InsecureConfiguration: a count below 1, a duration below one second, ``max_lockout``
            below ``lockout``, ``source_attempts`` below ``attempts``, or more than
            :data:`MAX_FAILURES_PER_HOUR` failures per hour possible on one login name.
    """

    attempts: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    max_lockout: timedelta = timedelta(days=1)
    source_attempts: int = 20

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1 or self.source_attempts < self.attempts:
            raise InsecureConfiguration("the login throttle needs attempts >= 1 and "
                                        "source_attempts >= attempts")
        second = timedelta(seconds=1)
        if min(self.window, self.lockout) < second or self.max_lockout < self.lockout:
            raise InsecureConfiguration("the login throttle needs a window and a lockout of at "
                                        "least a second, and max_lockout >= lockout")
        if (per_hour := self.max_failures_per_hour()) > MAX_FAILURES_PER_HOUR:
            raise InsecureConfiguration(f"the login throttle allows {per_hour} failed logins "
                                        f"per hour; at most {MAX_FAILURES_PER_HOUR}")

    def lockout_after(self, lockouts: int) -> timedelta:
        """The length of a lockout that follows ``lockouts`` earlier ones."""
        doubled: timedelta = self.lockout * (1 << min(lockouts, 40))
        return min(doubled, self.max_lockout)

    def max_failures_per_hour(self) -> int:
        """The most failures one login name can make in an hour starting from a clean slate:
        ``attempts`` at once, then as many more each time a lockout ends within the hour."""
        batches, elapsed, lockouts = 1, self.lockout_after(0), 1
        while elapsed < _HOUR:
            batches += 1
            elapsed += self.lockout_after(lockouts)
            lockouts += 1
        return batches * self.attempts


@attrs.frozen
class LoginCounter:
    """The failed logins of one throttled key (a keyed hash, never a login name or address).

    ``failures`` counts since ``window_start``; ``locked_until`` ends the current lockout;
    ``lockouts`` counts the lockouts since the key was last forgiven or reset by a successful
    login; ``last_failure`` is the time of the latest counted failure.
    """

    key: str
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0
    last_failure: datetime | None = None

    def locked_at(self, now: datetime) -> datetime | None:
        """When the lockout running at ``now`` ends; ``None`` when none runs."""
        if self.locked_until is not None and now < self.locked_until:
            return self.locked_until
        return None

    def failed(self, now: datetime, limit: int, rule: LoginThrottle) -> LoginCounter:
        """The counter after one more failure at ``now`` (not locked then); the ``limit``-th
        failure within the window locks the key."""
        forgiven = self.last_failure is None or now - self.last_failure >= rule.max_lockout
        lockouts = 0 if forgiven else self.lockouts
        fresh = self.window_start is None or now - self.window_start >= rule.window
        start = now if fresh or self.window_start is None else self.window_start
        failures = (0 if fresh else self.failures) + 1
        if failures < limit:
            return attrs.evolve(self, failures=failures, window_start=start, lockouts=lockouts,
                                last_failure=now)
        return attrs.evolve(self, failures=0, window_start=None, lockouts=lockouts + 1,
                            locked_until=now + rule.lockout_after(lockouts), last_failure=now)
