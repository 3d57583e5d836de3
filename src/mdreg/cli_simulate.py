"""``mdreg simulate``: a province's registration business, run through the real engine.

Everything the run depends on is checked before it starts: the output paths, the bounds, and the
database. Without ``--db`` the run uses a temporary SQLite file, deleted afterwards; an existing
SQLite file named by ``--db`` is overwritten only with ``--replace``.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from mdreg.cli_support import console_width, fail, opening, redact, sqlite_file, writable

console = Console(width=console_width())
MAX_PHYSICIANS = 1_000_000
MAX_DAYS = 3660  # ten years


def simulate(
    physicians: Annotated[int, typer.Option(min=1, max=MAX_PHYSICIANS,
                                            help="physicians in the province")] = 200,
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="simulated days")] = 30,
    seed: Annotated[int, typer.Option(help="random seed; same seed, same result")] = 0,
    db: Annotated[str, typer.Option(help="database URL (default: a temporary SQLite file, "
                                         "deleted after the run)")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="overwrite the SQLite file --db "
                                                            "names if it exists")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the report as JSON")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="write charts as HTML")] = None,
    workers: Annotated[int, typer.Option(min=1, max=9, help="processes sharing the database")] = 1,
) -> None:
    """Simulate a province: sign-ups, applications of all nine types, decisions, deadlines."""
    from mdreg.simulation import SimulationConfig, run

    writable(json_path, "--json")
    writable(html_path, "--html")
    if html_path and importlib.util.find_spec("plotly") is None:
        raise fail("--html needs plotly: pip install 'mdreg[cli]'")
    config = SimulationConfig(physicians=physicians, days=days, seed=seed)
    progress = Progress(TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("days"), TimeElapsedColumn(), console=console,
                        disable=not console.is_terminal)
    with _database(db, replace=replace) as url, progress, opening(url):
        task = progress.add_task("days", total=days)
        report = run(config, url, on_day=lambda _d: progress.advance(task), workers=workers)
    _print_report(report, temporary=not db)
    if json_path:
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if html_path:
        from mdreg.simulation.report import write_html

        write_html(report, html_path)
    if report["invariant_violations"]:
        raise fail(f"{len(report['invariant_violations'])} registry invariant(s) broken", 1)


@contextmanager
def _database(db: str, *, replace: bool) -> Iterator[str]:
    """The URL to simulate on: ``db``, or a temporary SQLite file removed afterwards."""
    if not db:
        with tempfile.TemporaryDirectory(prefix="mdreg-simulation-") as directory:
            yield f"sqlite:///{Path(directory) / 'simulation.db'}"
        return
    path = sqlite_file(db)
    if replace and path is None:
        raise fail(f"--replace applies to a SQLite file (--db sqlite:///PATH), not {redact(db)}")
    if path is not None and path.exists():
        if not replace:
            raise fail(f"{path} exists; --replace overwrites it, or name another --db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield db


#: The columns of the two tables of applications per type: states still open, in the order an
#: application passes them, then the outcomes; any other state is added to the outcomes.
IN_PROGRESS = ("draft", "pending_institution", "pending_acceptance", "under_review",
               "needs_correction", "returned")
OUTCOMES = ("approved", "rejected", "not_accepted", "withdrawn")


def report_tables(report: dict[str, Any], *, temporary: bool = False) -> list[Table]:
    """The report as tables that stay readable 80 columns wide: a business type is its code,
    a state its full name (wrapped), and nothing is cut short."""
    from mdreg.simulation.report import rule_labels, type_labels

    by_type: dict[str, dict[str, int]] = report["by_type"]
    others = sorted({s for per in by_type.values() for s in per} - {*IN_PROGRESS, *OUTCOMES})
    in_progress = _per_type("Applications in progress per type", by_type, {
        state.replace("_", " "): {kind: per.get(state, 0) for kind, per in by_type.items()}
        for state in IN_PROGRESS})
    names = type_labels()
    in_progress.caption = "  ".join(f"{kind}（{names[kind]}）" if names.get(kind) else kind
                                    for kind in by_type)
    outcomes = _per_type("Outcomes, refused and failed commands per type", by_type, {
        **{state.replace("_", " "): {kind: per.get(state, 0) for kind, per in by_type.items()}
           for state in (*OUTCOMES, *others)},
        "refused": report["refusals_by_type"], "errors": report["errors_by_type"]})
    refusals = Table(Column("rule · 规则", overflow="fold"), "ref",
                     Column("refusals", justify="right"), title="Refusals per rule",
                     box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, show_lines=True)
    labels, refs = rule_labels(), _rule_refs()
    for rule_id, count in sorted(report["refusals_by_rule"].items(), key=lambda kv: -kv[1]):
        label = f"\n{labels[rule_id]}" if rule_id in labels else ""
        refusals.add_row(rule_id + label, refs.get(rule_id, ""), str(count))
    summary = Table("metric", Column("value", overflow="fold"), title="Run")
    deadlines = report["deadlines"]
    database = redact(report["database"]) + (" (temporary, deleted)" if temporary else "")
    errors = ", ".join(f"{kind} {n}" for kind, n in report["errors_by_kind"].items()) or "none"
    for name, value in (
        ("decided within 20 working days", f"{deadlines['met']} of {deadlines['due']}"),
        ("audit events", report["audit_events"]),
        ("commands", report["commands"]),
        ("commands per second", report["commands_per_second"]),
        ("errors by kind", errors),
        ("database", database),
        ("invariant violations", len(report["invariant_violations"])),
    ):
        summary.add_row(name, str(value))
    return [in_progress, outcomes, refusals, summary]


def _per_type(title: str, by_type: dict[str, dict[str, int]],
              columns: dict[str, dict[str, int]]) -> Table:
    """Business types down, ``columns`` (header → type → count) across; each column exactly as
    wide as its longest header word or count, so headers wrap between words, never within."""
    table = Table(Column("type", width=max(map(len, ["type", *by_type])), no_wrap=True),
                  title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)
    for header, counts in columns.items():
        widest = max([*map(len, header.split()), *(len(str(n)) for n in counts.values())])
        table.add_column(header, justify="right", width=widest)
    for kind in by_type:
        table.add_row(kind, *(str(counts.get(kind) or "") for counts in columns.values()))
    return table


def _rule_refs() -> dict[str, str]:
    from mdreg.workflows import BASE_POLICY

    return {rule.id: rule.ref for rule in BASE_POLICY.all_rules()}


def _print_report(report: dict[str, Any], *, temporary: bool = False) -> None:
    for table in report_tables(report, temporary=temporary):
        console.print(table)
