"""The registry's repositories in memory (physicians … idempotency keys), and the invariants
checked when a unit of work commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from mdreg.adapters.memory.store import MemoryStore
from mdreg.adapters.memory.tables import Keyed, Overlay
from mdreg.domain.application import Application, AuditEvent, is_open, require_one_open
from mdreg.domain.calendar import ImportedYear
from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Filing,
    FilingStatus,
    HealthDepartment,
    LegacySite,
    Level,
    Physician,
    Registration,
    RegistrationStatus,
)
from mdreg.errors import (
    ConcurrencyConflict,
    UniquenessConflict,
)
from mdreg.ports import (
    ApplicationRepository,
    AuditLog,
    CalendarYearStore,
    DepartmentRepository,
    FilingRepository,
    IdempotencyStore,
    LegacyRepository,
    PhysicianRepository,
    RegistrationRepository,
    RevisionStore,
)


class MemoryPhysicians(Keyed[Physician], PhysicianRepository):
    def by_id_number(self, id_number: ResidentId) -> Physician | None:
        found = self._rows.lookup("id_number", id_number.value)
        return found[0] if found else None


class MemoryDepartments(Keyed[HealthDepartment], DepartmentRepository):
    def by_division(self, division: DivisionCode) -> tuple[HealthDepartment, ...]:
        return tuple(self._rows.lookup("division", division.code))


class MemoryRegistrations(Keyed[Registration], RegistrationRepository):
    def for_physician(self, physician_id: str) -> tuple[Registration, ...]:
        return tuple(self._rows.lookup("physician", physician_id))

    def filed_since(self, on_or_before: date) -> tuple[Registration, ...]:
        filed = self._rows.lookup("status", RegistrationStatus.FILED.value)
        return tuple(r for r in filed if r.filed_on is not None and r.filed_on <= on_or_before)


class MemoryFilings(Keyed[Filing], FilingRepository):
    def for_physician(self, physician_id: str) -> tuple[Filing, ...]:
        return tuple(self._rows.lookup("physician", physician_id))

    def lapsed(self, before: date, limit: int) -> tuple[Filing, ...]:
        active = self._rows.lookup("status", FilingStatus.ACTIVE.value)
        return tuple(sorted((f for f in active if f.valid_to < before),
                            key=lambda f: (f.valid_to, f.id))[:limit])


class MemoryLegacy(Keyed[LegacySite], LegacyRepository):
    def for_physician(self, physician_id: str) -> tuple[LegacySite, ...]:
        return tuple(self._rows.lookup("physician", physician_id))


class MemoryApplications(ApplicationRepository):
    def __init__(self, overlay: Overlay[Application]) -> None:
        self._rows = overlay
        self.expected: dict[str, int] = {}

    def get(self, application_id: str) -> Application | None:
        return self._rows.get(application_id)

    def add(self, application: Application) -> None:
        if self._rows.get(application.id) is not None:
            raise UniquenessConflict("application_id", f"application {application.id} exists")
        require_one_open((*self.open_for(application.physician_id), application))
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
        return tuple(a for a in rows if is_open(a.state))

    def inbox(self, *, institution_id: str = "", department_id: str = "",
              state: str) -> tuple[Application, ...]:
        if institution_id:
            return tuple(self._rows.lookup("institution", (institution_id, state)))
        return tuple(self._rows.lookup("department", (department_id, state)))

    def of_physician(self, physician_id: str) -> tuple[Application, ...]:
        return tuple(self._rows.lookup("physician", physician_id))

    def of_type(self, business: str, *, after: str = "", limit: int) -> tuple[Application, ...]:
        return tuple(a for a in self._rows.lookup("type", business) if a.id > after)[:limit]


class MemoryAudit(AuditLog):
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


class MemoryIdempotency(IdempotencyStore):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[str, tuple[str, str]] = {}

    def get(self, key: str) -> tuple[str, str] | None:
        return self.pending.get(key) or self._store.idempotency.get(key)

    def put(self, key: str, fingerprint: str, result: str) -> None:
        self.pending[key] = (fingerprint, result)



class MemoryCalendarYears(CalendarYearStore):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[int, ImportedYear] = {}

    def all(self) -> tuple[ImportedYear, ...]:
        years = {**self._store.calendar_years, **self.pending}
        return tuple(years[y] for y in sorted(years))

    def put(self, year: ImportedYear) -> None:
        self.pending[year.year] = year


class MemoryRevisions(RevisionStore):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.pending: dict[str, Mapping[str, Any]] = {}

    def get(self, revision: str) -> Mapping[str, Any] | None:
        return self.pending.get(revision) or self._store.revisions.get(revision)

    def publish(self, revision: str, document: Mapping[str, Any], at: datetime) -> bool:
        if self.get(revision) is not None:
            return False
        self.pending[revision] = {**document, "published_at": at.isoformat()}
        return True


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
