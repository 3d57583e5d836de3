"""Tests every SQL backend shares: subclassed by test_sqlite.py and test_postgres.py.

Fixture hooks: ``url`` (a migrated, empty database) and ``fresh_url`` (a database without mdreg's
tables).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Select, Update, text

import mdreg
from mdreg.adapters.sql import SqlStore, mapping, migrate, tables
from mdreg.adapters.sql.driver import traced
from mdreg.adapters.sql.tables import METADATA
from mdreg.adapters.sql.worklists import page_params, work_list_statements
from mdreg.domain.application import Actor, RegistrationRequest
from mdreg.domain.deadlines import Deadline, DeadlineKind, DeadlineStatus
from mdreg.errors import PersistenceError, SerializationError, UniquenessConflict, ValidationError
from mdreg.ports import NO_DUE_DATE, WorkQuery
from mdreg.testing import World
from mdreg.testing.contract import (
    T0,
    RegistryContract,
    UnitOfWorkContract,
    application,
    commit_after,
    physician,
    registration,
    same,
)
from mdreg.testing.contract_deadlines import DUE, deadline
from mdreg.testing.entities import department
from mdreg.testing.race import race, work_due_race

STRESS = os.environ.get("MDREG_STRESS") == "1"
RACE_ROUNDS = int(os.environ.get("MDREG_RACE_ROUNDS", "200" if STRESS else "20"))


def plan(store: SqlStore, sql: str, params: Any = ()) -> str:
    """The query plan, with sequential scans discouraged as far as the planner allows."""
    explain = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(explain + sql, params).all()
        conn.rollback()
    return "\n".join(str(row[-1]) for row in rows)


def statement_plan(store: SqlStore, statement: Select[Any] | Update, **params: Any) -> str:
    compiled = statement.compile(dialect=store.engine.dialect, column_keys=list(params))
    values = compiled.construct_params(params)
    if compiled.positiontup is not None:
        return plan(store, compiled.string, tuple(values[name] for name in compiled.positiontup))
    return plan(store, compiled.string, values)


def as_date(value: Any) -> date:
    """A date column's value as the driver returns it (SQLite: ISO text without a type)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def index_definitions(conn: Connection) -> dict[str, str]:
    """Every index of mdreg's tables → its definition, as the database reports it."""
    names = sorted(METADATA.tables)
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        return {name: " ".join(sql.split()) for name, sql in rows if name != "sqlite_autoindex"}
    rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                             "WHERE schemaname = current_schema() AND tablename = ANY(:t)"),
                        {"t": names})
    return {str(name): str(definition) for name, definition in rows}


