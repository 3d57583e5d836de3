"""In-memory backend: a real store with atomic commits, rollback and the same invariants as SQL.

Committed data lives in a :class:`MemoryStore`; each unit of work keeps its writes in an overlay
and merges them under the store's lock on commit, after checking versions and invariants.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import attrs

from mdreg.deadlines import Deadline
from mdreg.domain.account import (
    Account,
    Assessment,
    ChangeKind,
    CodePurpose,
    OneTimeCode,
    OutboxMessage,
    PersonalChange,
    PracticeInfo,
)
from mdreg.domain.application import OPEN_STATES, Application, AuditEvent
from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Level,
    Physician,
    Registration,
    RegistrationStatus,
)
from mdreg.errors import (
    ConcurrencyConflict,
    NotFoundError,
    PersistenceError,
    UniquenessConflict,
)
from mdreg.ports import (
    AccountRepository,
    ApplicationRepository,
    AssessmentRepository,
    AuditLog,
    DeadlineRepository,
    DepartmentRepository,
    FilingRepository,
    IdempotencyStore,
    LegacyRepository,
    OneTimeCodeRepository,
    OutboxRepository,
    PersonalChangeRepository,
    PhysicianRepository,
    PracticeInfoRepository,
    RegistrationRepository,
    Repository,
    UnitOfWork,
)

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


class _Table(Generic[V]):
    """Committed rows by key, plus secondary indexes key → set of primary keys."""

    def __init__(self, key: Callable[[V], str], indexes: dict[str, Callable[[V], Hashable]]):
        self.key = key
        self.rows: dict[str, V] = {}
        self.index_fns = indexes
        self.indexes: dict[str, defaultdict[Hashable, set[str]]] = {
            name: defaultdict(set) for name in indexes
        }

    def write(self, row: V) -> None:
        pk = self.key(row)
        old = self.rows.get(pk)
        for name, fn in self.index_fns.items():
            if old is not None:
                self.indexes[name][fn(old)].discard(pk)
            self.indexes[name][fn(row)].add(pk)
        self.rows[pk] = row


class _Overlay(Generic[V]):
    """A unit of work's pending writes over a committed table."""

    def __init__(self, table: _Table[V]) -> None:
        self.table = table
        self.pending: dict[str, V] = {}

    def get(self, key: str) -> V | None:
        return self.pending.get(key, self.table.rows.get(key))

    def put(self, row: V) -> None:
        self.pending[self.table.key(row)] = row

    def lookup(self, index: str, value: Hashable) -> list[V]:
        fn = self.table.index_fns[index]
        keys = set(self.table.indexes[index].get(value, ()))
        keys.update(k for k, row in self.pending.items() if fn(row) == value)
        rows = (self.get(k) for k in sorted(keys))
        return [r for r in rows if r is not None and fn(r) == value]


