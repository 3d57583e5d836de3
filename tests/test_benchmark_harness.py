"""The benchmark suite's bookkeeping (benchmarks/harness.py): pass/fail, quantiles, the table and
results.json. Nothing here times anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

harness = pytest.importorskip("benchmarks.harness")


def test_ratio_targets_pass_and_fail() -> None:
    assert harness.Result("x", 3.0, 2.0, "s", 1.5).passed is True
    assert harness.Result("x", 3.1, 2.0, "s", 1.5).passed is False
    assert harness.Result("w", 3.2, 2.0, "commands/s", 1.6, check="ratio>=").passed is True
    assert harness.Result("w", 3.0, 2.0, "commands/s", 1.6, check="ratio>=").passed is False


def test_absolute_targets_and_failed_plan_checks() -> None:
    assert harness.Result("m", 12.0, 0.0, "B/command", 64.0, check="value<=").passed is True
    assert harness.Result("m", 65.0, 0.0, "B/command", 64.0, check="value<=").passed is False
    assert harness.Result("e", 1.0, 1.0, "s", 8.0, extra_ok=False).passed is False
    assert harness.Result("e", None, None, "s", 8.0, skipped="no server").passed is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert harness.percentile(values, 0.99) == 99.0
    assert harness.percentile(values, 0.5) == 50.0
    assert harness.percentile([7.0], 0.99) == 7.0


def test_alternate_interleaves_and_alternates_order() -> None:
    calls: list[str] = []
    samples = harness.alternate(4, lambda rep: calls.append(f"a{rep}") or 1.0,
                                lambda rep: calls.append(f"b{rep}") or 2.0)
    assert calls == ["a0", "b0", "b1", "a1", "a2", "b2", "b3", "a3"]
    assert samples == [[1.0] * 4, [2.0] * 4]


def test_results_json_has_one_entry_per_metric_and_keeps_others(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    first = [harness.Result("transition_overhead", 2e-5, 1.5e-5, "s", 1.5),
             harness.Result("retained_memory", 3.0, 0.0, "B/command", 64.0, check="value<=")]
    harness.write_results(first, {}, {"mode": "quick"}, path)
    harness.write_results([harness.Result("transition_overhead", 1e-5, 1e-5, "s", 1.5)],
                          {"transition_overhead": [harness.Reference("dict", 1e-7, "s")]},
                          {"mode": "quick"}, path)
    entries = json.loads(path.read_text(encoding="utf-8"))
    assert [e["name"] for e in entries] == ["transition_overhead", "retained_memory"]
    for entry in entries:
        assert {"name", "mdreg", "baseline", "ratio", "target", "unit", "passed"} <= set(entry)
    assert entries[0]["ratio"] == 1.0
    assert entries[0]["details"]["references"][0]["name"] == "dict"
    assert entries[1]["ratio"] is None


def test_the_table_names_every_metric_and_reference() -> None:
    results = [harness.Result("command_sqlite", 2e-3, 4e-4, "s", 4.0)]
    text = harness.table(results, {"command_sqlite": [harness.Reference("stack", 5e-3, "s")]})
    assert "command_sqlite" in text
    assert "5.00×" in text
    assert "ref: stack" in text
    assert "FAIL" in text
