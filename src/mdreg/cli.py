"""mdreg's command line: simulate a province, draw workflows, list rules, manage the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from mdreg import __version__
from mdreg.cli_calendar import calendar_app, health
from mdreg.domain.application import BusinessType
from mdreg.errors import MdregError
from mdreg.workflows import BASE_POLICY, workflow_for

app = typer.Typer(help="mdreg — physician electronic registration (医师电子化注册) as state machines.",
                  no_args_is_help=True, add_completion=False)
rules_app = typer.Typer(help="The rule catalogue (规则目录).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.command("health")(health)
console = Console(width=None if Console().is_terminal else 140)
DEFAULT_DB = "mdreg-simulation.db"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mdreg {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print mdreg's version and exit.")] = False,
) -> None:
    """Options of ``mdreg`` itself (before the command)."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _business(name: str) -> BusinessType:
    for business in BusinessType:
        if name in (business.value, business.label):
            return business
    known = ", ".join(f"{b.value} ({b.label})" for b in BusinessType)
    raise _fail(f"unknown business type {name!r}; one of: {known}")


@app.command()
def diagram(business: Annotated[str, typer.Argument(help="business type, e.g. registration or 注册")]
            ) -> None:
    """Print the mermaid diagram of a business type, generated from its definition."""
    console.print(workflow_for(_business(business)).mermaid(), markup=False, highlight=False)


@rules_app.command("list")
def rules_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List every rule of the base policy, each dated version on its own row."""
    rules = sorted(BASE_POLICY.all_rules(), key=lambda r: (r.id, r.version))
    if as_json:
        console.print_json(json.dumps([_rule_data(r) for r in rules], ensure_ascii=False))
        return
    table = Table(Column("id", overflow="fold"), Column("ref", no_wrap=True), "v",
                  Column("规则", overflow="fold"), Column("in force", no_wrap=True))
    for rule in rules:
        table.add_row(rule.id, rule.ref, str(rule.version), rule.label, rule.period())
    console.print(table)


@rules_app.command("show")
def rules_show(rule_id: str) -> None:
    """Show one rule's versions: labels, citations, effective period, where it is checked."""
    found = [r for r in BASE_POLICY.all_rules() if r.id == rule_id]
    if not found:
        raise _fail(f"no rule {rule_id!r}; see `mdreg rules list`")
    versions = [_rule_data(r) for r in sorted(found, key=lambda r: r.version)]
    console.print_json(json.dumps(versions, ensure_ascii=False))


def _rule_data(rule: Any) -> dict[str, Any]:
    """A rule version as exported: citations (instrument, article, document number, URL),
    period, version, and where the base policy checks it."""
    from mdreg.rules.export import checked_on, rule_data

    return {**rule_data(rule), "checked_on": checked_on(BASE_POLICY, rule)}


@rules_app.command("export")
def rules_export(policy: Annotated[str, typer.Argument(help="base, base@DATE or module:ATTR[@DATE]")]
                 = "base") -> None:
    """Print a policy (optionally as of a date) as JSON."""
    from mdreg.rules.export import export
    from mdreg.workflows.policies import resolve

    try:
        found, on = resolve(policy)
    except MdregError as error:
        raise _fail(error.describe()) from None
    console.print_json(json.dumps(export(found, on), ensure_ascii=False))