class MemoryStore:
    """Committed state of an in-memory registry; share one between units of work."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.physicians: _Table[Physician] = _Table(
            lambda p: p.id, {"id_number": lambda p: p.id_number.value}
        )
        self.institutions: _Table[Institution] = _Table(lambda i: i.id, {})
        self.departments: _Table[HealthDepartment] = _Table(
            lambda d: d.id, {"division": lambda d: d.division.code}
        )
        self.registrations: _Table[Registration] = _Table(
            lambda r: r.id,
            {"physician": lambda r: r.physician_id, "status": lambda r: r.status.value},
        )
        self.filings: _Table[Filing] = _Table(
            lambda f: f.id, {"physician": lambda f: f.physician_id}
        )
        self.legacy: _Table[LegacySite] = _Table(
            lambda r: r.id, {"physician": lambda r: r.physician_id}
        )
        self.applications: _Table[Application] = _Table(
            lambda a: a.id,
            {
                "physician": lambda a: a.physician_id,
                "institution": lambda a: (a.institution_id, a.state),
                "department": lambda a: (a.department_id, a.state),
            },
        )
        self.audit: dict[str, list[AuditEvent]] = defaultdict(list)
        self.audit_count = 0
        self.audit_log: list[AuditEvent] = []  # every committed event, in commit order
        self.idempotency: dict[str, tuple[str, str]] = {}
        self.portal = PortalTables()
        self.deadlines: _Table[Deadline] = _Table(
            lambda d: d.id, {"subject": lambda d: d.subject_id, "open": lambda d: d.is_open}
        )
        #: deadline id → the repository (of one open unit) that claimed it
        self.claims: dict[str, object] = {}


class _Keyed(Repository[V]):
    def __init__(self, overlay: _Overlay[V]) -> None:
        self._rows = overlay

    def get(self, key: str) -> V | None:
        return self._rows.get(key)

    def put(self, entity: V) -> None:
        self._rows.put(entity)


class _Physicians(_Keyed[Physician], PhysicianRepository):
    def by_id_number(self, id_number: ResidentId) -> Physician | None:
        found = self._rows.lookup("id_number", id_number.value)
        return found[0] if found else None


class _Departments(_Keyed[HealthDepartment], DepartmentRepository):
    def by_division(self, division: DivisionCode) -> tuple[HealthDepartment, ...]:
        return tuple(self._rows.lookup("division", division.code))


class _Registrations(_Keyed[Registration], RegistrationRepository):
    def for_physician(self, physician_id: str) -> tuple[Registration, ...]:
        return tuple(self._rows.lookup("physician", physician_id))

    def filed_since(self, on_or_before: date) -> tuple[Registration, ...]:
        filed = self._rows.lookup("status", RegistrationStatus.FILED.value)
        return tuple(r for r in filed if r.filed_on is not None and r.filed_on <= on_or_before)


class _Filings(_Keyed[Filing], FilingRepository):
    def for_physician(self, physician_id: str) -> tuple[Filing, ...]:
        return tuple(self._rows.lookup("physician", physician_id))


class _Legacy(_Keyed[LegacySite], LegacyRepository):
    def for_physician(self, physician_id: str) -> tuple[LegacySite, ...]:
        return tuple(self._rows.lookup("physician", physician_id))


class _Applications(ApplicationRepository):
    def __init__(self, overlay: _Overlay[Application]) -> None:
        self._rows = overlay
        self.expected: dict[str, int] = {}

    def get(self, application_id: str) -> Application | None:
        return self._rows.get(application_id)

    def add(self, application: Application) -> None:
        if self._rows.get(application.id) is not None:
            raise UniquenessConflict("application_id", f"application {application.id} exists")
        self.expected[application.id] = 0
        self._rows.put(application)

    def save(self, application: Application, expected_version: int) -> None:
        current = self._rows.get(application.id)
        actual = current.version if current is not None else 0
        if actual != expected_version:
            raise ConcurrencyConflict("application", application.id, expected_version, actual)
        self.expected.setdefault(application.id, expected_version)
        self._rows.put(application)

    def open_for(self, physician_id: str) -> tuple[Application, ...]:
        rows = self._rows.lookup("physician", physician_id)
        return tuple(a for a in rows if a.state in OPEN_STATES)

    def inbox(self, *, institution_id: str = "", department_id: str = "",
              state: str) -> tuple[Application, ...]:
        if institution_id:
            return tuple(self._rows.lookup("institution", (institution_id, state)))
        return tuple(self._rows.lookup("department", (department_id, state)))


class _Audit(AuditLog):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        expected = self.next_seq(event.aggregate_id)
        if event.seq != expected:
            raise ConcurrencyConflict("audit", event.aggregate_id, expected - 1, event.seq - 1)
        self.pending.append(event)

    def for_aggregate(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        mine = [e for e in self.pending if e.aggregate_id == aggregate_id]
        return tuple(self._store.audit.get(aggregate_id, ())) + tuple(mine)

    def next_seq(self, aggregate_id: str) -> int:
        mine = sum(e.aggregate_id == aggregate_id for e in self.pending)
        return len(self._store.audit.get(aggregate_id, ())) + mine + 1

    def count(self) -> int:
        return self._store.audit_count + len(self.pending)

    def since(self, position: int, limit: int) -> tuple[tuple[int, AuditEvent], ...]:
        start = max(position, 0)
        committed = self._store.audit_log[start:start + max(limit, 0)]
        return tuple(enumerate(committed, start=start + 1))


class _Idempotency(IdempotencyStore):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[str, tuple[str, str]] = {}

    def get(self, key: str) -> tuple[str, str] | None:
        return self.pending.get(key) or self._store.idempotency.get(key)

    def put(self, key: str, fingerprint: str, result: str) -> None:
        self.pending[key] = (fingerprint, result)


class InMemoryUnitOfWork(UnitOfWork):
    """A unit of work over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._physicians = _Overlay(store.physicians)
        self._institutions = _Overlay(store.institutions)
        self._departments = _Overlay(store.departments)
        self._registrations = _Overlay(store.registrations)
        self._filings = _Overlay(store.filings)
        self._legacy = _Overlay(store.legacy)
        self._applications = _Overlay(store.applications)
        self.physicians = _Physicians(self._physicians)
        self.institutions = _Keyed(self._institutions)
        self.departments = _Departments(self._departments)
        self.registrations = _Registrations(self._registrations)
        self.filings = _Filings(self._filings)
        self.legacy = _Legacy(self._legacy)
        self.applications = self._apps = _Applications(self._applications)
        self.audit = self._audit = _Audit(store)
        self.idempotency = self._idem = _Idempotency(store)
        self._portal = _PortalRepositories(store.portal)
        self.accounts = self._portal.accounts
        self.codes = self._portal.codes
        self.outbox = self._portal.outbox
        self.personal_changes = self._portal.personal_changes
        self.practice_info = self._portal.practice_info
        self.assessments = self._portal.assessments
        self._deadlines = _Overlay(store.deadlines)
        self.deadlines = self._dl = _Deadlines(self._deadlines, store)
        self._done = False

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
        self._done = True
        self._dl.release()

    def rollback(self) -> None:
        for overlay in self._overlays():
            overlay.pending.clear()
        self._audit.pending.clear()
        self._idem.pending.clear()
        self._done = True
        self._dl.release()

    def _overlays(self) -> tuple[_Overlay[Any], ...]:
        return (
            self._physicians, self._institutions, self._departments,
            self._registrations, self._filings, self._legacy, self._applications,
            *self._portal.overlays(), self._deadlines,
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
            check_open_applications(self._applications.lookup("physician", physician_id))

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


def check_registrations(registrations: Iterable[Registration]) -> None:
    """One valid registration per location; at most one valid assistant registration."""
    valid = [r for r in registrations if r.is_valid]
    locations = [r.location.code for r in valid]
    if len(set(locations)) != len(locations):
        raise UniquenessConflict(
            "registration_location", "a physician has two valid registrations at one location"
        )
    if sum(r.level is Level.ASSISTANT for r in valid) > 1:
        raise UniquenessConflict(
            "assistant_single_registration", "an assistant has two valid registrations"
        )


def check_filings(filings: Iterable[Filing]) -> None:
    """At most one active filing per registration and institution."""
    keys = [(f.registration_id, f.institution_id) for f in filings if f.is_active]
    if len(set(keys)) != len(keys):
        raise UniquenessConflict("active_filing", "the institution is already actively filed")


def check_open_applications(applications: Iterable[Application]) -> None:
    """At most one open application per physician, business type and target."""
    keys = [(a.type, a.target) for a in applications if a.state in OPEN_STATES]
    if len(set(keys)) != len(keys):
        raise UniquenessConflict(
            "open_application", "an open application of this type and target already exists"
        )


# -- personal portal: accounts, codes, outbox, personal changes, practice info, assessments ----


class PortalTables:
    """Committed rows of the personal portal (part of a :class:`MemoryStore`)."""

    def __init__(self) -> None:
        self.accounts: _Table[Account] = _Table(
            lambda a: a.id, {"login": lambda a: a.login_key, "physician": lambda a: a.physician_id}
        )
        self.codes: _Table[OneTimeCode] = _Table(
            lambda c: c.id,
            {"account": lambda c: (c.account_id, c.purpose.value),
             "destination": lambda c: c.destination},
        )
        self.outbox: _Table[OutboxMessage] = _Table(
            lambda m: m.id, {"pending": lambda m: m.sent_at is None}
        )
        self.personal_changes: _Table[PersonalChange] = _Table(
            lambda c: c.id,
            {"physician": lambda c: c.physician_id,
             "inbox": lambda c: (c.institution_id, c.state)},
        )
        self.practice_info: _Table[PracticeInfo] = _Table(lambda i: i.physician_id, {})
        self.assessments: _Table[Assessment] = _Table(
            lambda a: a.id, {"physician": lambda a: a.physician_id}
        )


class _Versioned(Generic[V]):
    """Add/save with optimistic concurrency over an overlay; ``expected`` is checked at commit."""

    def __init__(self, overlay: _Overlay[V], kind: str) -> None:
        self._rows = overlay
        self.kind = kind
        self.expected: dict[str, int] = {}

    def get(self, key: str) -> V | None:
        return self._rows.get(key)

    def add(self, row: V) -> None:
        key = self._rows.table.key(row)
        if self._rows.get(key) is not None:
            raise UniquenessConflict(f"{self.kind}_id", f"{self.kind} {key} exists")
        self.expected[key] = 0
        self._rows.put(row)

    def save(self, row: V, expected_version: int) -> None:
        key = self._rows.table.key(row)
        current = self._rows.get(key)
        actual: int = getattr(current, "version", 0) if current is not None else 0
        if actual != expected_version:
            raise ConcurrencyConflict(self.kind, key, expected_version, actual)
        self.expected.setdefault(key, expected_version)
        self._rows.put(row)

    def check_versions(self) -> None:
        for key, expected in self.expected.items():
            current = self._rows.table.rows.get(key)
            actual: int = getattr(current, "version", 0) if current is not None else 0
            if actual != expected:
                raise ConcurrencyConflict(self.kind, key, expected, actual)


class _Accounts(_Versioned[Account], AccountRepository):
    def by_login(self, login_name: str) -> Account | None:
        found = self._rows.lookup("login", login_name.casefold())
        return found[0] if found else None

    def for_physician(self, physician_id: str) -> Account | None:
        found = self._rows.lookup("physician", physician_id)
        return found[0] if found else None

    def add(self, account: Account) -> None:
        check_accounts(account, self._rows)
        super().add(account)


class _Codes(_Versioned[OneTimeCode], OneTimeCodeRepository):
    def latest(self, account_id: str, purpose: CodePurpose) -> OneTimeCode | None:
        rows = self._rows.lookup("account", (account_id, purpose.value))
        return max(rows, key=lambda c: (c.issued_at, c.status.value != "superseded",
                                        c.status.value == "active", c.id), default=None)

    def sent_since(self, destination: str, since: datetime) -> int:
        return sum(c.issued_at > since for c in self._rows.lookup("destination", destination))

    def lock_destination(self, destination: str) -> None:
        """Nothing to hold: the in-memory registry lives in one process, and its commit checks
        and applies a unit's writes under one lock."""


class _Outbox(OutboxRepository):
    def __init__(self, overlay: _Overlay[OutboxMessage]) -> None:
        self._rows = overlay

    def add(self, message: OutboxMessage) -> None:
        if self._rows.get(message.id) is not None:
            raise UniquenessConflict("outbox_id", f"message {message.id} exists")
        self._rows.put(message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._rows.get(message_id)

    def pending(self, limit: int) -> tuple[OutboxMessage, ...]:
        rows = sorted(self._rows.lookup("pending", True), key=lambda m: (m.created_at, m.id))
        return tuple(rows[:max(limit, 0)])

    def mark_sent(self, message_id: str, at: datetime) -> None:
        message = self._rows.get(message_id)
        if message is None:
            raise NotFoundError("outbox message", message_id)
        if message.sent_at is None:
            self._rows.put(attrs.evolve(message, sent_at=at, body=""))


class _PersonalChanges(_Versioned[PersonalChange], PersonalChangeRepository):
    def pending_for(self, physician_id: str, kind: ChangeKind) -> PersonalChange | None:
        return next((c for c in self.for_physician(physician_id)
                     if c.kind is kind and c.state == "pending"), None)

    def for_physician(self, physician_id: str) -> tuple[PersonalChange, ...]:
        rows = self._rows.lookup("physician", physician_id)
        return tuple(sorted(rows, key=lambda c: (c.created_at, c.id)))

    def inbox(self, institution_id: str, state: str) -> tuple[PersonalChange, ...]:
        rows = self._rows.lookup("inbox", (institution_id, state))
        return tuple(sorted(rows, key=lambda c: (c.created_at, c.id)))


class _PracticeInfo(_Versioned[PracticeInfo], PracticeInfoRepository):
    pass


class _Assessments(_Keyed[Assessment], AssessmentRepository):
    def for_physician(self, physician_id: str) -> tuple[Assessment, ...]:
        rows = self._rows.lookup("physician", physician_id)
        return tuple(sorted(rows, key=lambda a: (a.assessed_on, a.id)))


class _PortalRepositories:
    """One unit of work's view of the portal tables."""

    def __init__(self, tables: PortalTables) -> None:
        self._accounts = _Overlay(tables.accounts)
        self._codes = _Overlay(tables.codes)
        self._outbox = _Overlay(tables.outbox)
        self._changes = _Overlay(tables.personal_changes)
        self._info = _Overlay(tables.practice_info)
        self._assessments = _Overlay(tables.assessments)
        self.accounts = _Accounts(self._accounts, "account")
        self.codes = _Codes(self._codes, "one_time_code")
        self.outbox = _Outbox(self._outbox)
        self.personal_changes = _PersonalChanges(self._changes, "personal_change")
        self.practice_info = _PracticeInfo(self._info, "practice_info")
        self.assessments = _Assessments(self._assessments)

    def overlays(self) -> tuple[_Overlay[Any], ...]:
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


def check_accounts(account: Account, rows: _Overlay[Account]) -> None:
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


class _Deadlines(_Versioned[Deadline], DeadlineRepository):
    """Claims are kept in the store (under its lock) until the claiming unit ends."""

    def __init__(self, overlay: _Overlay[Deadline], store: MemoryStore) -> None:
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
        skipped = frozenset(exclude)
        with self._store.lock:
            claims = self._store.claims
            free = [d for d in self.overdue(as_of) if d.flagged_on is None
                    and d.id not in skipped and claims.get(d.id, self) is self]
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
