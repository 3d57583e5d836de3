"""python -m benchmarks [--quick] [--only NAME[,NAME…]] — see docs/performance.md."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import fixtures
from benchmarks.harness import (
    METRICS,
    RESULTS,
    Context,
    Result,
    load_average,
    machine,
    table,
    write_results,
)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
Runner = Callable[[Context], list[Result]]


def _runners(pg: fixtures.Postgres) -> dict[str, tuple[Runner, bool]]:
    """Metric → (runner, needs PostgreSQL), in execution order (bulk imports feed eligibility)."""
    from benchmarks import (
        bulk_import,
        command,
        eligibility,
        retained,
        simulation,
        tail,
        tick,
        transition,
        worklist,
    )

    return {
        "transition_overhead": (transition.run, False),
        "command_sqlite": (command.run_sqlite, False),
        "command_postgres": (lambda ctx: command.run_postgres(ctx, pg), True),
        "bulk_import_sqlite": (bulk_import.run_sqlite, False),
        "eligibility_p99_sqlite": (eligibility.run_sqlite, False),
        "bulk_import_postgres": (lambda ctx: bulk_import.run_postgres(ctx, pg), True),
        "eligibility_p99_postgres": (lambda ctx: eligibility.run_postgres(ctx, pg), True),
        "worklist_p99_sqlite": (worklist.run_sqlite, False),
        "worklist_p99_postgres": (lambda ctx: worklist.run_postgres(ctx, pg), True),
        "tick_throughput_sqlite": (tick.run_sqlite, False),
        "tick_throughput_postgres": (lambda ctx: tick.run_postgres(ctx, pg), True),
        "tick_scaling_postgres": (lambda ctx: tick.run_scaling(ctx, pg), True),
        "retained_memory": (retained.run, False),
        "workers_postgres": (lambda ctx: simulation.run_workers(ctx, pg), True),
        "tail_writers_postgres": (lambda ctx: tail.run(ctx, pg), True),
        "simulation_overhead": (simulation.run_overhead, False),
    }


def _select(only: str | None) -> list[str]:
    if not only:
        return list(METRICS)
    chosen: list[str] = []
    for word in (w.strip() for w in only.split(",") if w.strip()):
        matches = [m for m in METRICS if m == word or m.startswith(word)]
        if not matches:
            raise SystemExit(f"unknown metric {word!r}; choose from: {', '.join(METRICS)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smaller registry (20,000 physicians) and fewer commands: < 3 min")
    parser.add_argument("--only", metavar="NAME[,NAME…]",
                        help="run only these metrics (a prefix selects several: 'command')")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per side (at least 5)")
    parser.add_argument("--postgres", default=os.environ.get("MDREG_BENCH_POSTGRES_URL",
                                                             DEFAULT_POSTGRES),
                        help="server to create mdreg_bench_* databases on (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    if args.reps < 5:
        parser.error("--reps must be at least 5 (medians of ≥ 5 repetitions)")
    chosen = _select(args.only)

    fixtures.install()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mdreg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=args.quick, workdir=workdir, postgres_url=args.postgres, reps=args.reps,
                  log=lambda line: print(line, flush=True))
    pg = fixtures.Postgres(args.postgres)
    runners = _runners(pg)
    needs_pg = any(runners[name][1] for name in chosen)
    pg_problem = pg.available() if needs_pg else ""
    info = machine()
    if needs_pg and not pg_problem:
        info["postgresql"] = pg.version()
    mode = (f"quick: {ctx.physicians:,} physicians instead of 1,000,000, fewer commands"
            if args.quick else f"full: {ctx.physicians:,} physicians")
    started_load = load_average()
    print(f"mdreg benchmarks — {mode}; medians of {args.reps} repetitions", flush=True)
    print(f"machine: {info['processor']}, {info['cpus']} cores, Python {info['python']}, "
          f"SQLite {info['sqlite']}" + (f", PostgreSQL {info['postgresql']}"
                                         if "postgresql" in info else ""), flush=True)
    if started_load:
        print(f"load average at start: {started_load[0]:.2f} (other work on this machine adds "
              "noise; ratios are measured side by side in this run)", flush=True)

    results: list[Result] = []
    started = time.perf_counter()
    try:
        for name in [n for n in runners if n in chosen]:
            runner, postgres = runners[name]
            if postgres and pg_problem:
                config = {"command_postgres": ("s", 2.0), "eligibility_p99_postgres": ("s", 1.5),
                          "worklist_p99_postgres": ("s", 3.0),
                          "tick_throughput_postgres": ("s", 2.0),
                          "bulk_import_postgres": ("s", 2.0), "workers_postgres": ("commands/s", 1.6),
                          "tail_writers_postgres": ("s", 1.2)}
                unit, target = config[name]
                results.append(Result(name, None, None, unit, target, skipped=pg_problem,
                                      check="ratio>=" if name == "workers_postgres" else "ratio<="))
                print(f"  {name}: skipped ({pg_problem})", flush=True)
                continue
            print(f"  {name} …", flush=True)
            begun = time.perf_counter()
            produced = runner(ctx)
            for result in produced:
                ratio = result.ratio
                print(f"    {result.name}: mdreg {result.mdreg!r} baseline {result.baseline!r} "
                      f"ratio {'—' if ratio is None else f'{ratio:.2f}'} "
                      f"({time.perf_counter() - begun:.0f} s)", flush=True)
            results.extend(produced)
    finally:
        if needs_pg and not pg_problem:
            pg.cleanup()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    ended_load = load_average()
    results.sort(key=lambda r: METRICS.index(r.name))
    print()
    print(table(results, ctx.references))
    print()
    load_note = (f"load average {started_load[0]:.2f} → {ended_load[0]:.2f}"
                 if started_load and ended_load else "")
    print(f"{mode}; {elapsed:.0f} s; {load_note}")
    run = {"mode": "quick" if args.quick else "full", "physicians": ctx.physicians,
           "reps": args.reps, "seconds": round(elapsed, 1),
           "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": info,
           "load_average": [started_load, ended_load]}
    write_results(results, ctx.references, run, args.json)
    print(f"wrote {args.json}")
    failed = [r.name for r in results if r.passed is False]
    if failed:
        print(f"targets missed: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
