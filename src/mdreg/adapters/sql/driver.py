"""Statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy builds and compiles mdreg's statements (:mod:`mdreg.adapters.sql.statements`); a
:class:`Plan` keeps what compiling produced — the SQL text, the order of its parameters, their
defaults and the bind and result conversions of each column type (dates on SQLite, aware UTC
timestamps everywhere) — so that running a statement is one call on the DBAPI cursor. A
statement sent through ``Connection.execute`` costs about four times the indexed lookup it
runs; through a plan, about the lookup.

Only SQLAlchemy's public compiler output is used (``string``, ``positiontup``, ``binds``) and
each column type's own processors, so a plan converts values exactly as ``Connection.execute``
would: rows written one way read back the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import attrs
from sqlalchemy import Delete, Insert, Select, TextClause, Update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

Statement = Select[Any] | Insert | Update | Delete | TextClause
Processor = Callable[[Any], Any]


@attrs.frozen
class Plan:
    """A compiled statement: its SQL and how to bind its parameters and read its rows."""

    sql: str
    #: parameter names in placeholder order (qmark / numeric styles), or ``None`` for named
    #: placeholders (``%(name)s``), which take the parameters as a mapping.
    order: tuple[str, ...] | None
    defaults: Mapping[str, Any]
    binders: tuple[tuple[str, Processor], ...]
    results: tuple[tuple[int, Processor], ...]

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """The driver's parameters for ``params`` (missing ones take their defaults).

        Raises:
            KeyError: a required parameter is missing.
        """
        if not self.defaults and not self.binders:  # most lookups: strings and numbers
            return params if self.order is None else [params[name] for name in self.order]
        values = {**self.defaults, **params} if self.defaults else dict(params)
        for name, bind in self.binders:
            if name in values:
                values[name] = bind(values[name])
        if self.order is None:
            return values
        return [values[name] for name in self.order]

    def convert(self, rows: list[Any]) -> list[Any]:
        """Rows with each column's result conversion applied (rows as tuples)."""
        if not self.results:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for index, process in self.results:
                values[index] = process(values[index])
            converted.append(tuple(values))
        return converted


def compile_plan(statement: Statement, dialect: Dialect,
                 column_keys: Sequence[str] | None = None) -> Plan:
    """Compile ``statement`` for ``dialect``; an INSERT or UPDATE for ``column_keys`` (the
    columns its parameters set)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
    order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    defaults: dict[str, Any] = {}
    binders: list[tuple[str, Processor]] = []
    for name, bind in compiled.binds.items():
        if not bind.required and not bind.expanding:
            defaults[name] = bind.effective_value
        impl = bind.type.dialect_impl(dialect)
        process = _sqlite_date(impl, dialect) or impl.bind_processor(dialect)
        if process is not None:
            binders.append((name, process))
    results: list[tuple[int, Processor]] = []
    if isinstance(statement, Select):
        for index, column in enumerate(statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
    return Plan(compiled.string, order, defaults, tuple(binders), tuple(results))


#: SQLAlchemy's SQLite ``DATE`` storage format (its default)
_SQLITE_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"


def _sqlite_date(impl: Any, dialect: Dialect) -> Processor | None:
    """For a SQLite ``DATE`` column in the default format: a date's ISO text in one call (the
    text SQLAlchemy's processor formats field by field); other values go to that processor."""
    if dialect.name != "sqlite" or not isinstance(impl, sqlite.DATE) \
            or getattr(impl, "_storage_format", None) != _SQLITE_DATE_FORMAT:
        return None
    general = impl.bind_processor(dialect)
    if general is None:  # pragma: no cover - SQLAlchemy's DATE always has one
        return None

    def process(value: Any) -> Any:
        return date.isoformat(value) if type(value) is date else general(value)

    return process


_listeners: list[Callable[[str], None]] = []


def execute(cursor: Any, sql: str, params: Any = None) -> None:
    """Run ``sql`` on a DBAPI cursor (telling :func:`traced` collectors first)."""
    for listener in _listeners:
        listener(sql)
    if params is None:
        cursor.execute(sql)
    else:
        cursor.execute(sql, params)


@contextmanager
def traced() -> Iterator[list[str]]:
    """Collect the SQL text of every statement units of work run meanwhile, in this process
    (diagnostics; the benchmarks compare mdreg's statements with their baselines')::

        with traced() as statements:
            registry.fire(application_id, "approve", authority)
    """
    seen: list[str] = []
    _listeners.append(seen.append)
    try:
        yield seen
    finally:
        _listeners.remove(seen.append)


class Plans:
    """The plans of one dialect, compiled on first use and kept for the process."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._reads: dict[int, tuple[Statement, Plan]] = {}
        self._writes: dict[tuple[int, tuple[str, ...]], tuple[Statement, Plan]] = {}

    def read(self, statement: Statement) -> Plan:
        """The plan of a query (its SQL does not depend on the parameters given)."""
        found = self._reads.get(id(statement))
        if found is None:
            # the statement is kept with its plan, so its id is never reused meanwhile
            found = self._reads[id(statement)] = (statement, compile_plan(statement, self.dialect))
        return found[1]

    def write(self, statement: Statement, params: Mapping[str, Any]) -> Plan:
        """The plan of an INSERT or UPDATE setting the columns named in ``params``."""
        key = (id(statement), tuple(params))
        found = self._writes.get(key)
        if found is None:
            plan = compile_plan(statement, self.dialect, key[1])
            found = self._writes[key] = (statement, plan)
        return found[1]