class SqlBackendContract(UnitOfWorkContract, RegistryContract):
    """The unit-of-work and registry contracts plus what only SQL backends promise."""

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def fresh_url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def store(self, url: str) -> Any:
        store = SqlStore.connect(url)
        yield store
        store.close()

    @pytest.fixture
    def make_uow(self, store: SqlStore) -> Any:
        return store.unit_of_work

    @pytest.fixture
    def registry_url(self, url: str) -> str:
        return url

    # time -----------------------------------------------------------------------------------

    def test_timestamps_are_stored_and_loaded_in_utc(self, store: SqlStore) -> None:
        self.seed(store.unit_of_work, physician(1), application(1))
        with store.unit_of_work() as uow:
            app = uow.applications.get("A1")
        assert app is not None and app.created_at == T0
        assert app.created_at.utcoffset() is not None and app.created_at.utcoffset().seconds == 0
        with store.engine.connect() as conn:
            raw = conn.execute(text("SELECT created_at FROM applications")).scalar_one()
        expected = "2026-03-02 01:30:15.123456" if store.dialect == "sqlite" else T0
        assert raw == expected

    def test_a_naive_datetime_is_refused(self, store: SqlStore) -> None:
        naive = attrs.evolve(application(1), created_at=datetime(2026, 3, 2, 9))
        with pytest.raises(ValidationError), store.unit_of_work() as uow:
            commit_after(uow, lambda: uow.physicians.put(physician(1)),
                         lambda: uow.applications.add(naive))
        self.assert_empty(store.unit_of_work)

    # statements on the driver's cursor --------------------------------------------------------

    def test_plans_convert_values_as_sqlalchemy_does(self, store: SqlStore) -> None:
        """Rows a unit wrote (through plans on the driver's cursor) read back equal through
        SQLAlchemy, and rows SQLAlchemy wrote read back equal through a unit."""
        sql = store.statements
        first = [physician(1), registration(1), application(1)]
        self.seed(store.unit_of_work, *first)
        gets = [(mapping.PHYSICIANS, sql.physicians.get, "P1"),
                (mapping.REGISTRATIONS, sql.registrations.get, "R1"),
                (mapping.APPLICATIONS, sql.applications.get, "A1")]
        with store.engine.connect() as conn:
            through_sqlalchemy = [mapper.from_row(conn.execute(get, {"key": key}).one())
                                  for mapper, get, key in gets]
        assert all(same(a, b) for a, b in zip(through_sqlalchemy, first, strict=True))
        later = T0 + timedelta(days=3, microseconds=7)
        changed_app = attrs.evolve(application(1), updated_at=later, submitted_at=later,
                                   application_date=date(2026, 3, 5), version=2)
        changed_reg = attrs.evolve(registration(1), ended_on=date(2027, 1, 31))
        with store.engine.begin() as conn:
            conn.execute(sql.registrations.put, mapping.REGISTRATIONS.to_row(changed_reg))
            conn.execute(sql.applications.save, {**mapping.APPLICATIONS.to_row(changed_app),
                                                 "key": "A1", "expected": 1})
        with store.unit_of_work() as uow:
            assert same(uow.registrations.get("R1"), changed_reg)
            assert same(uow.applications.get("A1"), changed_app)

    def test_traced_collects_the_statements_units_run(self, store: SqlStore) -> None:
        self.seed(store.unit_of_work, physician(1))
        with traced() as seen, store.unit_of_work() as uow:
            uow.physicians.get("P1")
            uow.idempotency.put("key", "fingerprint", "result")
            uow.commit()
        verbs = [sql.split(None, 1)[0].upper() for sql in seen]
        # the read transaction, ended when the unit writes; the write transaction
        assert verbs == ["BEGIN", "SELECT", "COMMIT", "BEGIN", "INSERT", "COMMIT"]
        assert "physicians" in seen[1]
        with store.unit_of_work() as uow:
            uow.physicians.get("P1")
        assert len(seen) == len(verbs)  # collected only inside the block

    def test_a_unit_reads_a_division_s_departments_once_and_again_after_writing_one(
            self, store: SqlStore) -> None:
        county, city = department("110105"), department("110100")
        self.seed(store.unit_of_work, county, city)
        with traced() as seen, store.unit_of_work() as uow:
            first = uow.departments.by_division(city.division)
            assert uow.departments.by_division(city.division) is first
            reads = len([sql for sql in seen if "FROM departments" in sql])
            moved = attrs.evolve(county, division=city.division)
            uow.departments.put(moved)
            after = uow.departments.by_division(city.division)
            uow.commit()
        assert reads == 1
        assert {d.id for d in after} == {d.id for d in first} | {"D110105"}
        assert len([sql for sql in seen if "FROM departments" in sql]) == 2

    def test_a_damaged_row_names_every_problem(self, store: SqlStore) -> None:
        self.seed(store.unit_of_work, physician(1))
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE physicians SET doc = :doc"),
                         {"doc": '{"qualifications": [], "civil_capacity": "unknown", "x": 1}'})
        with pytest.raises(SerializationError) as raised, store.unit_of_work() as uow:
            uow.physicians.get("P1")
        assert len(raised.value.messages) >= 2, raised.value.messages

    # errors -----------------------------------------------------------------------------------

    def test_driver_errors_become_persistence_errors(self, fresh_url: str) -> None:
        store = SqlStore.connect(fresh_url)
        migrate.upgrade(store.engine)
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE idempotency_keys"))
        with pytest.raises(PersistenceError) as raised, store.unit_of_work() as uow:
            uow.idempotency.get("key")
        driver_error = store.engine.dialect.loaded_dbapi.Error  # sqlite3.Error, psycopg.Error
        store.close()
        assert isinstance(raised.value.__cause__, driver_error)
        assert "idempotency_keys" not in str(raised.value)

    def test_conflicts_never_quote_personal_data(self, store: SqlStore) -> None:
        self.seed(store.unit_of_work, physician(1))
        twin = attrs.evolve(physician(1), id="P2")
        with pytest.raises(UniquenessConflict) as raised, store.unit_of_work() as uow:
            uow.physicians.put(twin)
        assert twin.id_number.value not in str(raised.value)
        # the driver's text may quote the row (PostgreSQL's DETAIL): it is not chained
        assert raised.value.__cause__ is None and raised.value.__context__ is None

    # indexes -----------------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("name", "params"),
        [
            ("applications.get", {"key": "A1"}),
            ("open_applications", {"physician_id": "P1"}),
            ("institution_inbox", {"party": "I1", "state": "pending_institution"}),
            ("department_inbox", {"party": "D1", "state": "pending_acceptance"}),
            ("physician_by_id_number", {"id_number": "11010519900102001X"}),
            ("departments_by_division", {"division": "110105"}),
            ("audit_of", {"aggregate_id": "A1"}),
            ("last_seq", {"aggregate_id": "A1"}),  # AuditLog.next_seq: max(seq) by index
            ("idempotency_get", {"key": "k"}),
            ("applications.save", {"key": "A1", "expected": 1, "state": "x"}),
        ],
    )
    def test_every_lookup_uses_an_index(self, store: SqlStore, name: str,
                                        params: dict[str, Any]) -> None:
        statement: Any = store.statements
        for part in name.split("."):
            statement = getattr(statement, part)
        self.assert_indexed(statement_plan(store, statement, **params))

    @pytest.mark.parametrize("name", ["registrations", "filings", "legacy_sites", "physicians"])
    def test_keyed_and_per_physician_lookups_use_an_index(self, store: SqlStore, name: str) -> None:
        keyed = getattr(store.statements, name)
        self.assert_indexed(statement_plan(store, keyed.get, key="X1"))
        if keyed.of_physician is not None:
            self.assert_indexed(statement_plan(store, keyed.of_physician, physician_id="P1"))

    def test_filed_registrations_use_the_partial_index(self, store: SqlStore) -> None:
        found = statement_plan(store, store.statements.registrations_filed,
                               on_or_before=date(2026, 1, 1))
        self.assert_indexed(found)
        assert "ix_registrations_filed_on" in found

    @pytest.mark.parametrize("states", [("under_review",), ("pending_acceptance", "under_review")])
    def test_a_work_list_page_is_read_in_order_from_the_holder_s_work_index(
            self, store: SqlStore, states: tuple[str, ...]) -> None:
        query = WorkQuery("department", "D1", states, limit=51)
        found = statement_plan(store, work_list_statements(store.dialect).page_for(query),
                               **page_params(query, store.dialect))
        scans = [line for line in found.splitlines() if "Seq Scan" in line
                 or (line.lstrip().startswith("SCAN") and "json_each" not in line)]
        assert not scans, found  # SQLite reads a list parameter's JSON array with json_each
        assert "ix_applications_department_work" in found, found
        assert "TEMP B-TREE" not in found and "Sort" not in found, found
        if store.dialect == "postgresql" and len(states) == 1:
            # one state is an index condition, not a filter on every row the scan fetches
            (condition,) = [line for line in found.splitlines() if "Index Cond" in line]
            assert "state" in condition and "Filter" not in found, found

    def test_the_plan_check_sees_a_table_scan(self, store: SqlStore) -> None:
        with pytest.raises(AssertionError, match="scan"):
            self.assert_indexed(plan(store, "SELECT id FROM applications WHERE target = 'x'"))

    @staticmethod
    def assert_indexed(found: str) -> None:
        """SQLite: every step a SEARCH, never a SCAN (of the table or of a whole index);
        PostgreSQL: no Seq Scan, and an index condition (not a walk along an index)."""
        scans = [line for line in found.splitlines() if "Seq Scan" in line
                 or line.lstrip().startswith("SCAN")]
        assert not scans, f"table scan in plan:\n{found}"
        assert "SEARCH" in found or "Index Cond" in found, f"no index lookup in plan:\n{found}"

    # work_due: each application's earliest open deadline, kept by the database ----------------

    @settings(max_examples=30 if not STRESS else 300, deadline=None,
              # each backend's subclass runs it; the test empties the tables per example
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.differing_executors])
    @given(st.lists(st.tuples(st.sampled_from(["open", "close", "move", "delete"]),
                              st.sampled_from(["A1", "A2"]), st.sampled_from(list(DeadlineKind)),
                              st.integers(-30, 30)), max_size=14))
    def test_work_due_is_always_the_earliest_open_deadline(
            self, store: SqlStore, steps: list[tuple[str, str, DeadlineKind, int]]) -> None:
        with store.engine.begin() as conn:  # each example starts from two applications
            for table in ("deadlines", "applications", "physicians"):
                conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - names written here
        self.seed(store.unit_of_work, physician(1), application(1),
                  application(2, target="110100"))
        rows: dict[str, Deadline] = {}  # what the deadlines table holds, by id
        for n, (step, subject, kind, days) in enumerate(steps):
            held = next((d for d in rows.values() if d.subject_id == subject and d.kind is kind
                         and d.is_open), None)
            if step == "delete":  # by a hand-written statement: the triggers keep it too
                gone = next((d for d in rows.values() if d.subject_id == subject
                             and d.kind is kind), None)
                if gone is None:
                    continue
                with store.engine.begin() as conn:
                    conn.execute(text("DELETE FROM deadlines WHERE id = :id"), {"id": gone.id})
                del rows[gone.id]
            else:
                with store.unit_of_work() as uow:
                    if step == "open" and held is None:
                        row = attrs.evolve(deadline(n, subject=subject, kind=kind),
                                           due=DUE + timedelta(days=days))
                        uow.deadlines.add(row)
                    elif step == "close" and held is not None:
                        row = attrs.evolve(held, status=DeadlineStatus.MET, closed_on=DUE,
                                           version=held.version + 1)
                        uow.deadlines.save(row, held.version)
                    elif step == "move" and held is not None:
                        row = attrs.evolve(held, due=held.due + timedelta(days=days),
                                           version=held.version + 1)
                        uow.deadlines.save(row, held.version)
                    else:
                        continue
                    uow.commit()
                rows[row.id] = row
            with store.engine.connect() as conn:
                stored = dict(conn.execute(text("SELECT id, work_due FROM applications")).all())
            for app_id in ("A1", "A2"):
                earliest = min((d.due for d in rows.values()
                                if d.subject_id == app_id and d.is_open), default=NO_DUE_DATE)
                assert as_date(stored[app_id]) == earliest, (app_id, steps[:n + 1])

    def test_work_due_holds_when_two_processes_change_one_application_s_deadlines(
            self, url: str) -> None:
        """Two processes, holding no physician, each close a deadline of one application and
        open another in the same moment, round after round; after every round the row's
        ``work_due`` is the earliest open deadline (on PostgreSQL the trigger locks the row
        before it reads the deadlines)."""
        mismatches, outcomes = work_due_race(url, processes=2, rounds=RACE_ROUNDS * 3)
        print(f"work_due race: 2 processes x {RACE_ROUNDS * 3} rounds -> {dict(outcomes)}, "
              f"{len(mismatches)} stale [{url.split(':', 1)[0]}]")
        assert mismatches == []
        assert outcomes == Counter({"ok": 2 * RACE_ROUNDS * 3})

    def test_the_migration_sets_work_due_of_existing_applications(self, fresh_url: str) -> None:
        migrate.upgrade(fresh_url, "0014")
        store = SqlStore.connect(fresh_url)
        apps = [application(1), application(2, target="110100"), application(3, target="120000")]
        rows = [deadline(1, subject="A1", due=date(2026, 3, 20)),
                deadline(2, subject="A1", kind=DeadlineKind.CORRECTION_WINDOW,
                         due=date(2026, 3, 9)),
                deadline(3, subject="A2", status=DeadlineStatus.MET),
                deadline(4, subject="A3", due=date(2026, 4, 1))]
        try:
            with store.engine.begin() as conn:
                conn.execute(tables.applications.insert(),
                             [mapping.APPLICATIONS.to_row(a) for a in apps])
                conn.execute(tables.deadlines.insert(), [mapping.DEADLINES.to_row(d) for d in rows])
            migrate.upgrade(fresh_url)
            with store.engine.connect() as conn:
                found = dict(conn.execute(text("SELECT id, work_due FROM applications")).all())
        finally:
            store.close()
        assert {k: as_date(v) for k, v in found.items()} == {
            "A1": date(2026, 3, 9), "A2": NO_DUE_DATE, "A3": date(2026, 4, 1)}

    def test_an_application_written_after_its_deadlines_gets_its_work_due(
            self, store: SqlStore) -> None:
        self.seed(store.unit_of_work, physician(1))
        with store.unit_of_work() as uow:  # the deadline first, then the application it is on
            uow.deadlines.add(deadline(1, subject="A1", due=date(2026, 3, 20)))
            uow.applications.add(application(1))
            uow.commit()
        with store.engine.connect() as conn:
            found = conn.execute(text("SELECT work_due FROM applications")).scalar_one()
        assert as_date(found) == date(2026, 3, 20)

    def test_the_triggers_keep_work_due_through_the_engine(self, url: str) -> None:
        """Through the real commands: a submission opens the institution's deadline, a
        confirmation closes it and opens the department's, a decision closes that."""
        registry = mdreg.open(url)
        world = World(registry)
        home = world.institution("110105")
        doctor = world.physician()
        app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            home.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        store = SqlStore.connect(url)

        def work_due() -> date:
            with store.engine.connect() as conn:
                found = conn.execute(text("SELECT work_due FROM applications WHERE id = :id"),
                                     {"id": app.id}).scalar_one()
            return as_date(found)

        def earliest() -> date:
            return min((d.due for d in registry.deadlines(app.id) if d.is_open),
                       default=NO_DUE_DATE)

        try:
            seen = [(app.state, work_due(), earliest())]
            app = registry.fire(app.id, "confirm", Actor.institution(home.id, user="人事科"))
            seen.append((app.state, work_due(), earliest()))
            app = registry.fire(app.id, "accept", Actor.authority(app.department_id, user="窗口"))
            seen.append((app.state, work_due(), earliest()))
            app = registry.fire(app.id, "approve", Actor.authority(app.department_id, user="科长"))
            seen.append((app.state, work_due(), earliest()))
        finally:
            store.close()
            registry.release()
        assert [stored for _, stored, _ in seen] == [due for _, _, due in seen], seen
        assert seen[-1][1] == NO_DUE_DATE and seen[-2][1] != NO_DUE_DATE, seen

    # migrations ----------------------------------------------------------------------------------

    def test_upgrade_downgrade_upgrade(self, fresh_url: str) -> None:
        migrate.upgrade(fresh_url)
        assert migrate.current(fresh_url) == migrate.head()
        migrate.downgrade(fresh_url, "base")
        assert migrate.current(fresh_url) is None
        emptied = SqlStore.connect(fresh_url)
        with emptied.engine.connect() as conn:
            assert index_definitions(conn) == {}
        emptied.close()
        migrate.upgrade(fresh_url)
        assert migrate.current(fresh_url) == migrate.head()
        assert migrate.drift(fresh_url) == []

    def test_drift_is_detected(self, fresh_url: str) -> None:
        store = SqlStore.connect(fresh_url)
        migrate.upgrade(store.engine)
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_applications_physician_id"))
        assert [diff[0] for diff in migrate.drift(store.engine)] == ["add_index"]
        store.close()

    def test_migrated_indexes_match_the_tables(self, url: str, fresh_url: str) -> None:
        """Partial-index predicates, which autogenerate does not compare, match exactly."""
        created = SqlStore.connect(fresh_url)
        METADATA.create_all(created.engine)
        migrated = SqlStore.connect(url)
        with created.engine.connect() as fresh, migrated.engine.connect() as conn:
            assert index_definitions(conn) == index_definitions(fresh)
            assert "open_application" in index_definitions(conn)
        created.close()
        migrated.close()

    def test_concurrent_upgrades_are_serialized(self, fresh_url: str) -> None:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                migrate.upgrade(fresh_url)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert migrate.current(fresh_url) == migrate.head()

    def test_unknown_revision_is_a_validation_error(self, url: str) -> None:
        with pytest.raises(ValidationError):
            migrate.downgrade(url, "nonexistent")

    # the registry ---------------------------------------------------------------------------------

    def test_data_survives_reopening(self, url: str) -> None:
        first = mdreg.open(url)
        doctor = World(first).physician()
        assert mdreg.open(url).physician(doctor.id) == doctor

    race_processes = 8 if STRESS else 4

    def test_concurrent_writers_one_winner_per_round(self, url: str) -> None:
        """R-01/R-02 (CI size; MDREG_STRESS=1 for 200 rounds)."""
        result = race(url, processes=self.race_processes, rounds=RACE_ROUNDS)
        expected = Counter({"ok": 1, "ConcurrencyConflict": self.race_processes - 1})
        bad = [(n, dict(c)) for n, c in enumerate(result.rounds) if c != expected]
        assert bad == []
        assert result.final_version == result.start_version + RACE_ROUNDS
        assert result.audit_seqs == tuple(range(1, result.final_version + 1))
