"""Repositories over a :class:`~mdreg.adapters.sql.unit_of_work.SqlUnitOfWork`'s connection."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Delete, Insert, Select, Update, bindparam, insert, select, update

from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.statements import Keyed, Statements, Versioned, insert_new
from mdreg.adapters.sql.translation import Subject
from mdreg.domain.application import Application, AuditEvent, require_one_open
from mdreg.domain.calendar import ImportedYear
from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import Filing, HealthDepartment, LegacySite, Physician, Registration
from mdreg.errors import (
    ConcurrencyConflict,
    DefinitionError,
    UniquenessConflict,
    ValidationError,
)
from mdreg.infra.protection import IdProtection
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
    Repository,
    RevisionStore,
)

E = TypeVar("E")
#: a statement and its parameters
Query = tuple[Select[Any], Mapping[str, Any]]


class ReadAhead(Protocol):
    """A keyed repository whose lookup a unit of work can read ahead, batched with others (the
    rule inputs of :meth:`~mdreg.ports.UnitOfWork.rule_inputs`): the statement its ``get``
    would run, keeping that statement's answer, or keeping an answer read some other way."""

    def query(self, key: str) -> Query | None:
        """The statement ``get(key)`` would run (``None``: the unit holds the answer)."""

    def accept(self, key: str, rows: Sequence[Sequence[Any]]) -> None:
        """Keep the rows answering :meth:`query`."""

    def hold(self, key: str, entity: Any) -> None:
        """Keep ``entity`` (``None``: not found) as the answer for ``key``."""


class ReadAheadPerPhysician(Protocol):
    """The same for a repository read per physician (``for_physician``)."""

    def query_of(self, physician_id: str) -> Query | None:
        """The statement ``for_physician`` would run (``None``: the unit holds the answer)."""

    def accept_of(self, physician_id: str, rows: Sequence[Sequence[Any]]) -> None:
        """Keep the rows answering :meth:`query_of`."""

    def hold_of(self, physician_id: str, entities: tuple[Any, ...]) -> None:
        """Keep ``entities`` as the physician's rows."""


class Executor(Protocol):
    """What repositories need from a unit of work: reads, and writes that take the write lock."""

    def read(self, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Sequence[Any]]: ...

    def write(self, statement: Insert | Update | Delete, params: Mapping[str, Any],
              subject: Subject) -> int: ...


class LockingExecutor(Executor, Protocol):
    """An executor that can also read in the unit's transaction after taking its write lock."""

    def read_locked(self, statement: Select[Any],
                    params: Mapping[str, Any]) -> Sequence[Sequence[Any]]: ...


class SqlKeyed(Repository[E], Generic[E]):
    """Get and put by primary key. Entities are immutable, so one a unit has read or written
    is kept and returned again (a command reads the same physician for its rules and its
    effect), as is a key found missing; the unit's own writes are the only way it changes
    meanwhile."""

    def __init__(self, db: Executor, mapper: mapping.RowMapper[E], statements: Keyed,
                 kind: str) -> None:
        self._db = db
        self._mapper = mapper
        self._statements = statements
        self._kind = kind
        self._key = mapper.key
        self._seen: dict[str, E | None] = {}

    def get(self, key: str) -> E | None:
        if key not in self._seen:
            self.accept(key, self._db.read(self._statements.get, {"key": key}))
        return self._seen[key]

    def query(self, key: str) -> Query | None:
        """The query :meth:`get` would run (``None``: the unit holds the answer already)."""
        return None if key in self._seen else (self._statements.get, {"key": key})

    def accept(self, key: str, rows: Sequence[Sequence[Any]]) -> None:
        """Keep the answer to :meth:`query`."""
        self.hold(key, self._mapper.from_row(rows[0]) if rows else None)

    def hold(self, key: str, entity: E | None) -> None:
        """Keep ``entity`` as the unit's answer for ``key`` (``None``: not found)."""
        self._seen[key] = entity

    def put(self, entity: E) -> None:
        row = self._mapper.to_row(entity)
        key = str(row[self._key])
        self._seen.pop(key, None)
        self._db.write(self._statements.put, row, Subject(self._kind, key))
        self._seen[key] = entity
        self._stored(entity)

    def _stored(self, entity: E) -> None:
        """Called after ``entity`` was written."""


