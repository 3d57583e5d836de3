"""Rows ↔ domain entities, driven by the cattrs converter.

A :class:`RowMapper` unstructures an entity with :func:`mdreg.infra.serialization.unstructure`, puts
each field that has a column of the same name into that column and every other field into
``doc``, a JSON text; loading reverses this and structures the whole entity with the same
converter, so a row loads exactly as ``structure(unstructure(entity))`` would. Date and datetime
columns hold Python objects (their column types bind them), every other column the converter's
plain value. A field added to an entity lands in ``doc`` without a migration; promoting it to a
column is a migration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import Column, Table

from mdreg.adapters.sql import tables
from mdreg.domain.account import (
    Account,
    Assessment,
    OneTimeCode,
    OutboxMessage,
    PersonalChange,
    PracticeInfo,
)
from mdreg.domain.application import Application, AuditEvent
from mdreg.domain.deadlines import Deadline
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
)
from mdreg.domain.notices import Notice
from mdreg.domain.throttle import LoginCounter
from mdreg.errors import DefinitionError, SerializationError
from mdreg.infra.protection import IdProtection
from mdreg.infra.serialization import load_stored, unstructure

E = TypeVar("E")
DOC = "doc"


#: the ``doc`` column's JSON: compact, keys sorted (one encoder for the process)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _dumps(data: dict[str, Any]) -> str:
    return _encode(data)


def _is_temporal(column: Column[Any]) -> bool:
    try:
        return issubclass(column.type.python_type, date)
    except NotImplementedError:  # pragma: no cover - every mdreg column type has one
        return False


class RowMapper(Generic[E]):
    """Maps entities of ``cls`` to rows of ``table`` and back.

    Args:
        cls: an attrs class the mdreg converter handles.
        table: its table; every column except ``doc`` and ``surrogates`` names a field.
        surrogates: database-only columns the entity does not have (an ``INTEGER PRIMARY
            KEY``, a value the database keeps by a trigger): neither written nor read.
        derived: columns computed from the entity for an index (a case-folded login name);
            written, never read back.

    Raises:
        DefinitionError: a column names no field of ``cls``, or the table has no ``doc`` column.
    """

    def __init__(self, cls: type[E], table: Table, *, surrogates: tuple[str, ...] = (),
                 derived: Mapping[str, Callable[[E], Any]] | None = None) -> None:
        self.cls = cls
        self.table = table
        self._derived = dict(derived or {})
        #: the ``derived`` columns and how each is computed
        self.derived: Mapping[str, Callable[[E], Any]] = self._derived
        fields = {f.name for f in attrs.fields(cls)}  # type: ignore[arg-type]
        skipped = {DOC, *surrogates, *self._derived}
        columns = [c for c in table.columns if c.name not in skipped]
        unknown = sorted({c.name for c in columns} - fields)
        if unknown or DOC not in table.c:
            raise DefinitionError(f"table {table.name} does not map {cls.__name__}: columns "
                                  f"{unknown} are not fields, or it lacks a {DOC!r} column")
        self.column_names = tuple(c.name for c in columns)
        #: the primary key column's name (tables keyed by one column)
        self.key = next(iter(table.primary_key.columns)).name
        self._temporal = frozenset(c.name for c in columns if _is_temporal(c))

    @property
    def selected(self) -> list[Column[Any]]:
        """The columns :meth:`from_row` expects, in this order."""
        return [self.table.c[name] for name in (*self.column_names, DOC)]

    def to_row(self, entity: E) -> dict[str, Any]:
        """Column values by name, ``doc`` included."""
        data: dict[str, Any] = unstructure(entity)
        row = {name: data.pop(name) for name in self.column_names}
        for name in self._temporal:
            row[name] = getattr(entity, name)
        for name, compute in self._derived.items():
            row[name] = compute(entity)
        self._before_store(row, data)
        row[DOC] = _dumps(data)
        return row

    def from_row(self, row: Sequence[Any]) -> E:
        """The entity from a row selected with :attr:`selected`.

        Raises:
            SerializationError: the stored values no longer make an entity (every problem listed).
        """
        data: dict[str, Any] = json.loads(row[-1])
        data.update(zip(self.column_names, row, strict=False))  # dates stay dates
        return self._load(data)

    def from_json(self, row: Mapping[str, Any]) -> E:
        """The entity from a JSON object of the :attr:`selected` columns (dates as ISO text),
        as PostgreSQL's ``row_to_json`` makes it."""
        data: dict[str, Any] = json.loads(row[DOC])
        data.update((name, row[name]) for name in self.column_names)
        return self._load(data)

    def _before_store(self, row: dict[str, Any], doc: dict[str, Any]) -> None:
        """Change the columns and the document of a row about to be written (a subclass)."""

    def _load(self, data: dict[str, Any]) -> E:
        """The entity from the merged columns and document."""
        return load_stored(data, self.cls)


