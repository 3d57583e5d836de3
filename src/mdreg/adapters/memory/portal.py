"""The personal portal's repositories and the deadlines, in memory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from mdreg.adapters.memory.store import MemoryStore, PortalTables
from mdreg.adapters.memory.tables import Keyed, Overlay, Versioned
from mdreg.adapters.outbox_reports import LeasedOutbox
from mdreg.domain import delivery
from mdreg.domain.account import (
    Account,
    Assessment,
    ChangeKind,
    Channel,
    CodePurpose,
    OneTimeCode,
    OutboxCounts,
    OutboxMessage,
    PersonalChange,
    PracticeInfo,
)
from mdreg.domain.deadlines import Deadline, DeadlineKind
from mdreg.errors import (
    ConcurrencyConflict,
    NotFoundError,
    UniquenessConflict,
)
from mdreg.ports import (
    AccountRepository,
    AssessmentRepository,
    DeadlineRepository,
    OneTimeCodeRepository,
    PersonalChangeRepository,
    PracticeInfoRepository,
)

# -- personal portal: accounts, codes, outbox, personal changes, practice info, assessments ----



class MemoryAccounts(Versioned[Account], AccountRepository):
    def by_login(self, login_name: str) -> Account | None:
        found = self._rows.lookup("login", login_name.casefold())
        return found[0] if found else None

    def for_physician(self, physician_id: str) -> Account | None:
        found = self._rows.lookup("physician", physician_id)
        return found[0] if found else None

    def add(self, account: Account) -> None:
        check_accounts(account, self._rows)
        super().add(account)


class MemoryCodes(Versioned[OneTimeCode], OneTimeCodeRepository):
    def latest(self, account_id: str, purpose: CodePurpose) -> OneTimeCode | None:
        rows = self._rows.lookup("account", (account_id, purpose.value))
        return max(rows, key=lambda c: (c.issued_at, c.status.value != "superseded",
                                        c.status.value == "active", c.id), default=None)

    def sent_since(self, destination: str, since: datetime) -> int:
        return sum(c.issued_at > since for c in self._rows.lookup("destination", destination))

    def lock_destination(self, destination: str) -> None:
        """Nothing to hold: the in-memory registry lives in one process, and its commit checks
        and applies a unit's writes under one lock."""


class MemoryOutbox(LeasedOutbox):
    """The outbox; every message a unit changed must be unchanged in the store when it commits
    (a concurrent claim or report wins, the later one gets a ConcurrencyConflict)."""

    def __init__(self, overlay: Overlay[OutboxMessage], lock: threading.RLock) -> None:
        self._rows = overlay
        self._lock = lock
        self._read: dict[str, OutboxMessage | None] = {}

    def add(self, message: OutboxMessage) -> None:
        if self._rows.get(message.id) is not None:
            raise UniquenessConflict("outbox_id", f"message {message.id} exists")
        self._rows.put(message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._rows.get(message_id)

    def pending(self, limit: int) -> tuple[OutboxMessage, ...]:
        rows = sorted(self._rows.lookup("pending", True), key=lambda m: (m.created_at, m.id))
        return tuple(rows[:max(limit, 0)])

    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int,
              channels: Collection[Channel] | None = None) -> tuple[OutboxMessage, ...]:
        with self._lock:
            rows = sorted(self._rows.lookup("due", True), key=lambda m: (m.created_at, m.id))
        wanted = [m for m in rows if m.is_due(now) and (channels is None or m.channel in channels)]
        return tuple(self._change(m, delivery.leased(m, owner, now, lease))
                     for m in wanted[:max(limit, 0)])

    def counts(self, now: datetime) -> OutboxCounts:
        with self._lock:
            keys = {*self._rows.table.rows, *self._rows.pending}
        rows = [m for m in (self._rows.get(k) for k in keys) if m is not None]
        return delivery.count(rows, now)

    def _locked(self, message_id: str) -> OutboxMessage:
        message = self._rows.get(message_id)
        if message is None:
            raise NotFoundError("outbox message", message_id)
        return message

    def _store(self, before: OutboxMessage, after: OutboxMessage) -> None:
        self._change(before, after)

    def _change(self, before: OutboxMessage, after: OutboxMessage) -> OutboxMessage:
        if after != before:
            self._read.setdefault(before.id, None if before.id in self._rows.pending else before)
            self._rows.put(after)
        return after

    def check(self) -> None:
        """Every changed message is as the unit found it (called under the store lock)."""
        for message_id, found in self._read.items():
            if self._rows.table.rows.get(message_id) != found:
                raise ConcurrencyConflict("outbox_message", message_id, 0, 1)


class MemoryPersonalChanges(Versioned[PersonalChange], PersonalChangeRepository):
    def pending_for(self, physician_id: str, kind: ChangeKind) -> PersonalChange | None:
        return next((c for c in self.for_physician(physician_id)
                     if c.kind is kind and c.state == "pending"), None)

    def for_physician(self, physician_id: str) -> tuple[PersonalChange, ...]:
        rows = self._rows.lookup("physician", physician_id)
        return tuple(sorted(rows, key=lambda c: (c.created_at, c.id)))

    def inbox(self, institution_id: str, state: str) -> tuple[PersonalChange, ...]:
        rows = self._rows.lookup("inbox", (institution_id, state))
        return tuple(sorted(rows, key=lambda c: (c.created_at, c.id)))


class MemoryPracticeInfo(Versioned[PracticeInfo], PracticeInfoRepository):
    pass