class SqlPhysicians(SqlKeyed[Physician], PhysicianRepository):
    def __init__(self, db: Executor, statements: Statements,
                 mapper: mapping.RowMapper[Physician] = mapping.PHYSICIANS,
                 protection: IdProtection | None = None) -> None:
        super().__init__(db, mapper, statements.physicians, "physician")
        self._by_id_number = statements.physician_by_id_number
        self._protection = protection

    def by_id_number(self, id_number: ResidentId) -> Physician | None:
        for key in self._keys(id_number):
            rows = self._db.read(self._by_id_number, {"id_number": key})
            if rows:
                return self._mapper.from_row(rows[0])
        return None

    def _keys(self, id_number: ResidentId) -> tuple[str, ...]:
        """What the ``id_number`` column may hold for ``id_number``: the number itself, or
        (protected) its index under each key of the ring, the current key's first."""
        if self._protection is None:
            return (id_number.value,)
        return self._protection.indexes(id_number.value)

    def put(self, entity: Physician) -> None:
        # the unique index sees the current key's index only: a row of the same person still
        # indexed under a previous key (a rotation half done) is looked for here
        for key in self._keys(entity.id_number)[1:]:
            rows = self._db.read(self._by_id_number, {"id_number": key})
            if rows and self._mapper.from_row(rows[0]).id != entity.id:
                raise UniquenessConflict("physician_id_number",
                                         "ID number already registered (under a previous key)")
        super().put(entity)


class SqlDepartments(SqlKeyed[HealthDepartment], DepartmentRepository):
    def __init__(self, db: Executor, statements: Statements) -> None:
        super().__init__(db, mapping.DEPARTMENTS, statements.departments, "department")
        self._by_division = statements.departments_by_division
        self._in_division: dict[str, tuple[HealthDepartment, ...]] = {}

    def by_division(self, division: DivisionCode) -> tuple[HealthDepartment, ...]:
        """The departments of a division, read once per unit (as :meth:`get` keeps what it
        read: a tick escalating many applications asks for the same few divisions)."""
        found = self._in_division.get(division.code)
        if found is None:
            rows = self._db.read(self._by_division, {"division": division.code})
            found = self._in_division[division.code] = tuple(
                self._mapper.from_row(row) for row in rows)
        return found

    def _stored(self, entity: HealthDepartment) -> None:
        self._in_division.clear()  # a department written: its division's answer may change


class SqlPerPhysician(SqlKeyed[E]):
    """A keyed table that rules read per physician. A unit keeps each physician's rows once
    read, and keeps them current with its own writes."""

    def __init__(self, db: Executor, mapper: mapping.RowMapper[E], statements: Keyed,
                 kind: str) -> None:
        super().__init__(db, mapper, statements, kind)
        if statements.of_physician is None:
            raise DefinitionError(f"table {mapper.table.name} has no physician_id column")
        self._of_physician = statements.of_physician
        self._order = statements.order
        self._by_physician: dict[str, tuple[E, ...]] = {}

    def for_physician(self, physician_id: str) -> tuple[E, ...]:
        if physician_id not in self._by_physician:
            self.accept_of(physician_id,
                           self._db.read(self._of_physician, {"physician_id": physician_id}))
        return self._by_physician[physician_id]

    def query_of(self, physician_id: str) -> Query | None:
        """The query :meth:`for_physician` would run (``None``: the unit holds the answer)."""
        if physician_id in self._by_physician:
            return None
        return self._of_physician, {"physician_id": physician_id}

    def accept_of(self, physician_id: str, rows: Sequence[Sequence[Any]]) -> None:
        """Keep the answer to :meth:`query_of`."""
        self.hold_of(physician_id, tuple(self._mapper.from_row(row) for row in rows))

    def hold_of(self, physician_id: str, entities: tuple[E, ...]) -> None:
        """Keep ``entities`` as the unit's answer for the physician's rows."""
        self._by_physician[physician_id] = entities

    def _stored(self, entity: E) -> None:
        physician_id: str = getattr(entity, "physician_id")  # noqa: B009 - every such entity has one
        held = self._by_physician.get(physician_id)
        if held is not None:
            key: str = getattr(entity, self._key)
            others = [e for e in held if getattr(e, self._key) != key]
            self._by_physician[physician_id] = tuple(sorted(
                [*others, entity], key=lambda e: tuple(getattr(e, f) for f in self._order)))


