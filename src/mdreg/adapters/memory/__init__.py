"""In-memory backend: a real store with atomic commits, rollback and the same invariants as SQL.

Committed data lives in a :class:`MemoryStore`; each unit of work keeps its writes in an overlay
and merges them under the store's lock on commit, after checking versions and invariants.
"""

from __future__ import annotations

import threading
from typing import Any

from mdreg.adapters.memory.notices import MemoryNotices
from mdreg.adapters.memory.portal import MemoryDeadlines, MemoryPortalRepositories
from mdreg.adapters.memory.repositories import (
    MemoryApplications,
    MemoryAudit,
    MemoryCalendarYears,
    MemoryDepartments,
    MemoryFilings,
    MemoryIdempotency,
    MemoryLegacy,
    MemoryPhysicians,
    MemoryRegistrations,
    MemoryRevisions,
    check_filings,
    check_registrations,
)
from mdreg.adapters.memory.store import MemoryStore
from mdreg.adapters.memory.tables import Keyed, Overlay
from mdreg.adapters.memory.throttle import MemoryLoginAttempts
from mdreg.domain.application import require_one_open
from mdreg.errors import ConcurrencyConflict, PersistenceError, UniquenessConflict
from mdreg.ports import UnitOfWork


class InMemoryUnitOfWork(UnitOfWork):
    """A unit of work over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._physicians = Overlay(store.physicians)
        self._institutions = Overlay(store.institutions)
        self._departments = Overlay(store.departments)
        self._registrations = Overlay(store.registrations)
        self._filings = Overlay(store.filings)
        self._legacy = Overlay(store.legacy)
        self._applications = Overlay(store.applications)
        self.physicians = MemoryPhysicians(self._physicians)
        self.institutions = Keyed(self._institutions)
        self.departments = MemoryDepartments(self._departments)
        self.registrations = MemoryRegistrations(self._registrations)
        self.filings = MemoryFilings(self._filings)
        self.legacy = MemoryLegacy(self._legacy)
        self.applications = self._apps = MemoryApplications(self._applications)
        self.audit = self._audit = MemoryAudit(store)
        self.idempotency = self._idem = MemoryIdempotency(store)
        self.calendar_years = self._years = MemoryCalendarYears(store)
        self.revisions = self._revisions = MemoryRevisions(store)
        self._portal = MemoryPortalRepositories(store.portal, store.lock)
        self.accounts = self._portal.accounts
        self.codes = self._portal.codes
        self.login_attempts = self._logins = MemoryLoginAttempts(store.login_counters, store.lock)
        self.outbox = self._portal.outbox
        self.personal_changes = self._portal.personal_changes
        self.practice_info = self._portal.practice_info
        self.assessments = self._portal.assessments
        self._notices = Overlay(store.notices)
        self.notices = MemoryNotices(self._notices)
        self._deadlines = Overlay(store.deadlines)
        self.deadlines = self._dl = MemoryDeadlines(self._deadlines, store)
        self._done = False
        self._held: dict[str, threading.Lock] = {}

    def __enter__(self) -> InMemoryUnitOfWork:
        if self._done:
            raise PersistenceError("a unit of work cannot be reused")
        return self

    def commit(self) -> None:
        if self._done:
            raise PersistenceError("a unit of work cannot be reused")
        with self.store.lock:
            self._check_versions()
            self._check_invariants()
            self._portal.check()
            self._dl.check()
            self._merge()
        self._end()

    def rollback(self) -> None:
        for overlay in self._overlays():
            overlay.pending.clear()
        self._audit.pending.clear()
        self._idem.pending.clear()
        self._end()

    def hold_physician(self, physician_id: str) -> bool:
        """Units of one physician wait for each other (threads of one process); reads go to
        the committed store, so they see what the previous holder committed."""
        if physician_id in self._held or self._done:
            return False
        with self.store.lock:
            hold = self.store.physician_holds.setdefault(physician_id, threading.Lock())
        hold.acquire()
        self._held[physician_id] = hold
        return True

    def _end(self) -> None:
        self._done = True
        self._dl.release()
        self._logins.release()
        for hold in self._held.values():
            hold.release()
        self._held.clear()

    def _overlays(self) -> tuple[Overlay[Any], ...]:
        return (
            self._physicians, self._institutions, self._departments,
            self._registrations, self._filings, self._legacy, self._applications,
            *self._portal.overlays(), self._deadlines, self._notices,
        )

    def _check_versions(self) -> None:
        committed = self.store.applications.rows
        for app_id, expected in self._apps.expected.items():
            current = committed.get(app_id)
            actual = current.version if current is not None else 0
            if actual != expected:
                raise ConcurrencyConflict("application", app_id, expected, actual)
        for event in self._audit.pending:
            if event.seq <= len(self.store.audit.get(event.aggregate_id, ())):
                raise ConcurrencyConflict("audit", event.aggregate_id, event.seq - 1, event.seq)
        for key in self._notices.pending:  # a concurrent unit stored the id first
            if key in self.store.notices.rows:
                raise UniquenessConflict("notice_id", f"notice {key} exists")
        for key in self._idem.pending:  # a concurrent unit stored the key first (as SQL's key)
            if key in self.store.idempotency:
                raise ConcurrencyConflict("idempotency_key", key, 0, 1)

    def _check_invariants(self) -> None:
        for physician in self._physicians.pending.values():
            for other in self._physicians.lookup("id_number", physician.id_number.value):
                if other.id != physician.id:
                    raise UniquenessConflict("physician_id_number", "ID number already registered")
        touched = {r.physician_id for r in self._registrations.pending.values()}
        for physician_id in touched:
            check_registrations(self._registrations.lookup("physician", physician_id))
        for physician_id in {f.physician_id for f in self._filings.pending.values()}:
            check_filings(self._filings.lookup("physician", physician_id))
        for physician_id in {a.physician_id for a in self._applications.pending.values()}:
            require_one_open(self._applications.lookup("physician", physician_id))

    def _merge(self) -> None:
        for overlay in self._overlays():
            for row in overlay.pending.values():
                overlay.table.write(row)
            overlay.pending.clear()
        for event in self._audit.pending:
            self.store.audit[event.aggregate_id].append(event)
        self.store.audit_log.extend(self._audit.pending)
        self.store.audit_count += len(self._audit.pending)
        self._audit.pending.clear()
        self.store.idempotency.update(self._idem.pending)
        self._idem.pending.clear()
        self.store.calendar_years.update(self._years.pending)
        for revision, document in self._revisions.pending.items():
            self.store.revisions.setdefault(revision, document)
        self._revisions.pending.clear()
        self._years.pending.clear()
        self._logins.merge()



__all__ = ["InMemoryUnitOfWork", "MemoryStore"]
