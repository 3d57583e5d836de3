"""Profile mdreg's side of a benchmark with pyinstrument (the ``bench`` extra).

    python -m benchmarks.profile approve_sqlite      # also: approve_postgres, check_sqlite,
    python -m benchmarks.profile check_postgres -n 2000   # check_postgres, import_sqlite,
                                                     # import_postgres, worklist_sqlite,
                                                     # worklist_postgres, tick_sqlite,
                                                     # tick_postgres, simulation
    python -m benchmarks.profile approve_sqlite --layers -n 1000   # self time per layer

Prints the call tree of the measured operation only (set-up is not profiled). For sampling
with native frames, run the same under py-spy: ``py-spy record -o out.svg -- python -m
benchmarks.profile approve_sqlite``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import fixtures
from benchmarks.harness import Context

OPERATIONS = ("approve_sqlite", "approve_postgres", "check_sqlite", "check_postgres",
              "import_sqlite", "import_postgres", "worklist_sqlite", "worklist_postgres",
              "tick_sqlite", "tick_postgres", "simulation")


def _prepare(ctx: Context, operation: str, n: int, pg: fixtures.Postgres
             ) -> Callable[[], Any]:
    """Set up, and return the operation to profile."""
    from benchmarks import bulk_import, command, eligibility
    from mdreg.domain.application import Actor

    backend = operation.rsplit("_", 1)[-1]
    url = (pg.fresh("profile") if backend == "postgres"
           else fixtures.sqlite_url(fixtures.sqlite_file(ctx.workdir, "profile.db")))
    if operation.startswith("approve"):
        registry, physicians, institutions = command.setup(url, n + 10)
        apps = command.prepare(registry, physicians[:n], institutions)
        departments = {a: registry.application(a).department_id for a in apps}
        return lambda: [registry.fire(a, "approve", Actor.authority(departments[a]))
                        for a in apps]
    if operation.startswith("check"):
        data = bulk_import.registry_data(ctx)
        registry = fixtures.open_registry(url)
        registry.import_registry(departments=data.departments, institutions=data.institutions,
                                 physicians=data.physicians, registrations=data.registrations)
        drafts = eligibility.draft_applications(ctx, registry)
        for app_id, _, _ in drafts:
            registry.check(app_id, "submit")
        return lambda: [registry.check(drafts[i % len(drafts)][0], "submit") for i in range(n)]
    if operation.startswith("worklist"):
        from benchmarks import worklist
        from mdreg.service.views import WorkFilter

        listing = worklist.build(ctx, url)
        listed = WorkFilter(states=(worklist.STATE,))

        def pages() -> None:
            for i in range(n):
                department = listing.departments[i % len(listing.departments)]
                view = listing.registry.view(Actor.authority(department))
                first = view.work_list(listed, limit=worklist.PAGE)
                view.work_list(listed, after=first.next, limit=worklist.PAGE)

        return pages
    if operation.startswith("tick"):
        from datetime import UTC, datetime, timedelta

        from benchmarks import tick

        deadlines = tick.build(ctx, url, 1)  # one day: N / 20 passed deadlines
        day = datetime.combine(deadlines.first_due + timedelta(days=1), datetime.min.time(), UTC)
        return lambda: deadlines.registry.tick(day)
    if operation.startswith("import"):
        data = bulk_import.registry_data(ctx)
        registry = fixtures.open_registry(url)
        return lambda: registry.import_registry(
            departments=data.departments, institutions=data.institutions,
            physicians=data.physicians, registrations=data.registrations)
    from benchmarks.simulation import _config
    from mdreg.simulation import run

    return lambda: run(_config(ctx, 7), url)


#: Where self time is spent, by the first rule that matches the function's file or name.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loading and dumping entities (cattrs, JSON, attrs)",
     ("cattrs", "serialization.py", "mapping.py", "json", "attrs generated", "cattrs generated")),
    ("driver, connection pool and database (waiting included)",
     ("sqlite3", "psycopg", "driver.py", "sqlalchemy/pool", "Cursor", "method 'execute'",
      "fetchall", "commit")),
    ("rules", ("/rules/",)),
    ("engine (transitions)", ("/workflows/base.py", "transitions")),
    ("unit of work and repositories", ("/adapters/sql/",)),
    ("service and declarations: authorization, routing, deadlines, effects, audit data",
     ("/service/", "/workflows/", "/domain/", "/infra/")),
)


def layer_shares(operation: Callable[[], Any]) -> list[tuple[str, float]]:
    """Run ``operation`` under cProfile and return the shares of self time per layer (the rest:
    timestamp conversions, ``attrs.evolve``, built-ins)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    operation()
    profile.disable()
    totals: dict[str, float] = {}
    for (path, _line, function), row in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        where = f"{path} {function}"
        layer = next((name for name, marks in LAYERS if any(m in where for m in marks)),
                     "the rest")
        totals[layer] = totals.get(layer, 0.0) + row[2]
    whole = sum(totals.values()) or 1.0
    return sorted(((name, t / whole) for name, t in totals.items()), key=lambda x: -x[1])


def main(argv: list[str] | None = None) -> None:
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("-n", type=int, default=300, help="operations to profile")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval (s)")
    parser.add_argument("--layers", action="store_true",
                        help="print the shares of self time per layer (cProfile) instead")
    args = parser.parse_args(argv)
    fixtures.install()
    with tempfile.TemporaryDirectory(prefix="mdreg-profile-") as tmp:
        ctx = Context(quick=True, workdir=Path(tmp), postgres_url=args.postgres, reps=5)
        pg = fixtures.Postgres(args.postgres)
        try:
            operation = _prepare(ctx, args.operation, args.n, pg)
            if args.layers:
                for name, share in layer_shares(operation):
                    print(f"{share:6.1%}  {name}")
                return
            profiler = Profiler(interval=args.interval)
            profiler.start()
            operation()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        finally:
            if "postgres" in args.operation:
                pg.cleanup()


if __name__ == "__main__":
    main()