class SqlRegistrations(SqlPerPhysician[Registration], RegistrationRepository):
    def __init__(self, db: Executor, statements: Statements) -> None:
        super().__init__(db, mapping.REGISTRATIONS, statements.registrations, "registration")
        self._filed = statements.registrations_filed

    def filed_since(self, on_or_before: date) -> tuple[Registration, ...]:
        # sorted here: ORDER BY id would tempt SQLite into walking the primary key
        rows = self._db.read(self._filed, {"on_or_before": on_or_before})
        return tuple(sorted((self._mapper.from_row(row) for row in rows), key=lambda r: r.id))


class SqlFilings(SqlPerPhysician[Filing], FilingRepository):
    def __init__(self, db: Executor, statements: Statements) -> None:
        super().__init__(db, mapping.FILINGS, statements.filings, "filing")
        self._lapsed = statements.filings_lapsed

    def lapsed(self, before: date, limit: int) -> tuple[Filing, ...]:
        rows = self._db.read(self._lapsed, {"before": before, "limit": limit})
        return tuple(self._mapper.from_row(row) for row in rows)


class SqlLegacySites(SqlPerPhysician[LegacySite], LegacyRepository):
    def __init__(self, db: Executor, statements: Statements) -> None:
        super().__init__(db, mapping.LEGACY_SITES, statements.legacy_sites, "legacy_site")


class SqlVersioned(Generic[E]):
    """An aggregate with optimistic concurrency: ``add`` refuses an existing id
    (``UniquenessConflict("<kind>_id")``), ``save`` refuses a stale version."""

    def __init__(self, db: Executor, mapper: mapping.RowMapper[E], statements: Versioned,
                 kind: str) -> None:
        self._db = db
        self._mapper = mapper
        self._versioned = statements
        self._kind = kind
        self._key = mapper.key

    def _many(self, statement: Select[Any], params: Mapping[str, Any]) -> tuple[E, ...]:
        return tuple(self._mapper.from_row(row) for row in self._db.read(statement, params))

    def get(self, key: str) -> E | None:
        found = self._many(self._versioned.get, {"key": key})
        return found[0] if found else None

    def add(self, entity: E) -> None:
        row = self._mapper.to_row(entity)
        key = str(row[self._key])
        if not self._db.write(self._versioned.add, row, Subject(self._kind, key)):
            raise UniquenessConflict(f"{self._kind}_id", f"{self._kind} {key} exists")

    def save(self, entity: E, expected_version: int) -> None:
        row = self._mapper.to_row(entity)
        key = str(row[self._key])
        params = {**row, "key": key, "expected": expected_version}
        if self._db.write(self._versioned.save, params, Subject(self._kind, key, expected_version)):
            return
        rows = self._db.read(self._versioned.version, {"key": key})
        actual = int(rows[0][0]) if rows else 0
        if actual == expected_version == 0:  # as in memory: "version 0" is "not stored yet"
            self.add(entity)
            return
        raise ConcurrencyConflict(self._kind, key, expected_version, actual)


class SqlApplications(SqlVersioned[Application], ApplicationRepository):
    def __init__(self, db: Executor, statements: Statements) -> None:
        super().__init__(db, mapping.APPLICATIONS, statements.applications, "application")
        self._sql = statements

    def add(self, entity: Application) -> None:
        """The open applications are read first, so that the check holds under SERIALIZABLE
        also without the ``open_application`` index (which catches a concurrent writer)."""
        others = (a for a in self.open_for(entity.physician_id) if a.id != entity.id)
        require_one_open((*others, entity))
        super().add(entity)  # the same id again: "application_id"

    def open_for(self, physician_id: str) -> tuple[Application, ...]:
        return self._many(self._sql.open_applications, {"physician_id": physician_id})

    def inbox(self, *, institution_id: str = "", department_id: str = "",
              state: str) -> tuple[Application, ...]:
        if institution_id:
            return self._many(self._sql.institution_inbox, {"party": institution_id, "state": state})
        return self._many(self._sql.department_inbox, {"party": department_id, "state": state})

    def of_physician(self, physician_id: str) -> tuple[Application, ...]:
        return self._many(self._sql.applications_of_physician, {"physician_id": physician_id})

    def of_type(self, business: str, *, after: str = "", limit: int) -> tuple[Application, ...]:
        return self._many(self._sql.applications_of_type,
                          {"type": business, "after": after, "limit": limit})