class MemoryAssessments(Keyed[Assessment], AssessmentRepository):
    def for_physician(self, physician_id: str) -> tuple[Assessment, ...]:
        rows = self._rows.lookup("physician", physician_id)
        return tuple(sorted(rows, key=lambda a: (a.assessed_on, a.id)))


class MemoryPortalRepositories:
    """One unit of work's view of the portal tables."""

    def __init__(self, tables: PortalTables, lock: threading.RLock) -> None:
        self._accounts = Overlay(tables.accounts)
        self._codes = Overlay(tables.codes)
        self._outbox = Overlay(tables.outbox)
        self._changes = Overlay(tables.personal_changes)
        self._info = Overlay(tables.practice_info)
        self._assessments = Overlay(tables.assessments)
        self.accounts = MemoryAccounts(self._accounts, "account")
        self.codes = MemoryCodes(self._codes, "one_time_code")
        self.outbox = MemoryOutbox(self._outbox, lock)
        self.personal_changes = MemoryPersonalChanges(self._changes, "personal_change")
        self.practice_info = MemoryPracticeInfo(self._info, "practice_info")
        self.assessments = MemoryAssessments(self._assessments)

    def overlays(self) -> tuple[Overlay[Any], ...]:
        return (self._accounts, self._codes, self._outbox, self._changes, self._info,
                self._assessments)

    def check(self) -> None:
        """Versions first, then the uniqueness invariants (called under the store lock)."""
        for repository in (self.accounts, self.codes, self.personal_changes, self.practice_info):
            repository.check_versions()
        for account in self._accounts.pending.values():
            check_accounts(account, self._accounts)
        for physician_id in {c.physician_id for c in self._changes.pending.values()}:
            check_pending_changes(self._changes.lookup("physician", physician_id))
        self.outbox.check()


def check_accounts(account: Account, rows: Overlay[Account]) -> None:
    """Unique login name (case-folded) and one account per physician."""
    if any(a.id != account.id for a in rows.lookup("login", account.login_key)):
        raise UniquenessConflict("account_login_name", "the login name is taken")
    if any(a.id != account.id for a in rows.lookup("physician", account.physician_id)):
        raise UniquenessConflict("account_physician", "the physician already has an account")


def check_pending_changes(changes: Iterable[PersonalChange]) -> None:
    """At most one pending personal change per physician and kind."""
    kinds = [c.kind for c in changes if c.state == "pending"]
    if len(set(kinds)) != len(kinds):
        raise UniquenessConflict("pending_personal_change",
                                 "a change of this kind is already pending")


# -- deadlines ------------------------------------------------------------------------------------


class MemoryDeadlines(Versioned[Deadline], DeadlineRepository):
    """Claims are kept in the store (under its lock) until the claiming unit ends."""

    def __init__(self, overlay: Overlay[Deadline], store: MemoryStore) -> None:
        super().__init__(overlay, "deadline")
        self._store = store

    def for_subject(self, subject_id: str) -> tuple[Deadline, ...]:
        rows = self._rows.lookup("subject", subject_id)
        return tuple(sorted(rows, key=lambda d: (d.opened_at, d.id)))

    def open_for(self, subject_id: str) -> tuple[Deadline, ...]:
        return _by_due(d for d in self._rows.lookup("subject", subject_id) if d.is_open)

    def overdue(self, as_of: date) -> tuple[Deadline, ...]:
        return _by_due(d for d in self._rows.lookup("open", True) if d.due < as_of)

    def due_between(self, start: date, end: date) -> tuple[Deadline, ...]:
        return _by_due(d for d in self._rows.lookup("open", True) if start <= d.due <= end)

    def claim(self, as_of: date, limit: int,
              exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        return self._claimed(lambda: [d for d in self.overdue(as_of) if d.flagged_on is None],
                             limit, exclude)

    def claim_reminders(self, as_of: date, horizon: date, limit: int,
                        exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        return self._claimed(lambda: [d for d in self.due_between(as_of, horizon)
                                      if d.kind is DeadlineKind.DECISION and d.reminded_on is None],
                             limit, exclude)

    def _claimed(self, candidates: Callable[[], list[Deadline]], limit: int,
                 exclude: Collection[str]) -> tuple[Deadline, ...]:
        """The first ``limit`` candidates no other unit holds. The candidates are read under the
        store's lock, as commits happen: a deadline another unit fired and released a moment ago
        is no candidate any more (the SQL backends re-check a row they lock the same way)."""
        skipped = frozenset(exclude)
        with self._store.lock:
            claims = self._store.claims
            free = [d for d in candidates()
                    if d.id not in skipped and claims.get(d.id, self) is self]
            taken = free[:max(limit, 0)]
            claims.update((d.id, self) for d in taken)
        return tuple(taken)

    def release(self) -> None:
        with self._store.lock:
            mine = [key for key, owner in self._store.claims.items() if owner is self]
            for key in mine:
                del self._store.claims[key]

    def check(self) -> None:
        """Versions, then one open deadline per subject and kind (under the store lock)."""
        self.check_versions()
        for subject_id in {d.subject_id for d in self._rows.pending.values()}:
            kinds = [d.kind for d in self._rows.lookup("subject", subject_id) if d.is_open]
            if len(set(kinds)) != len(kinds):
                raise UniquenessConflict("open_deadline",
                                         "the subject already has an open deadline of this kind")


def _by_due(rows: Iterable[Deadline]) -> tuple[Deadline, ...]:
    return tuple(sorted(rows, key=lambda d: (d.due, d.id)))
