"""Profile mdreg's side of a benchmark with pyinstrument (the ``bench`` extra).

    python -m benchmarks.profile approve_sqlite      # also: approve_postgres, check_sqlite,
    python -m benchmarks.profile check_postgres -n 2000   # check_postgres, import_sqlite,
                                                     # import_postgres, simulation

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
              "import_sqlite", "import_postgres", "simulation")


def _prepare(ctx: Context, operation: str, n: int, pg: fixtures.Postgres
             ) -> Callable[[], Any]:
    """Set up, and return the operation to profile."""
    from benchmarks import bulk_import, command, eligibility
    from mdreg.domain.application import Actor

    backend = operation.rsplit("_", 1)[-1]
    if operation.startswith("approve"):
        url = (fixtures.sqlite_url(fixtures.sqlite_file(ctx.workdir, "profile.db"))
               if backend == "sqlite" else pg.fresh("profile"))
        registry, physicians, institutions = command.setup(url, n + 10)
        apps = command.prepare(registry, physicians[:n], institutions)
        departments = {a: registry.application(a).department_id for a in apps}
        return lambda: [registry.fire(a, "approve", Actor.authority(departments[a]))
                        for a in apps]
    if operation.startswith("check"):
        data = bulk_import.registry_data(ctx)
        url = (fixtures.sqlite_url(fixtures.sqlite_file(ctx.workdir, "profile.db"))
               if backend == "sqlite" else pg.fresh("profile"))
        registry = fixtures.open_registry(url)
        registry.import_registry(departments=data.departments, institutions=data.institutions,
                                 physicians=data.physicians, registrations=data.registrations)
        drafts = eligibility._drafts(ctx, registry)
        for app_id, _, _ in drafts:
            registry.check(app_id, "submit")
        return lambda: [registry.check(drafts[i % len(drafts)][0], "submit") for i in range(n)]
    if operation.startswith("import"):
        data = bulk_import.registry_data(ctx)
        url = (fixtures.sqlite_url(fixtures.sqlite_file(ctx.workdir, "profile.db"))
               if backend == "sqlite" else pg.fresh("profile"))
        registry = fixtures.open_registry(url)
        return lambda: registry.import_registry(
            departments=data.departments, institutions=data.institutions,
            physicians=data.physicians, registrations=data.registrations)
    from benchmarks.simulation import _config
    from mdreg.simulation import run

    url = fixtures.sqlite_url(fixtures.sqlite_file(ctx.workdir, "profile.db"))
    return lambda: run(_config(ctx, 7), url)


def main(argv: list[str] | None = None) -> None:
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("-n", type=int, default=300, help="operations to profile")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval (s)")
    args = parser.parse_args(argv)
    fixtures.install()
    with tempfile.TemporaryDirectory(prefix="mdreg-profile-") as tmp:
        ctx = Context(quick=True, workdir=Path(tmp), postgres_url=args.postgres, reps=5)
        pg = fixtures.Postgres(args.postgres)
        try:
            operation = _prepare(ctx, args.operation, args.n, pg)
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
