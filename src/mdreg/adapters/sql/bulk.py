"""批量导入 — a whole registry's reference data in batches, in one transaction.

:meth:`mdreg.Registry.load` puts entities one at a time through a unit of work: right for a few
rows, slow for a national registry (millions of physicians). :func:`import_entities` writes the
same rows in batches, inside **one** transaction on one connection:

* SQLite: ``BEGIN IMMEDIATE``, then ``executemany`` of the upsert the repositories run
  (``INSERT … ON CONFLICT (id) DO UPDATE``), then ``COMMIT``;
* PostgreSQL: ``COPY … FROM STDIN`` straight into each table, one ``COPY`` per batch under a
  savepoint. A batch that meets an existing id (a re-import) is rolled back to the savepoint and
  upserted instead, through a temporary table — so, as with ``load``, an entity replaces the
  stored one with the same id, and the last of two with the same id wins.

The checks are ``load``'s: every entity must be an instance of its domain class (whose
constructor already validated it: ID number check digit, division codes, …); an institution's
approving department, a registration's physician and primary institution, and a legacy record's
registration must exist, in this import or in the database
(:class:`~mdreg.errors.NotFoundError`). The database keeps enforcing every invariant while rows
go in — the partial unique indexes stay in place — and a violation is the typed error the
repositories raise (:class:`~mdreg.errors.UniquenessConflict` naming the constraint). Any error
rolls back the whole import: nothing is half-imported.

Rows are exactly those :mod:`mdreg.adapters.sql.mapping` writes. For the five reference types,
hand-written row builders skip the generic converter (it costs more than the insert itself); the
first row of every batch is built both ways and compared, and on any difference (an entity class
that gained a field) that type switches to the mapper for the rest of the import.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc

from mdreg.adapters.sql import mapping
from mdreg.adapters.sql.translation import carries_row_values, translate
from mdreg.domain.model import (
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Qualification,
    Record,
    Registration,
)
from mdreg.errors import NotFoundError, UniquenessConflict, ValidationError

if TYPE_CHECKING:
    from mdreg.adapters.sql.store import SqlStore
    from mdreg.infra.protection import IdProtection

E = TypeVar("E")
Row = tuple[Any, ...]

#: Rows per ``executemany`` / ``COPY``.
BATCH_SIZE = 10_000
#: Ids per ``IN (…)`` lookup of references that are not part of the import.
_LOOKUP_CHUNK = 500


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# -- row builders: entity → column values in ``Kind.columns`` order, dates as ISO text ----------
# The documents are the mapper's JSON (keys sorted, compact, non-ASCII kept) written out by
# hand; _Rows checks them against the mapper. Enum values are plain identifiers.

_quote = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept (as the mapper)


@functools.cache
def _value(member: enum.Enum) -> str:
    return str(member.value)


@functools.cache
def _quoted_list(items: tuple[str, ...]) -> str:
    return "[" + ",".join(_quote(item) for item in items) + "]"


def _department_row(d: HealthDepartment) -> Row:
    return (d.id, d.name, d.division.code, "{}")


def _institution_row(i: Institution) -> Row:
    level = "null" if i.administrative_level is None else _quote(i.administrative_level)
    doc = (f'{{"administrative_level":{level},'
           f'"auto_activation":{"true" if i.auto_activation else "false"},'
           f'"departments":{_quoted_list(i.departments)}}}')
    return (i.id, i.name, i.division.code, _value(i.kind), i.approved_by, doc)


def _qualification(q: Qualification) -> str:
    return (f'{{"admission_no":{_quote(q.admission_no)},"category":"{_value(q.category)}",'
            f'"certificate_no":{_quote(q.certificate_no)},"level":"{_value(q.level)}","obtained_on":"{q.obtained_on.isoformat()}",'
            f'"special_skills":{"true" if q.special_skills else "false"}}}')


def _record(r: Record) -> str:
    until = "null" if r.until is None else f'"{r.until.isoformat()}"'
    return f'{{"kind":"{_value(r.kind)}","on":"{r.on.isoformat()}","until":{until}}}'


def _physician_row(p: Physician) -> Row:
    qualifications = ",".join([_qualification(q) for q in p.qualifications])
    records = ",".join([_record(r) for r in p.records]) if p.records else ""
    doc = (f'{{"civil_capacity":"{_value(p.civil_capacity)}",'
           f'"qualifications":[{qualifications}],"records":[{records}]}}')
    return (p.id, p.id_number.value, p.name, doc)


@functools.cache
def _registration_doc(registered_on: date | None, scopes: tuple[str, ...]) -> str:
    granted = "null" if registered_on is None else f'"{registered_on.isoformat()}"'
    return f'{{"registered_on":{granted},"scopes":{_quoted_list(scopes)}}}'


def _registration_row(r: Registration) -> Row:
    return (r.id, r.physician_id, r.qualification_no, _value(r.level), _value(r.category),
            r.location.code, r.primary_institution_id, r.approved_by, r.approved_on.isoformat(),
            r.certificate_no, _value(r.status), _iso(r.ended_on), r.application_id,
            _iso(r.filed_on), _registration_doc(r.registered_on, r.scopes))


def _legacy_row(s: LegacySite) -> Row:
    return (s.id, s.physician_id, s.registration_id, s.institution_id, s.started_on.isoformat(),
            _value(s.status), _iso(s.ended_on), "{}")


@attrs.frozen
class Kind(Generic[E]):
    """One kind of reference entity: its class, table mapper and fast row builder."""

    name: str
    cls: type[E]
    mapper: mapping.RowMapper[E]
    fast: Callable[[E], Row]

    @property
    def table(self) -> str:
        return self.mapper.table.name

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.mapper.column_names, mapping.DOC)

    def mapped(self, entity: E) -> Row:
        """The row through the generic mapper (the reference the fast builder must match)."""
        row = self.mapper.to_row(entity)
        return tuple(_iso(v) if isinstance(v, date) else v for v in (row[c] for c in self.columns))


DEPARTMENTS = Kind("department", HealthDepartment, mapping.DEPARTMENTS, _department_row)
INSTITUTIONS = Kind("institution", Institution, mapping.INSTITUTIONS, _institution_row)
PHYSICIANS = Kind("physician", Physician, mapping.PHYSICIANS, _physician_row)
REGISTRATIONS = Kind("registration", Registration, mapping.REGISTRATIONS, _registration_row)
LEGACY = Kind("legacy_site", LegacySite, mapping.LEGACY_SITES, _legacy_row)


def _physician_kind(store: SqlStore) -> Kind[Physician]:
    """Physicians as this store writes them: with protected ID numbers, through its mapper."""
    mapper = store.physician_mapper
    if mapper is mapping.PHYSICIANS:
        return PHYSICIANS
    columns = (*mapper.column_names, mapping.DOC)
    return Kind("physician", Physician, mapper,
                lambda p: tuple(mapper.to_row(p)[c] for c in columns))


def _no_twin_under_previous_keys(writer: _Writer, protection: IdProtection | None,
                                 batch: Sequence[Physician]) -> None:
    """The unique index sees the current key's index only: a stored physician with one of
    ``batch``'s ID numbers still indexed under a previous key (a rotation half done) is
    looked for here."""
    if protection is None:
        return
    wanted: dict[str, str] = {}
    for physician in batch:
        for index in protection.indexes(physician.id_number.value)[1:]:
            wanted[index] = physician.id
    for index, stored_id in writer.ids_by("physicians", "id_number", list(wanted)).items():
        if stored_id != wanted[index]:
            raise UniquenessConflict("physician_id_number",
                                     "ID number already registered (under a previous key)")


class _Rows(Generic[E]):
    """Builds the rows of one kind, checking the fast builder against the mapper per batch."""

    def __init__(self, kind: Kind[E]) -> None:
        self.kind = kind
        self.fast = True

    def batch(self, entities: Sequence[E]) -> list[Row]:
        kind = self.kind
        for entity in entities:
            if not isinstance(entity, kind.cls):
                raise ValidationError(f"{kind.name}s", f"{type(entity).__name__} is not a "
                                      f"{kind.cls.__name__}", field_label="导入数据")
        if self.fast and entities and kind.fast(entities[0]) != kind.mapped(entities[0]):
            self.fast = False
        build = kind.fast if self.fast else kind.mapped
        return [build(entity) for entity in entities]


def _batches(items: Sequence[E], size: int) -> Iterator[Sequence[E]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _last_per_id(rows: list[Row]) -> list[Row]:
    """The rows with distinct ids (column 0), the last of equal ids winning, in input order."""
    by_id = {row[0]: row for row in rows}
    return rows if len(by_id) == len(rows) else list(by_id.values())


# -- the two writers --------------------------------------------------------------------------

class _Writer:
    """Writes batches of rows and looks up existing ids, on one connection in one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def begin(self) -> None:
        raise NotImplementedError

    def write(self, kind: Kind[Any], rows: list[Row]) -> None:
        raise NotImplementedError

    def existing(self, table: str, ids: Sequence[str]) -> set[str]:
        return set(self.ids_by(table, "id", ids))

    def ids_by(self, table: str, column: str, values: Sequence[str]) -> dict[str, str]:
        """The id of the row of ``table`` whose ``column`` holds each of ``values`` found."""
        found: dict[str, str] = {}
        for chunk in _batches(values, _LOOKUP_CHUNK):
            marks = ", ".join([self.mark] * len(chunk))
            query = (f"SELECT {column}, id FROM {table} "  # noqa: S608 - own table and column
                     f"WHERE {column} IN ({marks})")
            result = self.conn.exec_driver_sql(query, tuple(chunk))
            found.update((str(row[0]), str(row[1])) for row in result)
        return found

    mark = "?"


