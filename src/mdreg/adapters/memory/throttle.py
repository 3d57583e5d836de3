"""Failed-login counters in memory."""

from __future__ import annotations

import threading
from datetime import datetime

from mdreg.domain.throttle import LoginCounter
from mdreg.ports import LoginAttemptRepository


class LoginCounters:
    """The committed counters of a :class:`~mdreg.adapters.memory.store.MemoryStore`, and one
    lock per held key."""

    def __init__(self) -> None:
        self.rows: dict[str, LoginCounter] = {}
        self.holds: dict[str, threading.Lock] = {}


class MemoryLoginAttempts(LoginAttemptRepository):
    """One unit's view: its writes wait in ``pending`` until commit; a held key's lock is kept
    until the unit ends, so units of one process holding a key take turns."""

    def __init__(self, counters: LoginCounters, lock: threading.RLock) -> None:
        self._counters = counters
        self._lock = lock
        self.pending: dict[str, LoginCounter] = {}
        self.purged: set[str] = set()
        self._held: list[threading.Lock] = []
        self._keys: set[str] = set()

    def get(self, key: str) -> LoginCounter | None:
        if key in self.pending:
            return self.pending[key]
        return None if key in self.purged else self._counters.rows.get(key)

    def hold(self, key: str) -> LoginCounter | None:
        if key not in self._keys:
            with self._lock:
                hold = self._counters.holds.setdefault(key, threading.Lock())
            hold.acquire()
            self._held.append(hold)
            self._keys.add(key)
        return self.get(key)

    def put(self, counter: LoginCounter) -> None:
        self.purged.discard(counter.key)
        self.pending[counter.key] = counter

    def purge(self, before: datetime) -> int:
        with self._lock:
            keys = {*self._counters.rows, *self.pending}
        found = [c for c in map(self.get, sorted(keys)) if c is not None and _stale(c, before)]
        for counter in found:
            self.pending.pop(counter.key, None)
            self.purged.add(counter.key)
        return len(found)

    def merge(self) -> None:
        """Apply the unit's writes (called under the store lock)."""
        for key in self.purged:
            self._counters.rows.pop(key, None)
        self._counters.rows.update(self.pending)
        self.pending.clear()
        self.purged.clear()

    def release(self) -> None:
        """Let other units hold the keys this one held (called when the unit ends)."""
        self.pending.clear()
        self.purged.clear()
        for hold in reversed(self._held):
            hold.release()
        self._held.clear()
        self._keys.clear()


def _stale(counter: LoginCounter, before: datetime) -> bool:
    return ((counter.last_failure is None or counter.last_failure < before)
            and (counter.locked_until is None or counter.locked_until <= before))
