"""bulk_import_sqlite / bulk_import_postgres: importing the registry through
``Registry.import_registry`` vs the raw limit, sqlite3 ``executemany`` / PostgreSQL ``COPY`` of
the same rows.

The registry: N physicians (1,000,000; ``--quick``: 20,000), ~1.2 N registrations, N/50
institutions and the departments of two provinces (benchmarks/data.py), generated once and
shared by both sides. mdreg's time runs from the call with the domain objects to the return
after COMMIT: type checks, reference checks, row building, writes. The baseline gets the finished
row tuples (the very values mdreg writes, built before its timer starts) and only writes them:
one transaction, one ``executemany`` (plain ``INSERT``) or one ``COPY`` per table. Both write into
the migrated schema with every index in place, into an empty database each time (SQLite: a
fresh copy of an empty migrated file; PostgreSQL: the tables truncated).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks import fixtures
from benchmarks.data import Registry as Data
from benchmarks.data import generate
from benchmarks.harness import Context, Result, alternate, median
from mdreg.adapters.sql import bulk

TABLES = ("departments", "institutions", "physicians", "registrations")
KINDS = {"departments": bulk.DEPARTMENTS, "institutions": bulk.INSTITUTIONS,
         "physicians": bulk.PHYSICIANS, "registrations": bulk.REGISTRATIONS}


def registry_data(ctx: Context) -> Data:
    """The shared synthetic registry (generated once per run)."""
    if "data" not in ctx.cache:
        started = time.perf_counter()
        ctx.cache["data"] = generate(ctx.physicians, seed=1)
        data: Data = ctx.cache["data"]
        ctx.log(f"    generated {len(data.physicians):,} physicians, "
                f"{len(data.registrations):,} registrations, {len(data.institutions):,} "
                f"institutions in {time.perf_counter() - started:.1f} s")
    return ctx.cache["data"]  # type: ignore[no-any-return]


def baseline_rows(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """The rows mdreg writes, per table, built once (checked against the mapper on a sample)."""
    if "rows" not in ctx.cache:
        data = registry_data(ctx)
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for table in TABLES:
            kind: Any = KINDS[table]
            entities = getattr(data, table)
            for entity in entities[:: max(1, len(entities) // 50)]:
                assert kind.fast(entity) == kind.mapped(entity)
            rows[table] = [kind.fast(entity) for entity in entities]
        ctx.cache["rows"] = rows
    return ctx.cache["rows"]  # type: ignore[no-any-return]


def _import(registry: Any, data: Data) -> float:
    gc.collect()
    started = time.perf_counter()
    registry.import_registry(departments=data.departments, institutions=data.institutions,
                             physicians=data.physicians, registrations=data.registrations)
    return time.perf_counter() - started


def _insert_sql(table: str, marks: str) -> str:
    columns = KINDS[table].columns
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marks] * len(columns))})"  # noqa: S608


# -- SQLite -----------------------------------------------------------------------------------

def run_sqlite(ctx: Context) -> list[Result]:
    data, rows = registry_data(ctx), baseline_rows(ctx)
    template = fixtures.sqlite_file(ctx.workdir, "bulk_template.db")
    fixtures.open_registry(fixtures.sqlite_url(template))  # migrated, empty
    gc.collect()
    target = ctx.workdir / "bulk.db"

    def mdreg_run(_: int) -> float:
        fixtures.copy_sqlite(template, target)
        registry = fixtures.open_registry(fixtures.sqlite_url(target))
        seconds = _import(registry, data)
        del registry
        gc.collect()
        return seconds

    def raw_run(_: int) -> float:
        fixtures.copy_sqlite(template, target)
        conn = fixtures.raw_sqlite(target)
        gc.collect()
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            conn.executemany(_insert_sql(table, "?"), rows[table])
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        conn.close()
        return seconds

    reps = ctx.reps
    mine, theirs = alternate(reps, mdreg_run, raw_run)
    # leave an mdreg-imported registry behind for the eligibility benchmark
    mdreg_run(reps)
    ctx.cache["sqlite_registry"] = fixtures.copy_sqlite(target, ctx.workdir / "registry.db")
    return [Result("bulk_import_sqlite", median(mine), median(theirs), "s", 2.0,
                   note=f"{len(data.physicians):,} physicians + {len(data.registrations):,} "
                        f"registrations ({data.rows():,} rows); median of {reps} imports",
                   details={"mdreg_samples": mine, "baseline_samples": theirs,
                            "rows": data.rows(), "physicians": len(data.physicians)})]


# -- PostgreSQL -------------------------------------------------------------------------------

def run_postgres(ctx: Context, pg: fixtures.Postgres) -> list[Result]:
    import psycopg

    data, rows = registry_data(ctx), baseline_rows(ctx)
    url = pg.fresh("registry")
    dsn = pg.dsn("mdreg_bench_registry")

    def empty() -> None:
        pg.truncate(url, (*TABLES, "legacy_sites"))

    def mdreg_run(_: int) -> float:
        empty()
        registry = fixtures.open_registry(url)
        seconds = _import(registry, data)
        del registry
        gc.collect()
        return seconds

    def raw_run(_: int) -> float:
        empty()
        with psycopg.connect(dsn, autocommit=False) as conn:
            gc.collect()
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for table in TABLES:
                    columns = ", ".join(KINDS[table].columns)
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
            conn.commit()
            return time.perf_counter() - started

    reps = ctx.reps
    mine, theirs = alternate(reps, mdreg_run, raw_run)
    mdreg_run(reps)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # fresh statistics for the eligibility benchmark's planner
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    ctx.cache["postgres_registry"] = url
    return [Result("bulk_import_postgres", median(mine), median(theirs), "s", 2.0,
                   note=f"{len(data.physicians):,} physicians + {len(data.registrations):,} "
                        f"registrations ({data.rows():,} rows); median of {reps} imports",
                   details={"mdreg_samples": mine, "baseline_samples": theirs,
                            "rows": data.rows(), "physicians": len(data.physicians)})]