class SqlAudit(AuditLog):
    def __init__(self, db: Executor, statements: Statements) -> None:
        self._db = db
        self._sql = statements
        self._mapper = mapping.AUDIT_EVENTS

    def append(self, event: AuditEvent) -> None:
        subject = Subject("audit", event.aggregate_id, event.seq - 1)
        if self._db.write(self._sql.append_audit, self._mapper.to_row(event), subject):
            return
        last = self._db.read(self._sql.last_seq, {"aggregate_id": event.aggregate_id})[0][0]
        raise ConcurrencyConflict("audit", event.aggregate_id, int(last), event.seq - 1)

    def for_aggregate(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        rows = self._db.read(self._sql.audit_of, {"aggregate_id": aggregate_id})
        return tuple(self._mapper.from_row(row) for row in rows)

    def next_seq(self, aggregate_id: str) -> int:
        # max(seq) on the unique (aggregate_id, seq) index: one index probe, not the trail
        return int(self._db.read(self._sql.last_seq, {"aggregate_id": aggregate_id})[0][0]) + 1

    def count(self) -> int:
        return int(self._db.read(self._sql.audit_count, {})[0][0])

    def since(self, position: int, limit: int) -> tuple[tuple[int, AuditEvent], ...]:
        # SQLite commits its writers one at a time, in id order: events after an id are the
        # rest of the tail. PostgreSQL orders the tail by the appending transaction and reads
        # only transactions that have ended (statements._tail_page), after the transaction of
        # the event at ``position``, and continues only after a position it gave (one
        # statement: each row starts with whether the position is known).
        params = {"position": max(position, 0), "limit": max(limit, 0)}
        rows = self._db.read(self._sql.audit_since, params)
        if self._sql.tail_checks_position:
            if rows and not rows[0][0]:
                raise ValidationError("position", f"no audit event at position {position}",
                                      field_label="审计位置")
            rows = [row[1:] for row in rows if row[1] is not None]
        return tuple((int(row[0]), self._mapper.from_row(row[1:])) for row in rows)


class SqlIdempotency(IdempotencyStore):
    def __init__(self, db: Executor, statements: Statements) -> None:
        self._db = db
        self._sql = statements

    def get(self, key: str) -> tuple[str, str] | None:
        rows = self._db.read(self._sql.idempotency_get, {"key": key})
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def put(self, key: str, fingerprint: str, result: str) -> None:
        self._db.write(self._sql.idempotency_put,
                       {"key": key, "fingerprint": fingerprint, "result": result},
                       Subject("idempotency_key", key))


_YEARS = tables.calendar_years
_YEARS_ALL = select(_YEARS.c.year, _YEARS.c.source, _YEARS.c.imported_at,
                    _YEARS.c.doc).order_by(_YEARS.c.year)
_YEARS_ADD = insert(_YEARS)
_YEARS_REPLACE = (update(_YEARS).where(_YEARS.c.year == bindparam("key"))
                  .values(source=bindparam("source"), imported_at=bindparam("imported_at"),
                          doc=bindparam("doc")))


class SqlCalendarYears(CalendarYearStore):
    """Imported years, one row per year (its schedule as a JSON document)."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    def all(self) -> tuple[ImportedYear, ...]:
        return tuple(ImportedYear.from_json(json.loads(doc), source, imported_at)
                     for _, source, imported_at, doc in self._db.read(_YEARS_ALL, {}))

    def put(self, year: ImportedYear) -> None:
        row = {"source": year.source, "imported_at": year.imported_at,
               "doc": json.dumps(year.to_json(), ensure_ascii=False)}
        subject = Subject("calendar_year", str(year.year))
        if not self._db.write(_YEARS_REPLACE, {**row, "key": year.year}, subject):
            self._db.write(_YEARS_ADD, {**row, "year": year.year}, subject)


_REVISIONS = tables.policy_revisions
_REVISION_GET = select(_REVISIONS.c.doc).where(_REVISIONS.c.revision == bindparam("revision"))


class SqlRevisions(RevisionStore):
    """Published policy revisions, one row each (the exported policy as a JSON document)."""

    def __init__(self, db: Executor, dialect: str) -> None:
        self._db = db
        self._publish = insert_new(_REVISIONS, dialect)

    def get(self, revision: str) -> Mapping[str, Any] | None:
        rows = self._db.read(_REVISION_GET, {"revision": revision})
        return dict(json.loads(rows[0][0])) if rows else None

    def publish(self, revision: str, document: Mapping[str, Any], at: datetime) -> bool:
        row = {"revision": revision, "published_at": at,
               "doc": json.dumps({**document, "published_at": at.isoformat()},
                                 ensure_ascii=False, sort_keys=True, default=str)}
        return bool(self._db.write(self._publish, row, Subject("policy_revision", revision)))