class ProtectedRows(RowMapper[E]):
    """Rows with personal data protected (:mod:`mdreg.infra.protection`): each ``indexed``
    column holds a blind index of its value and the document the value sealed (under
    ``<column>_sealed``); each ``sealed`` field of the document holds its value sealed (as
    JSON). The
    document names the key that wrote the row (:data:`PROTECTED_BY`). With ``read_clear`` a
    row stored without protection is read too (``mdreg keys protect`` converting a database);
    otherwise it is refused."""

    def __init__(self, cls: type[E], table: Table, protection: IdProtection, *,
                 indexed: tuple[str, ...] = (), sealed: tuple[str, ...] = (),
                 read_clear: bool = False,
                 derived: Mapping[str, Callable[[E], Any]] | None = None) -> None:
        super().__init__(cls, table, derived=derived)
        self.protection = protection
        self.indexed = indexed
        self.sealed = sealed
        self.read_clear = read_clear

    def _before_store(self, row: dict[str, Any], doc: dict[str, Any]) -> None:
        for name in self.indexed:
            plain: str = row[name]
            row[name] = self.protection.index(plain, name)
            doc[f"{name}_sealed"] = self.protection.seal(plain, name)
        for name in self.sealed:
            if doc.get(name) is not None:  # as JSON: a phone is text, an address an object
                doc[name] = self.protection.seal(_dumps(doc[name]), name)
        doc[PROTECTED_BY] = self.protection.key_id

    def _load(self, data: dict[str, Any]) -> E:
        protected = data.pop(PROTECTED_BY, None) is not None or any(
            f"{name}_sealed" in data for name in self.indexed)
        if not protected:
            if self.read_clear:
                return super()._load(data)
            names = (*self.indexed, *self.sealed)
            raise SerializationError([f"{name}: stored without protection" for name in names])
        for name in self.indexed:
            sealed = data.pop(f"{name}_sealed", None)
            if not isinstance(sealed, str):
                raise SerializationError([f"{name}: stored without protection"])
            data[name] = self.protection.unseal(sealed, name)
        for name in self.sealed:
            if data.get(name) is not None:
                data[name] = json.loads(self.protection.unseal(str(data[name]), name))
        return super()._load(data)


def protected(mapper: RowMapper[E], protection: IdProtection | None, *,
              read_clear: bool = False) -> RowMapper[E]:
    """``mapper`` with its table's personal data protected (:data:`PROTECTED`), or ``mapper``
    itself without ``protection`` or personal data. Rows of the portal's tables stored in clear
    are always read (phones were protected after ID numbers: such rows are read as they are
    until ``mdreg keys rotate`` writes them again)."""
    fields = PROTECTED.get(mapper.table.name)
    if protection is None or fields is None:
        return mapper
    indexed, sealed = fields
    return ProtectedRows(mapper.cls, mapper.table, protection, indexed=indexed, sealed=sealed,
                         read_clear=read_clear or mapper.table.name != "physicians",
                         derived=mapper.derived)


#: the document key of a protected physician's sealed ID number
SEALED_ID_NUMBER = "id_number_sealed"
#: the document key naming the key id that wrote a protected row
PROTECTED_BY = "protected_by"
#: the protected tables: (columns holding a blind index, document fields sealed in place)
PROTECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "physicians": (("id_number",), ()),
    "accounts": ((), ("phone", "email")),
    "one_time_codes": (("destination",), ()),
    "outbox_messages": ((), ("to",)),
}

PHYSICIANS = RowMapper(Physician, tables.physicians)
DEPARTMENTS = RowMapper(HealthDepartment, tables.departments)
INSTITUTIONS = RowMapper(Institution, tables.institutions)
REGISTRATIONS = RowMapper(Registration, tables.registrations)
FILINGS = RowMapper(Filing, tables.filings)
LEGACY_SITES = RowMapper(LegacySite, tables.legacy_sites)
APPLICATIONS = RowMapper(Application, tables.applications, surrogates=("work_due",))
AUDIT_EVENTS = RowMapper(AuditEvent, tables.audit_events, surrogates=("id", "xact"))
ACCOUNTS = RowMapper(Account, tables.accounts, derived={"login_key": lambda a: a.login_key})
ONE_TIME_CODES = RowMapper(OneTimeCode, tables.one_time_codes)
OUTBOX_MESSAGES = RowMapper(OutboxMessage, tables.outbox_messages)
LOGIN_ATTEMPTS = RowMapper(LoginCounter, tables.login_attempts)
PERSONAL_CHANGES = RowMapper(PersonalChange, tables.personal_changes)
PRACTICE_INFO = RowMapper(PracticeInfo, tables.practice_info)
ASSESSMENTS = RowMapper(Assessment, tables.assessments)
NOTICES = RowMapper(Notice, tables.notices)
DEADLINES = RowMapper(Deadline, tables.deadlines)
