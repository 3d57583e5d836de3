"""python -m benchmarks.national [--scale 0.01] [--db sqlite|postgres|both] — a national registry
on one machine (docs/performance.md, "A national registry").

At ``--scale 1``: 31 provinces, 4.8 M physicians, about 5.8 M registrations
(:mod:`benchmarks.national_data`). Every figure is paired with a baseline measured in the same
run, by the code of the regular benchmarks:

import          ``Registry.import_registry`` of 30 provinces vs ``executemany`` (SQLite) /
                ``COPY`` (PostgreSQL) of the same prebuilt rows (:mod:`benchmarks.bulk_import`;
                one import per side at this size, ``--import-reps``)
month           a simulated month (``--days``) of 浙江's business — the 31st province,
                generated and loaded by the simulation with its share of the physicians —
                through the real engine with ``--workers`` processes, on a copy of the
                national database vs the same seed on an empty one: the same work (checked),
                commands per second on both
check p99       ``Registry.check(app, "submit")`` vs the hand-written check
                (:mod:`benchmarks.eligibility`)
fire p99        one 注册 ``approve`` through ``Registry.fire`` vs the hand-written approval
                (:class:`benchmarks.command.RawApprove`), per command
work-list p99   a department's first two pages vs the hand-written query
                (:mod:`benchmarks.worklist`; N / 10 pending applications added)

and records the database size on disk after the import and at the end, and the peak resident
memory of this process and of the simulation's worker processes. Results go to
``benchmarks/national.json`` (``--json``) and a Markdown table is printed. Not run in CI.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import bulk_import, command, eligibility, fixtures, worklist
from benchmarks.harness import (
    Context,
    Result,
    alternate,
    load_average,
    machine,
    median,
    percentile,
)
from benchmarks.national_data import FULL_PHYSICIANS, SIMULATED, National, generate, share
from benchmarks.simulation import RUN_ONLY
from mdreg.domain.application import Actor
from mdreg.simulation import SimulationConfig, run

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS = Path(__file__).with_name("national.json")
#: approvals timed per side and repetition
FIRES = 100


@dataclass
class Row:
    """One line of the table: a figure and its same-run baseline."""

    metric: str
    mdreg: float | None
    baseline: float | None
    unit: str
    note: str = ""
    #: the medians (p50) of a latency's samples, mdreg's and the baseline's, beside its p99
    p50: tuple[float, float] | None = None

    @property
    def ratio(self) -> float | None:
        if self.mdreg is None or not self.baseline:
            return None
        return self.mdreg / self.baseline

    def entry(self) -> dict[str, Any]:
        entry = {"metric": self.metric, "mdreg": self.mdreg, "baseline": self.baseline,
                 "ratio": self.ratio, "unit": self.unit, "note": self.note}
        if self.p50 is not None:
            entry["p50"] = {"mdreg": self.p50[0], "baseline": self.p50[1]}
        return entry


def _row(result: Result, metric: str, extra: str = "", ctx: Context | None = None) -> Row:
    """A row of a regular benchmark's result; with ``ctx``, the p50 reference rows it recorded
    (``mdreg p50 …`` and ``baseline p50 …``) go with it."""
    p50 = None
    if ctx is not None:
        found = {ref.name.split(" ")[0]: ref.value
                 for ref in ctx.references.get(result.name, []) if " p50" in ref.name}
        if "mdreg" in found and "baseline" in found:
            p50 = (found["mdreg"], found["baseline"])
            extra = "; ".join(n for n in (extra, _p50_note(p50)) if n)
    return Row(metric, result.mdreg, result.baseline, result.unit,
               "; ".join(n for n in (result.note, extra) if n), p50)


def _p50_note(p50: tuple[float, float]) -> str:
    return f"p50 {_fmt(p50[0], 's')} / {_fmt(p50[1], 's')}"


def peak_memory() -> dict[str, float]:
    """Peak resident set (MiB) of this process and of its largest waited-for child."""
    kib = 1 if sys.platform != "darwin" else 1 / 1024
    return {"self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1024,
            "children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 1024}


class Backend:
    """Where the national database lives, and how it is copied and measured."""

    def __init__(self, db: str, workdir: Path, pg: fixtures.Postgres | None) -> None:
        self.db, self.workdir, self.pg = db, workdir, pg

    def size(self, url: str) -> int:
        """Bytes on disk of the database at ``url``."""
        if self.db == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        assert self.pg is not None
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")
                                        ).scalar_one())
        finally:
            engine.dispose()

    def copy(self, url: str, name: str) -> str:
        """A copy of the database at ``url`` (no connection to it may be open)."""
        if self.db == "sqlite":
            source = Path(url.removeprefix("sqlite:///"))
            return fixtures.sqlite_url(fixtures.copy_sqlite(source, self.workdir / f"{name}.db"))
        assert self.pg is not None
        from sqlalchemy import text

        database = url.rsplit("/", 1)[1]
        full = f"{fixtures.PG_PREFIX}_{name}"
        self.pg.drop(full)
        with self.pg.admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database})
            conn.execute(text(f'CREATE DATABASE "{full}" TEMPLATE "{database}"'))
            conn.execute(text(f'ALTER DATABASE "{full}" SET synchronous_commit = off'))
        return self.pg.url(full)

    def empty(self, name: str) -> str:
        """A new, migrated, empty database."""
        if self.db == "sqlite":
            return fixtures.sqlite_url(fixtures.sqlite_file(self.workdir, f"{name}.db"))
        assert self.pg is not None
        return self.pg.fresh(name)


# -- the steps -------------------------------------------------------------------------------

def import_registry(ctx: Context, backend: Backend) -> tuple[Row, str]:
    """Both imports (mdreg's registry left in place); returns the row and the registry's URL."""
    if backend.db == "sqlite":
        (result,) = bulk_import.run_sqlite(ctx)
        url = fixtures.sqlite_url(ctx.cache["sqlite_registry"])
    else:
        assert backend.pg is not None
        (result,) = bulk_import.run_postgres(ctx, backend.pg)
        url = ctx.cache["postgres_registry"]
    rows = result.details["rows"]
    rate = (f"{rows / result.mdreg:,.0f} rows/s vs {rows / result.baseline:,.0f} rows/s"
            if result.mdreg and result.baseline else "")
    name = "executemany" if backend.db == "sqlite" else "COPY"
    return _row(result, "import", f"baseline {name}; {rate}"), url


def month(ctx: Context, backend: Backend, url: str, config: SimulationConfig,
          workers: int) -> tuple[Row, dict[str, Any]]:
    """The simulated month on a copy of the national database vs on an empty one."""
    national = backend.copy(url, "national_month")
    empty = backend.empty("national_month_empty")
    reports: dict[str, dict[str, Any]] = {}

    def simulate(side: str, target: str) -> float:
        report = run(config, target, workers=workers)
        gc.collect()
        assert not report["invariant_violations"], report["invariant_violations"]
        reports[side] = report
        return float(report["commands"]) / float(report["seconds"])

    at_size, alone = simulate("national", national), simulate("empty", empty)
    same = {k: v for k, v in reports["national"].items() if k not in RUN_ONLY}
    other = {k: v for k, v in reports["empty"].items() if k not in RUN_ONLY}
    differing = sorted(k for k in same if same[k] != other.get(k))
    assert not differing, f"the month did different work at national size: {differing}"
    commands = reports["national"]["commands"]
    row = Row("commands/s (month)", at_size, alone, "commands/s",
              f"{config.physicians:,} physicians of {SIMULATED} × {config.days} "
              f"day{'s' if config.days != 1 else ''}, seed "
              f"{config.seed}, {workers} workers, {commands:,} commands on each side (the same "
              "work, checked); baseline: the same month on an empty database")
    return row, {"national": _summary(reports["national"]), "empty": _summary(reports["empty"])}


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("commands", "seconds", "command_seconds",
                                   "commands_per_second", "workers")}


def fire_p99(ctx: Context, url: str, backend: Backend, data: National) -> Row:
    """p99 of one 注册 approve per side, over newcomers' applications at institutions of their
    province, the sides alternating per repetition."""
    registry = fixtures.open_registry(url)
    per_rep = min(FIRES, max(5, (len(data.newcomers) - 10) // (2 * ctx.reps)))
    needed = per_rep * ctx.reps * 2
    apps: list[str] = []
    for physician in data.newcomers[:needed]:
        province = next(p for p in data.provinces
                        if physician.id_number.value[:2] == p[:2])
        apps += command.prepare(registry, [physician], data.institutions_of(province)[:3])
    departments = {a: registry.application(a).department_id for a in apps}
    if backend.db == "sqlite":
        conn: Any = fixtures.raw_sqlite(Path(url.removeprefix("sqlite:///")))
        raw = command.RawApprove(conn, "sqlite")
    else:
        import psycopg

        assert backend.pg is not None
        conn = psycopg.connect(backend.pg.dsn(url.rsplit("/", 1)[1]), autocommit=False)
        raw = command.RawApprove(conn, "postgresql")
    now = registry.clock.now().astimezone(UTC)
    chunks = [apps[n * per_rep:(n + 1) * per_rep] for n in range(2 * ctx.reps)]
    p99: dict[str, list[float]] = {"mdreg": [], "baseline": []}
    p50: dict[str, list[float]] = {"mdreg": [], "baseline": []}

    def timed(side: str, one: Any, ids: list[str]) -> float:
        times = []
        for app_id in ids:
            started = time.perf_counter()
            one(app_id)
            times.append(time.perf_counter() - started)
        p99[side].append(percentile(times, 0.99))
        p50[side].append(percentile(times, 0.5))
        return p99[side][-1]

    def mine(app_id: str) -> None:
        app = registry.fire(app_id, "approve", Actor.authority(departments[app_id], user="审批科"))
        assert app.state == "approved", app.state

    alternate(ctx.reps,
              lambda rep: timed("mdreg", mine, chunks[2 * rep]),
              lambda rep: timed("baseline", lambda a: raw(a, departments[a], now),
                                chunks[2 * rep + 1]))
    conn.close()
    ratios = [m / b for m, b in zip(p99["mdreg"], p99["baseline"], strict=True)]
    middle = sorted(range(len(ratios)), key=lambda n: ratios[n])[(len(ratios) - 1) // 2]
    medians = (median(p50["mdreg"]), median(p50["baseline"]))
    return Row("fire p99 (approve)", p99["mdreg"][middle], p99["baseline"][middle], "s",
               f"p99 of {per_rep} approvals per side and repetition; the repetition with the "
               f"median of {ctx.reps} ratios ({min(ratios):.2f}–{max(ratios):.2f}×); baseline: "
               "the hand-written approval (benchmarks/command.py), notice and outbox included; "
               f"{_p50_note(medians)} (medians of the repetitions)", medians)


def check_p99(ctx: Context, backend: Backend) -> Row:
    if backend.db == "sqlite":
        (result,) = eligibility.run_sqlite(ctx)
    else:
        assert backend.pg is not None
        (result,) = eligibility.run_postgres(ctx, backend.pg)
    return _row(result, "check p99 (submit)", ctx=ctx)


def worklist_p99(ctx: Context, url: str, backend: Backend) -> Row:
    listing = worklist.build(ctx, url)
    if backend.db == "sqlite":
        conn: Any = fixtures.raw_sqlite(Path(url.removeprefix("sqlite:///")))
    else:
        import psycopg

        assert backend.pg is not None
        conn = psycopg.connect(backend.pg.dsn(url.rsplit("/", 1)[1]), autocommit=True)
    try:
        result = worklist._measure(ctx, f"worklist_p99_{backend.db}", listing, conn)
    finally:
        conn.close()
        listing.store.close()
    return _row(result, "work-list page p99", ctx=ctx)


# -- the run ---------------------------------------------------------------------------------

def measure(db: str, scale: float, *, days: int, workers: int, reps: int, import_reps: int,
            workdir: Path, postgres: str, seed: int = 1,
            log: Any = print) -> dict[str, Any]:
    """Every figure on one database; returns the run's record (see the module docstring)."""
    physicians = round(FULL_PHYSICIANS * scale)
    simulated = max(20, round(physicians * share(SIMULATED)))
    started = time.perf_counter()
    data = generate(physicians - simulated, seed=seed)
    log(f"  generated {len(data.physicians):,} physicians outside {SIMULATED}, "
        f"{len(data.registrations):,} registrations, {len(data.institutions):,} institutions, "
        f"{len(data.departments):,} departments in {time.perf_counter() - started:.0f} s")
    pg = fixtures.Postgres(postgres) if db == "postgres" else None
    if pg is not None and (problem := pg.available()):
        raise SystemExit(f"PostgreSQL is not available: {problem}")
    workdir.mkdir(parents=True, exist_ok=True)
    backend = Backend("sqlite" if db == "sqlite" else "postgres", workdir, pg)
    ctx = Context(quick=True, workdir=workdir, postgres_url=postgres, reps=import_reps,
                  log=log)
    ctx.cache["data"] = data
    rows: list[Row] = []
    sizes: dict[str, int] = {}
    try:
        log("  import …")
        row, url = import_registry(ctx, backend)
        rows.append(row)
        sizes["after_import"] = backend.size(url)
        log(f"    {row.metric}: {row.note}")
        timed = replace(ctx, reps=reps)
        # the work-list step adds pending applications by the hundred thousand, the check's
        # drafts would collide with them: it gets a copy of the imported registry
        listing_url = backend.copy(url, "national_worklist")
        reports: dict[str, Any] = {}
        if days:  # ``--days 0`` leaves the simulated month out
            log("  a simulated month …")
            config = SimulationConfig(physicians=simulated, days=days, seed=seed)
            row, reports = month(timed, backend, url, config, workers)
            rows.append(row)
            sizes["month_copy_at_end"] = backend.size(backend_url(backend, "national_month"))
            log(f"    {row.metric}: {row.mdreg:.1f} vs {row.baseline:.1f}")
        log("  fire p99 …")  # first: the check's drafts may be newcomers'
        fixtures.ID_SPACE = 7  # steps on one database: ids of their own
        rows.append(fire_p99(timed, url, backend, data))
        log("  check p99 …")
        fixtures.ID_SPACE = 8  # steps on one database: ids of their own
        rows.append(check_p99(timed, backend))
        log("  work-list p99 …")
        fixtures.ID_SPACE = 9  # steps on one database: ids of their own
        rows.append(worklist_p99(timed, listing_url, backend))
        sizes["at_end"] = backend.size(url)
    finally:
        fixtures.ID_SPACE = 0
        if pg is not None:
            pg.cleanup()
    return {"db": db, "scale": scale, "physicians": physicians,
            "registrations": len(data.registrations), "simulated_physicians": simulated,
            "rows": [r.entry() for r in rows], "sizes": sizes, "month": reports,
            "memory": peak_memory(), "seconds": round(time.perf_counter() - started, 1)}


def backend_url(backend: Backend, name: str) -> str:
    if backend.db == "sqlite":
        return fixtures.sqlite_url(backend.workdir / f"{name}.db")
    assert backend.pg is not None
    return backend.pg.url(f"{fixtures.PG_PREFIX}_{name}")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return (f"{value * 1e6:.0f} µs" if value < 1e-3 else
                f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.1f} s")
    return f"{value:,.1f}/s"


def markdown(record: dict[str, Any]) -> str:
    """The table of one database's run."""
    lines = ["| metric | mdreg | baseline (same run) | ratio | note |", "|---|---|---|---|---|"]
    for row in record["rows"]:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        lines.append(f"| {row['metric']} | {_fmt(row['mdreg'], row['unit'])} | "
                     f"{_fmt(row['baseline'], row['unit'])} | {ratio} | {row['note']} |")
    sizes = ", ".join(f"{k.replace('_', ' ')} {v / 2**20:,.0f} MiB"
                      for k, v in record["sizes"].items())
    memory = record["memory"]
    lines.append(f"| database on disk | {sizes} | | | |")
    lines.append(f"| peak memory | {memory['self_mib']:,.0f} MiB (this process), "
                 f"{memory['children_mib']:,.0f} MiB (largest worker) | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.national", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01,
                        help="share of the national size (1 = 4.8 M physicians; default 0.01)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--days", type=int, default=30,
                        help="simulated days (default 30; 0 leaves the month out)")
    parser.add_argument("--workers", type=int, default=2, help="simulation worker processes")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the p99 metrics")
    parser.add_argument("--import-reps", type=int, default=1, help="imports per side")
    parser.add_argument("--postgres", default=os.environ.get("MDREG_BENCH_POSTGRES_URL",
                                                             DEFAULT_POSTGRES))
    parser.add_argument("--workdir", type=Path, help="where SQLite files go (default: temp)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    fixtures.install()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mdreg-national-"))
    workdir.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"mdreg national registry at scale {args.scale:g}: "
          f"{round(FULL_PHYSICIANS * args.scale):,} physicians; {info['processor']}, "
          f"{info['cpus']} cores, {info.get('memory_gb', '?')} GB", flush=True)
    records = []
    try:
        for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            load = load_average()
            print(f"{db}: load average {load[0] if load else '?':.2f}", flush=True)
            record = measure(db, args.scale, days=args.days, workers=args.workers,
                             reps=args.reps, import_reps=args.import_reps,
                             workdir=workdir / db, postgres=args.postgres,
                             log=lambda line: print(line, flush=True))
            ended = load_average()
            record["load_average"] = [load, ended]
            records.append(record)
            print(markdown(record), flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.json.write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": info,
        "args": {k: str(v) for k, v in vars(args).items()}, "runs": records},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