def _upsert_sql(kind: Kind[Any], into: str, values: str) -> str:
    columns = kind.columns
    changes = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    return (f"INSERT INTO {into} ({', '.join(columns)}) {values} "
            f"ON CONFLICT (id) DO UPDATE SET {changes}")


class _SqliteWriter(_Writer):
    mark = "?"

    def begin(self) -> None:
        self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def write(self, kind: Kind[Any], rows: list[Row]) -> None:
        marks = ", ".join("?" * len(kind.columns))
        self.conn.exec_driver_sql(_upsert_sql(kind, kind.table, f"VALUES ({marks})"), rows)


class _PostgresWriter(_Writer):
    mark = "%s"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        import psycopg

        self._psycopg = psycopg
        self._staged: set[str] = set()

    @property
    def _raw(self) -> Any:
        return self.conn.connection.driver_connection

    def begin(self) -> None:
        self.conn.exec_driver_sql("SELECT 1")  # opens the transaction (psycopg begins implicitly)

    def _copy(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        with self._raw.cursor() as cursor, \
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def write(self, kind: Kind[Any], rows: list[Row]) -> None:
        raw = self._raw
        raw.execute("SAVEPOINT mdreg_bulk")
        try:
            self._copy(kind.table, kind.columns, rows)
        except self._psycopg.errors.UniqueViolation:
            raw.execute("ROLLBACK TO SAVEPOINT mdreg_bulk")
            self._upsert(kind, _last_per_id(rows))
        raw.execute("RELEASE SAVEPOINT mdreg_bulk")

    def _upsert(self, kind: Kind[Any], rows: list[Row]) -> None:
        """Existing ids in the batch: copy into a temporary table and upsert from there."""
        raw = self._raw
        stage = f"mdreg_bulk_{kind.table}"
        if stage not in self._staged:
            raw.execute(f"CREATE TEMPORARY TABLE {stage} (LIKE {kind.table} INCLUDING DEFAULTS) "
                        "ON COMMIT DROP")
            self._staged.add(stage)
        raw.execute(f"TRUNCATE {stage}")
        self._copy(stage, kind.columns, rows)
        source = f"SELECT {', '.join(kind.columns)} FROM {stage}"  # noqa: S608 - own schema
        raw.execute(_upsert_sql(kind, kind.table, source))


# -- the import -------------------------------------------------------------------------------

class _Import:
    """One import: checks references, builds rows and hands batches to the writer."""

    def __init__(self, writer: _Writer, batch_size: int) -> None:
        self.writer = writer
        self.batch_size = batch_size
        self.ids: dict[str, set[str]] = {}

    def require(self, table: str, what: str, keys: Iterable[str]) -> None:
        """Every key names a row imported earlier in this import or stored in ``table``."""
        known = self.ids.get(table, set())
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if not missing:
            return
        stored = self.writer.existing(table, missing)
        for key in missing:
            if key not in stored:
                raise NotFoundError(what, key)

    def run(self, kind: Kind[E], entities: Sequence[E],
            references: Callable[[Sequence[E]], None] | None = None,
            remember: bool = True) -> None:
        rows = _Rows(kind)
        ids = self.ids.setdefault(kind.table, set())
        for batch in _batches(entities, self.batch_size):
            built = rows.batch(batch)
            if references is not None:
                references(batch)
            self.writer.write(kind, built)
            if remember:
                ids.update(row[0] for row in built)


def import_entities(
    store: SqlStore,
    *,
    departments: Sequence[HealthDepartment] = (),
    institutions: Sequence[Institution] = (),
    physicians: Sequence[Physician] = (),
    registrations: Sequence[Registration] = (),
    legacy: Sequence[LegacySite] = (),
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Import reference data into ``store`` in one transaction; returns the counts given.

    Raises:
        ValidationError: an entity is not of its domain class, or ``batch_size`` < 1.
        NotFoundError: an institution names an unknown department, a registration an unknown
            physician or institution, a legacy record an unknown registration.
        UniquenessConflict: an invariant would break (two physicians with one ID number, two
            valid registrations of a physician at one location, …).
        PersistenceError: any other database failure.
    """
    if batch_size < 1:
        raise ValidationError("batch_size", "must be at least 1", field_label="批量")
    with store.engine.connect() as conn:
        writer: _Writer = (_SqliteWriter(conn) if store.dialect == "sqlite"
                           else _PostgresWriter(conn))
        job = _Import(writer, batch_size)
        try:
            writer.begin()
            job.run(DEPARTMENTS, departments)
            job.run(INSTITUTIONS, institutions, lambda batch: job.require(
                "departments", "department", (i.approved_by for i in batch)))
            job.run(_physician_kind(store), physicians,
                    functools.partial(_no_twin_under_previous_keys, writer, store.protection))

            def registration_refs(batch: Sequence[Registration]) -> None:
                job.require("physicians", "physician", (r.physician_id for r in batch))
                job.require("institutions", "institution",
                            (r.primary_institution_id for r in batch))

            job.run(REGISTRATIONS, registrations, registration_refs, remember=bool(legacy))
            job.run(LEGACY, legacy, lambda batch: job.require(
                "registrations", "registration", (s.registration_id for s in batch)),
                remember=False)
            conn.commit()
        except sa_exc.SQLAlchemyError as error:
            conn.rollback()
            failure = translate(error)
            if not carries_row_values(error):
                raise failure from error
        except Exception as error:
            conn.rollback()
            wrapped = _wrap_driver_error(error)
            if wrapped is None:
                raise
            failure = translate(wrapped)
            if not carries_row_values(wrapped):
                raise failure from error
        else:
            return {"departments": len(departments), "institutions": len(institutions),
                    "physicians": len(physicians), "registrations": len(registrations),
                    "legacy": len(legacy)}
    raise failure  # outside the handlers: no driver text quoting row values is chained


def _wrap_driver_error(error: Exception) -> sa_exc.DBAPIError | None:
    """A raw psycopg error (from ``COPY``) as SQLAlchemy would have wrapped it, for
    :func:`~mdreg.adapters.sql.translation.translate`; ``None`` for anything else."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is installed with PostgreSQL support
        return None
    if not isinstance(error, psycopg.Error):
        return None
    wrapped = sa_exc.DBAPIError.instance(None, None, error, psycopg.Error)
    return wrapped if isinstance(wrapped, sa_exc.DBAPIError) else None