@rules_app.command("diff")
def rules_diff(
    before: Annotated[str, typer.Argument(help="base, base@DATE or module:ATTR[@DATE]")],
    after: Annotated[str, typer.Argument(help="base, base@DATE or module:ATTR[@DATE]")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """What changed between two policies, or one policy on two dates."""
    from mdreg.rules.export import diff, export
    from mdreg.workflows.policies import resolve

    try:
        (a, a_on), (b, b_on) = resolve(before), resolve(after)
    except MdregError as error:
        raise _fail(error.describe()) from None
    changes = diff(export(a, a_on), export(b, b_on))
    if as_json:
        console.print_json(json.dumps(changes, ensure_ascii=False))
        return
    table = Table("rule / parameter", "change", title=f"{changes['before']} → {changes['after']}")
    for change in changes["rules"]:
        detail = ", ".join(change.get("fields", [])) or change.get("label", "")
        table.add_row(change["rule"], f"{change['change']} {detail}")
    for name, values in changes["parameters"].items():
        table.add_row(name, f"{values['before']!r} → {values['after']!r}")
    console.print(table)


@db_app.command("upgrade")
def db_upgrade(url: Annotated[str, typer.Argument(help="database URL")]) -> None:
    """Create or upgrade the schema to the newest migration."""
    try:
        from mdreg.adapters.sql import migrate
    except ImportError as missing:
        raise _fail(f"the SQL backend is not available: {missing}") from None
    try:
        migrate.upgrade(url)
    except MdregError as error:
        raise _fail(error.describe()) from None
    console.print(f"schema of {_redact(url)} is at the newest revision")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@app.command()
def simulate(
    physicians: Annotated[int, typer.Option(min=1, help="physicians in the province")] = 200,
    days: Annotated[int, typer.Option(min=1, help="simulated days")] = 30,
    seed: Annotated[int, typer.Option(help="random seed; same seed, same result")] = 0,
    db: Annotated[str, typer.Option(help="database URL (default: a fresh SQLite file)")] = "",
    json_path: Annotated[Path | None, typer.Option("--json", help="write the report as JSON")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="write charts as HTML")] = None,
    workers: Annotated[int, typer.Option(min=1, max=9, help="processes sharing the database")] = 1,
) -> None:
    """Simulate a province: sign-ups, applications of all nine types, decisions, deadlines."""
    from mdreg.simulation import SimulationConfig, run

    url = db or f"sqlite:///{DEFAULT_DB}"
    if not db:
        for suffix in ("", "-wal", "-shm"):
            Path(DEFAULT_DB + suffix).unlink(missing_ok=True)
    config = SimulationConfig(physicians=physicians, days=days, seed=seed)
    with Progress(TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("days"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("days", total=days)
        try:
            report = run(config, url, on_day=lambda _d: progress.advance(task), workers=workers)
        except MdregError as error:
            raise _fail(error.describe()) from None
    _print_report(report)
    if json_path:
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if html_path:
        from mdreg.simulation.report import write_html

        write_html(report, html_path)
    if report["invariant_violations"]:
        raise _fail(f"{len(report['invariant_violations'])} registry invariant(s) broken", 1)


def _print_report(report: dict[str, Any]) -> None:
    from mdreg.simulation.report import rule_labels, type_labels

    states = sorted({s for per in report["by_type"].values() for s in per})
    table = Table("业务类型 type", *states, title="Applications per type and final state")
    for kind, label in type_labels().items():
        per = report["by_type"][kind]
        table.add_row(label, *(str(per.get(s, "")) for s in states))
    console.print(table)
    refusals = Table("rule", "规则", "refusals", title="Refusals per rule")
    labels = rule_labels()
    for rule_id, count in sorted(report["refusals_by_rule"].items(), key=lambda kv: -kv[1]):
        refusals.add_row(rule_id, labels.get(rule_id, ""), str(count))
    console.print(refusals)
    summary = Table("metric", "value", title="Run")
    deadlines = report["deadlines"]
    for name, value in (
        ("decided within 20 working days", f"{deadlines['met']} of {deadlines['due']}"),
        ("audit events", report["audit_events"]),
        ("commands", report["commands"]),
        ("commands per second", report["commands_per_second"]),
        ("database", _redact(report["database"])),
        ("invariant violations", len(report["invariant_violations"])),
    ):
        summary.add_row(name, str(value))
    console.print(summary)


def main() -> None:
    """Entry point of the ``mdreg`` script (and of ``python -m mdreg``)."""
    app(prog_name="mdreg")

