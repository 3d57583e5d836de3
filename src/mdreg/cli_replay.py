"""``mdreg rules replay``: which recorded decisions a candidate policy would decide otherwise.

The database is only read (an SQLite file that does not exist is an error, not created). The
tables and the JSON report name applications, business types, events, dates and rules — never
the recorded facts.

>>> from typer.testing import CliRunner
>>> from mdreg.cli import app
>>> result = CliRunner().invoke(app, ["rules", "replay", "--policy", "base", "--db", "memory://"])
>>> "replayed" in result.output
True
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

import mdreg
from mdreg.cli_support import console_width, fail, opening, redact, sqlite_file, writable
from mdreg.errors import MdregError, RuleDefinitionError, ValidationError
from mdreg.rules.policy import Policy
from mdreg.service.replay import ReplayReport, check_period

console = Console(width=console_width())


def replay(
    policy: Annotated[str, typer.Option("--policy", help="the candidate policy: "
                                                         "package.module:ATTRIBUTE, "
                                                         "path/to/file.py:ATTRIBUTE or base")],
    db: Annotated[str, typer.Option("--db", help="the registry's database URL")],
    since: Annotated[str, typer.Option(help="first business day of the decisions to replay "
                                            "(YYYY-MM-DD; default: the first recorded)")] = "",
    until: Annotated[str, typer.Option(help="last business day of the decisions to replay "
                                            "(YYYY-MM-DD; default: the last recorded)")] = "",
    json_path: Annotated[Path | None, typer.Option("--json", help="write the report as JSON")]
    = None,
) -> None:
    """Judge every recorded decision again under a candidate policy and show which verdicts
    would change: per rule, per business type, and a few examples."""
    try:
        period = (_day(since, "--since", "起始日期"), _day(until, "--until", "截止日期"))
        check_period(*period)
        candidate = candidate_policy(policy)
    except MdregError as error:
        raise fail(error.describe()) from None
    writable(json_path, "--json")
    registry = _open(db)
    progress = Progress(TextColumn("[bold]replaying"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("audit events"), TimeElapsedColumn(), console=console,
                        disable=not console.is_terminal)
    with opening(db), progress:
        task = progress.add_task("audit events", total=registry.audit_count())
        report = registry.replay(candidate, *period,
                                 progress=lambda seen: progress.update(task, completed=seen))
    for table in report_tables(report, candidate, redact(db)):
        console.print(table)
    if json_path:
        json_path.write_text(report.to_json(), encoding="utf-8")


def candidate_policy(reference: str) -> Policy:
    """The policy ``reference`` names (``module:ATTRIBUTE``, ``file.py:ATTRIBUTE``, ``base``).

    Raises:
        ValidationError: it names no policy, or carries a date (a replay judges each decision
            by the rules in force on its own application date).
    """
    from mdreg.workflows.policies import resolve

    try:
        found, on = resolve(reference)
    except RuleDefinitionError as error:
        raise ValidationError("--policy", error.message, field_label="候选政策") from None
    if on is not None:
        raise ValidationError("--policy", f"{reference!r}: a replay takes the rules in force on "
                                          "each decision's application date; drop the @date",
                              field_label="候选政策")
    return found


def _day(text: str, option: str, label: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(option, f"{text!r} is not a date (YYYY-MM-DD)",
                              field_label=label) from None


def _open(url: str) -> mdreg.Registry:
    """The registry at ``url``; a SQLite file must exist (a replay creates no database)."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise fail(f"no database at {path} (--db names an SQLite file that does not exist)")
    with opening(url):
        return mdreg.open(url)


def report_tables(report: ReplayReport, candidate: Policy, database: str) -> list[Table]:
    """The summary, the changes per rule and per business type, and the examples."""
    tables = [_summary(report, database)]
    if report.newly_failing or report.no_longer_failing:
        tables.append(_per_rule(report, candidate))
    if report.by_type:
        tables.append(_per_type(report))
    if report.examples:
        tables.append(_examples(report))
    return tables


def _summary(report: ReplayReport, database: str) -> Table:
    period = (f"{report.since.isoformat() if report.since else 'first'} – "
              f"{report.until.isoformat() if report.until else 'last'}")
    table = Table("", Column("", overflow="fold"), title=f"Replay under {report.candidate}",
                  box=box.SIMPLE_HEAD, show_header=False)
    for name, value in (("database", database), ("decisions of", period),
                        ("replayed", report.replayed), ("verdicts changed", report.changed),
                        ("now refused", report.now_refused), ("now passing", report.now_passing),
                        ("still refused, on other rules", report.reasons_changed)):
        table.add_row(name, str(value))
    return table


def _per_rule(report: ReplayReport, candidate: Policy) -> Table:
    from mdreg.workflows import BASE_POLICY

    known = {r.id: r for policy in (BASE_POLICY, candidate) for r in policy.all_rules()}
    table = Table(Column("rule · 规则", overflow="fold"), "ref",
                  Column("newly failing", justify="right"),
                  Column("no longer failing", justify="right"),
                  title="Decisions per rule whose failure changes", box=box.SIMPLE_HEAD)
    for rule_id in dict.fromkeys([*report.newly_failing, *report.no_longer_failing]):
        rule = known.get(rule_id)
        table.add_row(rule_id + (f"\n{rule.label}" if rule else ""), rule.ref if rule else "",
                      str(report.newly_failing.get(rule_id, "")),
                      str(report.no_longer_failing.get(rule_id, "")))
    return table


def _per_type(report: ReplayReport) -> Table:
    labels = {b.value: b.label for b in mdreg.BusinessType}
    table = Table("business type", Column("verdicts changed", justify="right"),
                  title="Changed verdicts per business type", box=box.SIMPLE_HEAD)
    for business, count in report.by_type.items():
        table.add_row(f"{business} ({labels.get(business, '')})", str(count))
    return table


def _examples(report: ReplayReport) -> Table:
    table = Table("application", "type", "decision", "date",
                  Column("failed before", overflow="fold"), Column("failed now", overflow="fold"),
                  title=f"The first {len(report.examples)} changed decisions", box=box.SIMPLE_HEAD)
    for example in report.examples:
        decision = example.event if example.event == example.evaluated \
            else f"{example.event} (on {example.evaluated})"
        table.add_row(example.application_id, example.business_type, decision,
                      example.on.isoformat(), "\n".join(example.failed_before) or "—",
                      "\n".join(example.failed_after) or "—")
    return table
