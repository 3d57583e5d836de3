"""``mdreg simulate``: a province's registration business, run through the real engine.

Everything the run depends on is checked before it starts: the output paths, the bounds, the
policies and the database. Without ``--db`` the run uses a temporary SQLite file, deleted
afterwards; an existing SQLite file named by ``--db`` is overwritten only with ``--replace``.

With ``--compare-policy`` the same workload runs twice, under ``--policy`` (A) and under the
compared policy (B), each on its own database: two temporary SQLite files; with
``--db sqlite:///PATH``, ``PATH`` for A and ``PATH`` with ``-b`` before its suffix for B; with
``--db memory://``, two in-memory registries. A PostgreSQL ``--db`` is refused: one database
cannot hold two runs.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from mdreg.cli_support import (
    console_width,
    fail,
    load_policy,
    opening,
    redact,
    sqlite_file,
    writable,
)

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
    policy: Annotated[str, typer.Option(
        "--policy", help="the policy in force: base, package.module:ATTRIBUTE or "
                         "path/to/file.py:ATTRIBUTE")] = "base",
    compare_policy: Annotated[str | None, typer.Option(
        "--compare-policy", help="run the same workload under this policy too (same forms as "
                                 "--policy) and report the differences")] = None,
) -> None:
    """Simulate a province: sign-ups, applications of all nine types, decisions, deadlines."""
    from mdreg.simulation import SimulationConfig, compare, run

    writable(json_path, "--json")
    writable(html_path, "--html")
    if html_path and importlib.util.find_spec("plotly") is None:
        raise fail("--html needs plotly: pip install 'mdreg[cli]'")
    policy_a = load_policy(policy, "--policy")
    policy_b = load_policy(compare_policy, "--compare-policy") if compare_policy else None
    config = SimulationConfig(physicians=physicians, days=days, seed=seed)
    runs = 1 if policy_b is None else 2
    # refreshed by hand: a refresh thread would keep the workers from being forked (and a policy
    # of your own is handed to forked workers only)
    progress = Progress(TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("days"), TimeElapsedColumn(), console=console,
                        disable=not console.is_terminal, auto_refresh=False)
    with _databases(db, runs, replace=replace) as urls, progress, opening(urls[0]):
        task = progress.add_task("days", total=days * runs)

        def advance(_day: int) -> None:
            progress.advance(task)
            progress.refresh()

        reports: list[Mapping[str, Any]]
        if policy_b is None:
            data = run(config, urls[0], on_day=advance, workers=workers, policy=policy_a)
            reports = [data]
        else:
            comparison = compare(config, policy_a, policy_b, url_a=urls[0], url_b=urls[1],
                                 on_day=advance, workers=workers)
            data = comparison.to_json()
            reports = [comparison.report_a, comparison.report_b]
    for table in (report_tables(data, temporary=not db) if policy_b is None
                  else comparison_tables(data, temporary=not db)):
        console.print(table)
    if json_path:
        json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    if html_path:
        from mdreg.simulation.report import write_comparison_html, write_html

        (write_html if policy_b is None else write_comparison_html)(data, html_path)
    broken = sum(len(report["invariant_violations"]) for report in reports)
    if broken:
        raise fail(f"{broken} registry invariant(s) broken", 1)


@contextmanager
def _databases(db: str, runs: int, *, replace: bool) -> Iterator[list[str]]:
    """The URLs to simulate on, one per run: ``db`` (and, for a second run, a SQLite file beside
    it, or another in-memory registry), or temporary SQLite files removed afterwards."""
    if not db:
        with tempfile.TemporaryDirectory(prefix="mdreg-simulation-") as directory:
            yield [f"sqlite:///{Path(directory) / name}"
                   for name in ("simulation.db", "simulation-b.db")[:runs]]
        return
    path = sqlite_file(db)
    if replace and path is None:
        raise fail(f"--replace applies to a SQLite file (--db sqlite:///PATH), not {redact(db)}")
    if runs == 1 or db.startswith("memory://"):
        urls = [db] * runs
    elif path is None:
        raise fail(f"--compare-policy runs twice and needs two databases: use a SQLite --db "
                   f"(sqlite:///PATH, the second run beside it) or none, not {redact(db)}")
    else:
        urls = [db, _beside(db, path.with_name(f"{path.stem}-b{path.suffix}"))]
    for url in urls:
        _clear(sqlite_file(url), replace=replace)
    yield urls


def _beside(url: str, path: Path) -> str:
    """The SQLite ``url`` naming the file ``path`` instead."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=str(path)).render_as_string(hide_password=False)


def _clear(path: Path | None, *, replace: bool) -> None:
    """Refuse an existing SQLite file at ``path``, or delete it (and its companions) when asked
    to ``replace`` it."""
    if path is not None and path.exists():
        if not replace:
            raise fail(f"{path} exists; --replace overwrites it, or name another --db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


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
        (f"decided within {deadlines['working_days']} working days",
         f"{deadlines['met']} of {deadlines['due']}"),
        ("policy", report["policy"]),
        ("audit events", report["audit_events"]),
        ("commands", _commands(report)),
        ("commands per second", report["commands_per_second"]),
        ("errors by kind", errors),
        ("database", database),
        ("invariant violations", len(report["invariant_violations"])),
    ):
        summary.add_row(name, str(value))
    return [in_progress, outcomes, refusals, summary]


def _commands(report: dict[str, Any]) -> str:
    """The commands made, and each worker's share when several made them."""
    shares: list[int] = report.get("commands_by_worker") or []
    if len(shares) < 2:
        return str(report["commands"])
    return f"{report['commands']} ({' + '.join(map(str, shares))} by {len(shares)} workers)"


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


def comparison_tables(data: dict[str, Any], *, temporary: bool = False) -> list[Table]:
    """A comparison (:meth:`~mdreg.simulation.Comparison.to_json`) as tables of figures under
    policy A, under policy B, and B − A; then the two runs."""
    from mdreg.simulation.comparison import GROUPS
    from mdreg.simulation.report import rule_labels

    labels = rule_labels()
    tables = []
    for group, title in GROUPS.items():
        table = Table(Column("metric", overflow="fold"), Column("A", justify="right"),
                      Column("B", justify="right"), Column("B−A", justify="right"), title=title,
                      min_width=60, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                      show_lines=group == "refusals_by_rule")
        for name, figure in data[group].items():
            label = f"\n{labels[name]}" if group == "refusals_by_rule" and name in labels else ""
            difference = figure["difference"]
            table.add_row(f"{name.replace('_', ' ') if group == 'backlog' else name}{label}",
                          str(figure["a"]), str(figure["b"]),
                          f"{difference:+d}" if difference else "0")
        tables.append(table)
    runs = Table("run", Column("A", overflow="fold"), Column("B", overflow="fold"), title="Runs")
    reports = data["reports"]
    for name, value in (
        ("policy", lambda r: r["policy"]),
        ("decision period", lambda r: f"{r['deadlines']['working_days']} working days"),
        ("database", lambda r: redact(r["database"]) + (" (temporary, deleted)" if temporary
                                                        else "")),
        ("commands", lambda r: str(r["commands"])),
        ("invariant violations", lambda r: str(len(r["invariant_violations"]))),
    ):
        runs.add_row(name, value(reports["a"]), value(reports["b"]))
    return [*tables, runs]
