"""The SQL unit of work: one connection, one transaction, every driver error translated here.

A finished unit (committed or rolled back) refuses writes and a second commit, but still reads
committed data, as the in-memory backend does.

Every unit reads one snapshot. Its first read opens a read transaction — a deferred ``BEGIN``
on SQLite (a WAL reader: it keeps the moment of its first read and takes no lock, so writers do
not wait for it); ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`` on PostgreSQL at READ
COMMITTED, the default, sent in one round trip with that read — and every later read of the unit
sees the same committed state, whatever other connections commit meanwhile, until the unit ends
or writes. The first write (or locking read) ends the read transaction and takes the write lock
— ``BEGIN IMMEDIATE`` on SQLite; ``BEGIN`` at READ COMMITTED and row locks on PostgreSQL, sent
together with the ``COMMIT`` of the read transaction — and from then on the unit reads the latest
committed data and is isolated from other writers until it commits or rolls back. Versions and
unique indexes catch whatever changed between a read and the write. A unit that starts by writing,
or by holding a physician, never opens a read transaction. At a stricter isolation level
(``isolation_level="SERIALIZABLE"``) a PostgreSQL unit runs every statement, reads included, in
the one transaction psycopg opens, so the server sees what it read.

Statements run on the driver's cursor through plans compiled once per dialect
(:mod:`mdreg.adapters.sql.driver`); the connection comes from the engine's pool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy import Delete, Insert, Select, TextClause, Update
from sqlalchemy.pool import PoolProxiedConnection

from mdreg.adapters.sql import mapping
from mdreg.adapters.sql.deadlines import SqlDeadlines
from mdreg.adapters.sql.driver import Plan, execute
from mdreg.adapters.sql.notices import SqlNotices
from mdreg.adapters.sql.outbox import SqlOutbox
from mdreg.adapters.sql.portal import (
    SqlAccounts,
    SqlAssessments,
    SqlCodes,
    SqlPersonalChanges,
    SqlPracticeInfo,
)
from mdreg.adapters.sql.repositories import (
    Query,
    ReadAhead,
    ReadAheadPerPhysician,
    SqlApplications,
    SqlAudit,
    SqlCalendarYears,
    SqlDepartments,
    SqlFilings,
    SqlIdempotency,
    SqlKeyed,
    SqlLegacySites,
    SqlPhysicians,
    SqlRegistrations,
    SqlRevisions,
)
from mdreg.adapters.sql.statements import ACCOUNT_PART, RULE_INPUT_PARTS
from mdreg.adapters.sql.throttle import SqlLoginAttempts
from mdreg.adapters.sql.translation import Subject, carries_row_values, translate
from mdreg.adapters.sql.worklists import count_params, page_params, work_list_statements
from mdreg.domain.application import Application
from mdreg.domain.model import Institution
from mdreg.errors import MdregError, PersistenceError
from mdreg.ports import RuleInputs, SnapshotNeeded, UnitOfWork, WorkQuery

if TYPE_CHECKING:
    from mdreg.adapters.sql.store import SqlStore

T = TypeVar("T")
R = TypeVar("R")


class built_once(Generic[R]):
    """A repository built on first use in a unit and kept in the unit's ``__dict__``:
    :class:`functools.cached_property` without its lock (a unit of work belongs to one thread;
    on Python 3.11 the lock is taken on each first use, which a short read does eight times)."""

    def __init__(self, build: Callable[[Any], R]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, unit: None, owner: type) -> built_once[R]: ...

    @overload
    def __get__(self, unit: object, owner: type) -> R: ...

    def __get__(self, unit: object | None, owner: type) -> built_once[R] | R:
        if unit is None:
            return self
        value = unit.__dict__[self._name] = self._build(unit)
        return value

#: psycopg's ``TransactionStatus.IDLE`` (libpq's ``PQTRANS_IDLE``): no transaction open
_IDLE = 0


def _reused() -> PersistenceError:
    return PersistenceError("a unit of work cannot be reused")


#: The repositories whose rows the rules read, forgotten when a unit takes a hold.
_RULE_SOURCES = ("physicians", "institutions", "departments", "registrations", "filings",
                 "legacy", "applications", "accounts")


#: How each repository is built, on first use (a command touches a few of the sixteen).
class SqlUnitOfWork(UnitOfWork):
    """A unit of work on a :class:`~mdreg.adapters.sql.store.SqlStore`."""

    store: SqlStore

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._raw: PoolProxiedConnection | None = None
        self._cursor: Any = None
        self._writing = False
        self._done = False
        self._manual = False  # PostgreSQL at READ COMMITTED: autocommit, BEGIN by hand
        self._held: set[str] = set()  # physicians this unit holds (hold_physician)
        self._one_statement = False  # asked to run its first read outside a transaction
        self._outside = False  # it did: nothing more may run (SnapshotNeeded)

    # -- repositories, each built on first use in this unit (the port declares them as plain
    #    attributes; a cached property is one that is computed once, hence the overrides) ------

    @built_once
    def physicians(self) -> SqlPhysicians:  # type: ignore[override]
        return SqlPhysicians(self, self.store.statements, self.store.physician_mapper,
                             self.store.protection)

    @built_once
    def institutions(self) -> SqlKeyed[Institution]:  # type: ignore[override]
        return SqlKeyed(self, mapping.INSTITUTIONS, self.store.statements.institutions,
                        "institution")

    @built_once
    def departments(self) -> SqlDepartments:  # type: ignore[override]
        return SqlDepartments(self, self.store.statements)

    @built_once
    def registrations(self) -> SqlRegistrations:  # type: ignore[override]
        return SqlRegistrations(self, self.store.statements)

    @built_once
    def filings(self) -> SqlFilings:  # type: ignore[override]
        return SqlFilings(self, self.store.statements)

    @built_once
    def legacy(self) -> SqlLegacySites:  # type: ignore[override]
        return SqlLegacySites(self, self.store.statements)

    @built_once
    def applications(self) -> SqlApplications:  # type: ignore[override]
        return SqlApplications(self, self.store.statements)

    @built_once
    def audit(self) -> SqlAudit:  # type: ignore[override]
        return SqlAudit(self, self.store.statements)

    @built_once
    def idempotency(self) -> SqlIdempotency:  # type: ignore[override]
        return SqlIdempotency(self, self.store.statements)

    @built_once
    def accounts(self) -> SqlAccounts:  # type: ignore[override]
        return SqlAccounts(self, self.store.statements.portal, self.store.account_mapper)

    @built_once
    def codes(self) -> SqlCodes:  # type: ignore[override]
        return SqlCodes(self, self.store.statements.portal, self.store.code_mapper,
                        self.store.protection)

    @built_once
    def login_attempts(self) -> SqlLoginAttempts:  # type: ignore[override]
        return SqlLoginAttempts(self, self.store.dialect)

    @built_once
    def outbox(self) -> SqlOutbox:  # type: ignore[override]
        return SqlOutbox(self, self.store.dialect, self.store.outbox_mapper)

    @built_once
    def notices(self) -> SqlNotices:  # type: ignore[override]
        return SqlNotices(self, self.store.dialect)

    @built_once
    def personal_changes(self) -> SqlPersonalChanges:  # type: ignore[override]
        return SqlPersonalChanges(self, self.store.statements.portal)

    @built_once
    def practice_info(self) -> SqlPracticeInfo:  # type: ignore[override]
        return SqlPracticeInfo(self, self.store.statements.portal)

    @built_once
    def assessments(self) -> SqlAssessments:  # type: ignore[override]
        return SqlAssessments(self, self.store.statements.portal)

    @built_once
    def deadlines(self) -> SqlDeadlines:  # type: ignore[override]
        return SqlDeadlines(self, self.store.dialect)

    @built_once
    def calendar_years(self) -> SqlCalendarYears:  # type: ignore[override]
        return SqlCalendarYears(self)

    @built_once
    def revisions(self) -> SqlRevisions:  # type: ignore[override]
        return SqlRevisions(self, self.store.dialect)

    def __enter__(self) -> SqlUnitOfWork:
        if self._done:
            raise _reused()
        return self

    # -- the one place that talks to the driver ---------------------------------------------

    def _guarded(self, action: Callable[[], T], subject: Subject | None = None) -> T:
        try:
            return action()
        except self.store.driver_errors as exc:
            failure = self._translate(exc, subject)
            if not carries_row_values(exc):
                raise failure from exc
        raise failure  # outside the handler: no driver text quoting row values is chained

    def _translate(self, exc: Exception, subject: Subject | None) -> MdregError:
        lost = self._raw is not None and self.store.is_disconnect(exc, self._raw)
        if lost and self._raw is not None:
            raw, self._raw, self._cursor = self._raw, None, None
            self._done = True
            raw.invalidate()
        return translate(exc, subject, lost=lost)

    def _connect(self) -> Any:
        """The unit's cursor, on a connection checked out on first use."""
        if self._done:
            raise _reused()
        if self._cursor is None:
            raw = self._raw = self._guarded(self.store.engine.raw_connection)
            self._manual = self.store.autocommit_reads(raw)
            if self._manual:
                self._guarded(lambda: setattr(raw.driver_connection, "autocommit", True))
            self._cursor = self._guarded(raw.cursor)
        return self._cursor

    def read(self, statement: Select[Any] | TextClause,
             params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Rows of a query; after commit or rollback, of the committed data (as in memory)."""
        plan = self.store.plans.read(statement)
        if self._done:
            return self._guarded(lambda: self._read_committed(plan, params))
        rows: Sequence[Sequence[Any]] = self._run([(plan, params)])[0]
        return rows

    def _fetch(self, cursor: Any, plan: Plan, params: Mapping[str, Any]) -> list[Any]:
        execute(cursor, plan.sql, plan.parameters(params))
        return plan.convert(cursor.fetchall())

    def _read_committed(self, plan: Plan, params: Mapping[str, Any]) -> list[Any]:
        raw = self.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            rows = self._fetch(cursor, plan, params)
            raw.rollback()
            return rows
        finally:
            raw.close()

    def write(self, statement: Insert | Update | Delete, params: Mapping[str, Any],
              subject: Subject) -> int:
        """Run a write (taking the write lock first) and return how many rows it changed."""
        plan = self.store.plans.write(statement, params)
        cursor = self._begin_write()
        changed = self._guarded(lambda: self._change(cursor, plan, params), subject)
        if self.store.hook is not None:
            self.store.hook(f"wrote:{subject.kind}")
        return changed

    @staticmethod
    def _change(cursor: Any, plan: Plan, params: Mapping[str, Any]) -> int:
        execute(cursor, plan.sql, plan.parameters(params))
        return int(cursor.rowcount)

    def read_many(self, queries: Sequence[Query]) -> list[Sequence[Sequence[Any]]]:
        """The rows of several queries; on PostgreSQL sent together (one round trip, psycopg's
        pipeline mode), elsewhere one after the other."""
        if self._done:
            return [self.read(statement, params) for statement, params in queries]
        if not queries:  # every answer held already: nothing to run, nor to begin
            return []
        return self._run([(self.store.plans.read(statement), params)
                          for statement, params in queries])

    # -- transactions: a snapshot for the reads, the write lock for the writes ---------------

    def _opening(self, write: bool) -> list[str]:
        """What must run before the unit's next statement, so that it runs in the right
        transaction: nothing once the unit writes (or when psycopg opens the transaction, at a
        stricter isolation level); else, before a read, :attr:`SqlStore.begin_read` unless the
        read transaction is open; before a write, the end of the read transaction (if open) and
        :attr:`SqlStore.begin_write`."""
        if self._writing or not (self._manual or self.store.dialect == "sqlite"):
            return []
        reading = self._in_transaction()
        if write:
            return ["COMMIT", self.store.begin_write] if reading else [self.store.begin_write]
        return [] if reading else [self.store.begin_read]

    def _in_transaction(self) -> bool:
        """Whether the unit's connection has a transaction open (the driver's own account)."""
        connection = self._raw.driver_connection if self._raw is not None else None
        if connection is None:
            return False
        if self.store.dialect == "sqlite":
            return bool(connection.in_transaction)
        return bool(connection.info.transaction_status != _IDLE)

    def one_statement(self) -> bool:
        """On PostgreSQL, where a unit opens its transactions itself (READ COMMITTED, the
        default), before the unit has run anything: yes (see the port)."""
        if self._cursor is not None or self._done or self.store.dialect != "postgresql":
            return False
        self._connect()
        self._one_statement = self._manual
        return self._one_statement

    def _run(self, plans: list[tuple[Plan, Mapping[str, Any]]],
             write: bool = False) -> list[Any]:
        """The rows of ``plans``, run in the unit's read transaction, or its write transaction
        if ``write`` (opening it first); the first read of a unit asked for
        :meth:`one_statement`, a single statement, runs outside any transaction."""
        cursor = self._connect()
        if self._outside:
            raise SnapshotNeeded()
        if self._one_statement and not write and len(plans) == 1:
            self._one_statement, self._outside = False, True
            return self._guarded(lambda: self._send(cursor, [], plans))
        self._one_statement = False
        opening = self._opening(write)
        rows = self._guarded(lambda: self._send(cursor, opening, plans))
        self._writing = self._writing or write
        return rows

    def _send(self, cursor: Any, opening: list[str],
              plans: list[tuple[Plan, Mapping[str, Any]]]) -> list[Any]:
        """Run ``opening`` and ``plans``: on PostgreSQL, several statements go together (one
        round trip, psycopg's pipeline mode); elsewhere one after the other."""
        if self.store.dialect != "postgresql" or len(opening) + len(plans) < 2:
            for sql in opening:
                execute(cursor, sql)
            return [self._fetch(cursor, plan, params) for plan, params in plans]
        connection = self._raw.driver_connection if self._raw is not None else None
        if connection is None:  # pragma: no cover - _connect() checked a connection out
            raise _reused()
        cursors = [connection.cursor() for _ in plans]
        with connection.pipeline():
            for sql in opening:
                execute(connection.cursor(), sql)
            for each, (plan, params) in zip(cursors, plans, strict=True):
                execute(each, plan.sql, plan.parameters(params))
        return [plan.convert(each.fetchall()) for each, (plan, _) in zip(cursors, plans, strict=True)]

    def _rule_sources(self) -> tuple[tuple[ReadAhead, ...], tuple[ReadAheadPerPhysician, ...]]:
        """The repositories the rule inputs come from, in the order of
        :data:`~mdreg.adapters.sql.statements.RULE_INPUT_PARTS`."""
        return ((self.physicians, self.institutions, self.departments),
                (self.registrations, self.filings, self.legacy))

    def _hold_rule_inputs(self, rows: Sequence[Sequence[Any]], keys: tuple[str, str, str]) -> None:
        """Keep the rows of a combined rule-inputs statement as the repositories' answers (the
        account's row as it is: it is loaded if asked for)."""
        parts: list[list[Any]] = [[] for _ in RULE_INPUT_PARTS]
        account: Mapping[str, Any] | None = None
        for part, _, row in rows:
            if part == ACCOUNT_PART:
                account = row
            elif part >= 0:
                parts[part].append(self.store.rule_input_mappers[part].from_json(row))
        self.accounts.hold_json(keys[0], account)
        keyed, per_physician = self._rule_sources()
        for repository, key, found in zip(keyed, keys, parts, strict=False):
            repository.hold(key, found[0] if found else None)
        for rows_of, found in zip(per_physician, parts[len(keyed):], strict=True):
            rows_of.hold_of(keys[0], tuple(found))

    def application_for_rules(self, application_id: str, *, hold: bool = True
                              ) -> Application | None:
        """The application, read holding its physician. On SQLite the write lock is taken
        first (it serializes every writer); on PostgreSQL one round trip begins the
        transaction, takes the physician's advisory lock and reads the application with what
        the rules read. Without ``hold``, the unit reads them in its read transaction (one
        moment, no lock): on PostgreSQL in one statement, on SQLite the application first."""
        statements = self.store.statements
        if self._done:
            return self.applications.get(application_id)
        params = {"application_id": application_id}
        if statements.application_rule_inputs is None or statements.hold_applicant is None:
            if not hold:
                return self.applications.get(application_id)
            self._begin_write()
            app = self.applications.get(application_id)
            if app is not None:
                self._held.add(app.physician_id)
            return app
        if not hold:
            return self._with_rule_inputs(self.read(statements.application_rule_inputs, params))
        app = self._with_rule_inputs(self._read_holding(
            statements.hold_applicant, statements.application_rule_inputs, params))
        if app is not None:
            self._held.add(app.physician_id)
        return app

    def _with_rule_inputs(self, rows: Sequence[Sequence[Any]]) -> Application | None:
        """The application of a combined read (part -1), its rule inputs kept by the
        repositories."""
        if not rows or rows[0][0] != -1:
            return None
        app = mapping.APPLICATIONS.from_json(rows[0][2])
        self._hold_rule_inputs(rows[1:], (app.physician_id, app.institution_id, app.department_id))
        return app

    def hold_physician(self, physician_id: str) -> bool:
        if physician_id in self._held:
            return False
        self.read_locked(self.store.statements.hold_physician, {"physician_id": physician_id})
        self._held.add(physician_id)
        for name in _RULE_SOURCES:  # rows read before the hold may be stale
            self.__dict__.pop(name, None)
        return True

    def _read_holding(self, lock: Select[Any], statement: TextClause,
                      params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """PostgreSQL: begin the write transaction (if not yet), run the locking ``lock`` and
        then ``statement``, sent together in one round trip."""
        lock_plan, plan = self.store.plans.read(lock), self.store.plans.read(statement)
        rows: Sequence[Sequence[Any]] = self._run([(lock_plan, params), (plan, params)],
                                                  write=True)[1]
        return rows

    def work_list(self, query: WorkQuery) -> tuple[tuple[Application, date], ...]:
        """One statement: the page with each application's earliest open deadline."""
        found = self.read(work_list_statements(self.store.dialect).page_for(query),
                          page_params(query, self.store.dialect))
        return tuple((mapping.APPLICATIONS.from_row(row[1:]), _as_date(row[0]))
                     for row in found)

    def state_counts(self, holder: str, party: str, states: tuple[str, ...]) -> dict[str, int]:
        found = self.read(work_list_statements(self.store.dialect).counts[holder],
                          count_params(party, states, self.store.dialect))
        return {str(state): int(n) for state, n in found}

    def rule_inputs(self, physician_id: str, institution_id: str,
                    department_id: str) -> RuleInputs:
        """What the rules read, in one round trip on PostgreSQL; rows the unit holds already
        are not read again."""
        keyed, per_physician = self._rule_sources()
        keys = (physician_id, institution_id, department_id)
        combined = self.store.statements.rule_inputs
        if combined is not None and all(r.query(k) for r, k in zip(keyed, keys, strict=True)) \
                and all(r.query_of(physician_id) for r in per_physician):
            params = {"physician_id": physician_id, "institution_id": institution_id,
                      "department_id": department_id}
            self._hold_rule_inputs(self.read(combined, params), keys)
            return super().rule_inputs(physician_id, institution_id, department_id)
        wanted: list[tuple[Query, Callable[[Sequence[Sequence[Any]]], None]]] = []
        for repository, key in zip(keyed, keys, strict=True):
            query = repository.query(key)
            if query is not None:
                wanted.append((query, functools.partial(repository.accept, key)))
        for rows_of in per_physician:
            query = rows_of.query_of(physician_id)
            if query is not None:
                wanted.append((query, functools.partial(rows_of.accept_of, physician_id)))
        answers = self.read_many([q for q, _ in wanted])
        for (_, accept), answer in zip(wanted, answers, strict=True):
            accept(answer)
        return super().rule_inputs(physician_id, institution_id, department_id)

    def read_locked(self, statement: Select[Any],
                    params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Rows of a locking query (``FOR UPDATE``), read after taking the write lock, so on
        SQLite (no row locks) concurrent lockers are serialized by ``BEGIN IMMEDIATE``."""
        rows: Sequence[Sequence[Any]] = self._run([(self.store.plans.read(statement), params)],
                                                  write=True)[0]
        return rows

    def _begin_write(self) -> Any:
        """The unit's cursor, in its write transaction (opened, if not yet)."""
        self._run([], write=True)
        return self._cursor

    def driver_sql(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a literal statement run on the unit's connection (diagnostics and tests)."""
        cursor = self._connect()
        return self._guarded(lambda: self._literal(cursor, sql, params))

    @staticmethod
    def _literal(cursor: Any, sql: str, params: Sequence[Any]) -> list[Any]:
        execute(cursor, sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    # -- ending -----------------------------------------------------------------------------

    def commit(self) -> None:
        if self._done:
            raise _reused()
        raw, self._done = self._raw, True
        if raw is None:
            return
        hook = self.store.hook

        def end() -> None:
            if hook is not None:
                hook("commit")  # a fault test may fail the COMMIT here, as the database could
            self._end(raw, "COMMIT")

        try:
            self._guarded(end)
        finally:
            self._close()
        if hook is not None:
            hook("committed")

    def rollback(self) -> None:
        raw, self._done = self._raw, True
        if raw is None:
            return
        try:
            self._end(raw, "ROLLBACK")
        except self.store.driver_errors:  # the connection is gone, and the server rolled back
            self._raw = None
            raw.invalidate()
        finally:
            self._close()

    def _end(self, raw: PoolProxiedConnection, command: str) -> None:
        if self._manual or self.store.dialect == "sqlite":  # the unit began the transaction
            if self._in_transaction():  # reading or writing
                execute(self._cursor, command)
        elif command == "COMMIT":  # psycopg began it
            raw.commit()
        else:
            raw.rollback()

    def _close(self) -> None:
        raw, self._raw, self._cursor = self._raw, None, None
        if raw is None:
            return
        try:
            connection = raw.driver_connection
            if self._manual and connection is not None:
                connection.rollback()  # a transaction the unit began and did not end
                connection.autocommit = False  # as the pool handed it out
            raw.close()
        except self.store.driver_errors:  # pragma: no cover - closing a broken connection
            raw.invalidate()


def _as_date(value: Any) -> date:
    """A date column's value (SQLite returns the stored text when no type converts it)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
