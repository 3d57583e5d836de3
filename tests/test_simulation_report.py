"""The simulation report reads at 80 columns: every business type and every state is told apart,
nothing is cut short, and refusals and errors are counted per business type."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from rich.cells import cell_len
from rich.console import Console

from mdreg import BusinessType
from mdreg.cli_simulate import report_tables
from mdreg.simulation import SimulationConfig, run

KINDS = [b.value for b in BusinessType]


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return run(SimulationConfig(physicians=150, days=40, seed=3), "memory://")


def check_80_columns(text: str) -> None:
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "…" not in text, "nothing is cut short"
    for kind in KINDS:  # one row per type in each of the two per-type tables
        assert sum(line.startswith(f"{kind} ") for line in lines) == 2, kind
    for state in ("pending", "institution", "acceptance", "review", "correction", "returned",
                  "approved", "rejected", "withdrawn", "refused", "errors"):
        assert state in text


def test_the_tables_read_at_80_columns(report: dict[str, object]) -> None:
    console = Console(width=80, record=True, file=io.StringIO())
    for table in report_tables(report):
        console.print(table)
    text = console.export_text()
    check_80_columns(text)
    for rule_id in report["refusals_by_rule"]:  # type: ignore[attr-defined]
        assert rule_id in text


def test_refusals_and_errors_are_counted_per_business_type(report: dict[str, object]) -> None:
    refused: dict[str, int] = report["refusals_by_type"]  # type: ignore[assignment]
    failed: dict[str, int] = report["errors_by_type"]  # type: ignore[assignment]
    assert list(refused) == list(failed) == KINDS
    by_rule: dict[str, int] = report["refusals_by_rule"]  # type: ignore[assignment]
    by_kind: dict[str, int] = report["errors_by_kind"]  # type: ignore[assignment]
    assert 0 < sum(refused.values()) <= sum(by_rule.values())  # one refusal may cite several rules
    assert 0 < sum(failed.values()) <= sum(by_kind.values())  # account steps have no type
    assert refused["registration"] > 0


def test_the_command_honours_columns() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-c", "from mdreg.cli import main; main()", "simulate",
         "--physicians", "150", "--days", "40", "--seed", "3", "--db", "memory://"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    check_80_columns(done.stdout)


def test_the_run_table_shows_each_workers_commands(report: dict[str, object]) -> None:
    def run_table(figures: dict[str, object]) -> str:
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(report_tables(figures)[-1])
        return console.export_text()

    alone = run_table(report)
    assert "│ commands " in alone and "workers)" not in alone
    commands = int(report["commands"])  # type: ignore[call-overload]
    shared = {**report, "workers": 2, "commands_by_worker": [commands - 7, 7]}
    assert f"{commands} ({commands - 7} + 7 by 2 workers)" in run_table(shared)
