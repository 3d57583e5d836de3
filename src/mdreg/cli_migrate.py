"""``mdreg migrate plan|apply|revert``: move in-flight applications to a new revision of their
business type's state machine (see :mod:`mdreg.service.migrations`).

``plan`` lists every in-flight application with its state mapping and exits with 1 when some
have no place in the target; ``--out`` writes the plan to a file, which ``apply`` and ``revert``
read — so what is applied is what was reviewed, and an interrupted ``apply`` is finished by
running it again with the same file.

>>> from typer.testing import CliRunner
>>> from mdreg.cli import app
>>> result = CliRunner().invoke(app, ["migrate", "plan", "--db", "memory://",
...                                   "--to", "registration"])
>>> "0 in-flight application(s)" in result.output
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import mdreg
from mdreg.cli_support import console_width, fail, opening
from mdreg.domain.application import Actor
from mdreg.errors import MdregError
from mdreg.service.migrations import MigrationPlan, MigrationReport

migrate_app = typer.Typer(help="Move in-flight applications to a new state machine revision.",
                          no_args_is_help=True)
console = Console(width=console_width())

Db = Annotated[str, typer.Option("--db", help="the registry's database URL")]
PlanFile = Annotated[Path, typer.Option("--plan", help="a plan written by `mdreg migrate plan "
                                                       "--out`")]
By = Annotated[str, typer.Option("--by", help="who runs it, as recorded in each application's "
                                              "history")]
Batch = Annotated[int, typer.Option("--batch", min=1, max=10_000,
                                    help="applications per transaction")]


def _open(url: str) -> mdreg.Registry:
    with opening(url):
        return mdreg.open(url)


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise fail(f"--map {pair!r} is not OLD_STATE=NEW_STATE")
        mapping[old.strip()] = new.strip()
    return mapping


@migrate_app.command("plan")
def plan(
    db: Db,
    to: Annotated[str, typer.Option("--to", help="the target: a published revision "
                                                 "(registration@…) or a business type id (its "
                                                 "state machine in this code)")],
    map_states: Annotated[list[str] | None, typer.Option(
        "--map", help="OLD_STATE=NEW_STATE for a state the target lacks (repeatable)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the plan (JSON) here")] = None,
) -> None:
    """List every in-flight application the migration would move and where to; exit 1 when
    some have no state in the target."""
    registry = _open(db)
    try:
        found = registry.plan_migration(to, _mapping(map_states or []))
    except MdregError as error:
        raise fail(error.describe()) from None
    table = Table("application", "from revision", "state", "→ state",
                  title=f"迁移计划 {found.id} → {found.to_revision}")
    for move in found.moves:
        table.add_row(move.application_id, move.from_revision, move.from_state,
                      move.to_state or "[bold red]unmapped[/]")
    if found.moves:
        console.print(table)
    console.print(f"{len(found.moves)} in-flight application(s), {len(found.unmapped)} "
                  f"unmapped; plan {found.id}", markup=False)
    if out is not None:
        try:
            out.write_text(found.to_json(), encoding="utf-8")
        except OSError as error:
            raise fail(f"--out {out}: {error.strerror or error}") from None
    if not found.ready:
        raise typer.Exit(1)


def _read(path: Path) -> MigrationPlan:
    try:
        return MigrationPlan.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"--plan {path}: {error.strerror or error}") from None
    except (MdregError, UnicodeDecodeError) as error:
        raise fail(f"--plan {path}: not a migration plan ({error})") from None


def _progress(total: int) -> Progress:
    return Progress(TextColumn("[bold]migrating"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console,
                    disable=not console.is_terminal or total == 0)


def _run(db: str, plan_file: Path, by: str, batch: int, revert: bool, as_json: bool) -> None:
    if not by.strip():
        raise fail("--by names who runs the migration")
    found = _read(plan_file)
    registry = _open(db)
    actor = Actor.system(by.strip())
    run = registry.revert_migration if revert else registry.migrate
    with _progress(len(found.moves)) as progress:
        task = progress.add_task("applications", total=len(found.moves))
        try:
            report = run(found, actor, batch_size=batch,
                         progress=lambda done: progress.update(task, completed=done))
        except MdregError as error:
            raise fail(error.describe(), code=1) from None
    _print(report, as_json)


def _print(report: MigrationReport, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps({"plan": report.plan_id, "moved": list(report.moved),
                                       "done": list(report.done),
                                       "skipped": dict(report.skipped)}, ensure_ascii=False))
        return
    for application_id, why in report.skipped.items():
        console.print(f"skipped {application_id}: {why}", markup=False)
    console.print(f"plan {report.plan_id}: {len(report.moved)} moved, {len(report.done)} "
                  f"already done, {len(report.skipped)} skipped", markup=False)


Json = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


@migrate_app.command("apply")
def apply(db: Db, plan_file: PlanFile, by: By, batch: Batch = 100, as_json: Json = False
          ) -> None:
    """Move the plan's applications in batches; run it again to finish an interrupted run."""
    _run(db, plan_file, by, batch, revert=False, as_json=as_json)


@migrate_app.command("revert")
def revert(db: Db, plan_file: PlanFile, by: By, batch: Batch = 100, as_json: Json = False
           ) -> None:
    """Move the plan's applications back, unless something happened to them since."""
    _run(db, plan_file, by, batch, revert=True, as_json=as_json)
