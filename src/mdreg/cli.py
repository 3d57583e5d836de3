"""mdreg's command line: simulate a province, draw workflows, list rules, manage the database."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from mdreg import __version__
from mdreg.cli_calendar import calendar_app, health
from mdreg.cli_keys import keys_app
from mdreg.cli_migrate import migrate_app
from mdreg.cli_outbox import outbox_app
from mdreg.cli_replay import replay
from mdreg.cli_simulate import simulate
from mdreg.cli_support import Commands, console_width, fail, opening, redact
from mdreg.domain.application import BusinessType
from mdreg.errors import MdregError
from mdreg.workflows import BASE_POLICY, workflow_for

app = typer.Typer(help="mdreg — physician electronic registration (医师电子化注册) as state machines.",
                  no_args_is_help=True, add_completion=False, cls=Commands)
rules_app = typer.Typer(help="The rule catalogue (规则目录).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.add_typer(migrate_app, name="migrate")
app.add_typer(outbox_app, name="outbox")
app.add_typer(keys_app, name="keys")
app.command("health")(health)
app.command("simulate")(simulate)
rules_app.command("replay")(replay)
console = Console(width=console_width())


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


def _business(name: str) -> BusinessType:
    for business in BusinessType:
        if name in (business.value, business.label):
            return business
    known = ", ".join(f"{b.value} ({b.label})" for b in BusinessType)
    raise fail(f"unknown business type {name!r}; one of: {known}")


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
def rules_show(
    rule: Annotated[str, typer.Argument(help="a rule's id (change.location_free) or its "
                                             "reference (R-LOC-5), as `mdreg rules list` prints")],
) -> None:
    """Show a rule's versions: labels, citations, effective period and where it is checked. A
    reference that several rules share shows the versions of them all."""
    rules = sorted(BASE_POLICY.all_rules(), key=lambda r: (r.id, r.version))
    found = [r for r in rules if r.id == rule] or [r for r in rules if r.ref.upper() == rule.upper()]
    if not found:
        raise fail(f"no rule {rule!r}: neither an id nor a reference (R-…) of "
                   "`mdreg rules list`")
    console.print_json(json.dumps([_rule_data(r) for r in found], ensure_ascii=False))


def _rule_data(rule: Any) -> dict[str, Any]:
    """A rule version as exported: citations (instrument, article, document number, URL),
    period, version, and where the base policy checks it."""
    from mdreg.rules.export import checked_on, rule_data

    return {**rule_data(rule), "checked_on": checked_on(BASE_POLICY, rule)}


@rules_app.command("export")
def rules_export(policy: Annotated[str, typer.Argument(help="base, base@DATE or module:ATTR[@DATE]")]
                 = "base") -> None:
    """Print a policy (optionally as of a date) as JSON, with its revision (the name and a hash
    of its content, as each decision records it) and the revision of each business type's
    state machine (as each application records it)."""
    from mdreg.rules.export import export
    from mdreg.service.records import definition_revision, revision
    from mdreg.workflows import DEFINITIONS
    from mdreg.workflows.policies import resolve

    try:
        found, on = resolve(policy)
    except MdregError as error:
        raise fail(error.describe()) from None
    data = {"revision": revision(found),
            "definitions": {business.value: definition_revision(definition)
                            for business, definition in DEFINITIONS.items()},
            **export(found, on)}
    console.print_json(json.dumps(data, ensure_ascii=False))


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
        raise fail(error.describe()) from None
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
        raise fail(f"the SQL backend is not available: {missing}") from None
    with opening(url):
        migrate.upgrade(url)
    console.print(f"schema of {redact(url)} is at the newest revision")


#: typer's usage errors (a bad option value, a missing argument): the public ``BadParameter``'s
#: base class.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]


def main() -> None:
    """Entry point of the ``mdreg`` script (and of ``python -m mdreg``). A usage error (a bad
    option value, a missing argument) is one line on stderr, exit status 2, like every other
    error of the command line."""
    try:
        code = app(prog_name="mdreg", standalone_mode=False)
    except _UsageError as error:
        message = str(getattr(error, "format_message", error.__str__)())
        context = getattr(error, "ctx", None)
        hint = f" (see '{context.command_path} --help')" if context is not None else ""
        if message:  # no message: the help was printed instead (a command without arguments)
            typer.echo(f"error: {message}{hint}", err=True)
        raise SystemExit(2) from None
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)

