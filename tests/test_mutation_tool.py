"""tools/mutation.py's incremental selection: which of the law's files ``--changed`` measures."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The tool on a copy of two configured files and the project's configuration."""
    spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mutation_tool", module)
    spec.loader.exec_module(module)
    for path in ("pyproject.toml", "src/mdreg/rules/account.py", "src/mdreg/domain/calendar.py",
                 "src/mdreg/domain/model.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "OUT", tmp_path / "mutation")
    monkeypatch.setattr(module, "MEASURED", tmp_path / "mutation" / "measured.json")
    monkeypatch.setattr(module, "ROWS", tmp_path / "mutation" / "rows.json")
    (tmp_path / "mutation").mkdir()
    return module


CONFIGURED = ["src/mdreg/domain/calendar.py", "src/mdreg/rules/account.py"]


def test_only_the_law_s_files_are_configured(tool: ModuleType) -> None:
    assert tool.configured_files() == CONFIGURED  # model.py is not mutated


def test_files_never_measured_are_changed(tool: ModuleType) -> None:
    assert tool.changed_files(None) == CONFIGURED


def test_a_passing_file_is_recorded_and_not_measured_again_until_its_text_changes(
        tool: ModuleType) -> None:
    tool.record_measured(CONFIGURED, {"src/mdreg/rules/account.py"})
    assert tool.changed_files(None) == ["src/mdreg/domain/calendar.py"]
    recorded = json.loads(tool.MEASURED.read_text(encoding="utf-8"))["files"]
    assert list(recorded) == ["src/mdreg/rules/account.py"]

    edited = tool.ROOT / "src/mdreg/rules/account.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert tool.changed_files(None) == CONFIGURED


def test_a_file_that_fails_again_loses_its_record(tool: ModuleType) -> None:
    tool.record_measured(CONFIGURED, set(CONFIGURED))
    assert tool.changed_files(None) == []
    tool.record_measured(["src/mdreg/domain/calendar.py"], set())
    assert tool.changed_files(None) == ["src/mdreg/domain/calendar.py"]


def test_a_module_passes_only_at_the_target_with_every_mutant_checked(tool: ModuleType) -> None:
    results = {f"mdreg.rules.account.x_f__mutmut_{n}": ("mdreg.rules.account",
                                                         "survived" if n == 0 else "killed")
               for n in range(20)}
    results |= {f"mdreg.domain.calendar.x_g__mutmut_{n}": ("mdreg.domain.calendar",
                                                           "killed" if n else "not checked")
                for n in range(3)}
    results["table:mdreg.workflows.x:e:by=system"] = ("mdreg.workflows.x (table)", "survived")
    report, ok, passing = tool.summarize(results, 0.95, 60.0, complete=True)
    assert passing == {"mdreg.rules.account"}  # 19 of 20 killed is exactly 95 %
    assert not ok
    assert "| mdreg.workflows.x (table) | 0 | 0 | 1 | 0 | 0 | 0.0% ✗ |" in report


def test_the_regression_gate_measures_only_files_that_met_the_target_once(
        tool: ModuleType) -> None:
    tool.record_measured(CONFIGURED, {"src/mdreg/rules/account.py"})
    assert tool.changed_files(None, recorded_only=True) == []
    edited = tool.ROOT / "src/mdreg/rules/account.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert tool.changed_files(None, recorded_only=True) == ["src/mdreg/rules/account.py"]


def test_a_partial_run_replaces_its_modules_rows_and_keeps_the_others(tool: ModuleType) -> None:
    first = {"mdreg.rules.account.x_f__mutmut_1": ("mdreg.rules.account", "survived"),
             "mdreg.domain.calendar.x_g__mutmut_1": ("mdreg.domain.calendar", "killed")}
    _, _, _, rows = tool.summarize_rows(first, 0.95, 1.0, complete=True)
    tool.record_rows(rows, True, "2026-12-01")
    again = {"mdreg.rules.account.x_f__mutmut_1": ("mdreg.rules.account", "killed")}
    _, _, _, rows = tool.summarize_rows(again, 0.95, 1.0, complete=True)
    merged = tool.record_rows(rows, False, "2026-12-03")
    assert merged["mdreg.rules.account"]["counts"] == {"killed": 1}
    assert merged["mdreg.rules.account"]["run"] == "2026-12-03"
    assert merged["mdreg.domain.calendar"]["run"] == "2026-12-01"
    summary = tool.merged_summary(merged, 0.95)
    assert "| mdreg.rules.account | 1 | 0 | 0 | 0 | 0 | 100.0% | 2026-12-03 |" in summary
    assert "| **all** | 2 | 0 | 0 | 0 | 0 | 100.0% | |" in summary
    assert "Surviving" not in summary
    # a whole run starts the rows afresh
    assert set(tool.record_rows(rows, True, "2026-12-04")) == {"mdreg.rules.account"}


def test_a_package_s_patterns_select_its_own_mutants_only(tool: ModuleType) -> None:
    import fnmatch

    names = ["mdreg.workflows.x_rule_table__mutmut_2", "mdreg.workflows.xǁAǁb__mutmut_1",
             "mdreg.workflows.base.x_mermaid__mutmut_15", "mdreg.rules.base.xǁVǁc__mutmut_3"]
    patterns = tool.mutmut_patterns(["mdreg.workflows", "mdreg.rules.base"])
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    assert chosen == [names[0], names[1], names[3]]
    assert {tool.mutmut_module(n) for n in chosen} == {"mdreg.workflows", "mdreg.rules.base"}
