"""``mdreg calendar import|status`` and ``mdreg health``: the holiday data a registry counts with.

>>> from typer.testing import CliRunner
>>> from mdreg.cli import app
>>> result = CliRunner().invoke(app, ["calendar", "status", "--db", "memory://",
...                                   "--as-of", "2026-06-01"])
>>> "2026" in result.output and "chinesecalendar" in result.output
True
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import mdreg
from mdreg.cli_support import console_width, fail, opening
from mdreg.errors import MdregError

calendar_app = typer.Typer(help="Holiday data (节假日安排) for working-day deadlines.",
                           no_args_is_help=True)
console = Console(width=console_width())

Db = Annotated[str, typer.Option("--db", help="the registry's database URL")]
AsOf = Annotated[str, typer.Option("--as-of", help="the day to judge by (YYYY-MM-DD; today)")]


def _open(url: str) -> mdreg.Registry:
    with opening(url):
        return mdreg.open(url)


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


@calendar_app.command("import")
def import_year(path: Annotated[Path, typer.Argument(help="a TOML file of [years.YYYY] tables "
                                                         "(holidays, workdays, notice)")],
                db: Db) -> None:
    """Import a year's holiday schedule (the State Council's notice, written down) and recompute
    every provisional deadline that now has data."""
    registry = _open(db)
    try:
        done = registry.import_calendar(path)
    except (MdregError, OSError) as error:
        raise fail(f"{path}: {error}") from None
    moved = sum(change.moved for change in done.recomputed)
    console.print(f"imported {', '.join(map(str, done.years))} into {registry.url}: "
                  f"{len(done.recomputed)} provisional deadline(s) recomputed, {moved} moved")


@calendar_app.command("status")
def status(db: Db, as_of: AsOf = "") -> None:
    """Where each year's holiday data comes from, last year to two years ahead."""
    registry = _open(db)
    table = Table("year", "source", "imported", "notice", title="节假日数据 Holiday data")
    for year in registry.calendar_status(_day(as_of)):
        table.add_row(str(year.year), year.source or "none: provisional (weekdays only)",
                      year.imported_at.date().isoformat() if year.imported_at else "",
                      year.notice)
    console.print(table)


def health(db: Db, as_of: AsOf = "") -> None:
    """Warnings a deployer acts on (holiday data running out, provisional deadlines); exits
    with 1 when there are any."""
    registry = _open(db)
    found = registry.health(_day(as_of))
    for warning in found.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    if not found.ok:
        raise typer.Exit(1)
    console.print(f"ok as of {found.as_of.isoformat()}")
