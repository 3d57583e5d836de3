"""benchmarks.national end to end at a tiny scale on SQLite: a national registry of a few
thousand physicians imported, a simulated month run with two workers, every figure recorded
with its same-run baseline. No timings are asserted (docs/performance.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

national = pytest.importorskip("benchmarks.national")
national_data = pytest.importorskip("benchmarks.national_data")


def test_the_registry_spans_31_provinces_on_real_division_codes() -> None:
    data = national_data.generate(3_000, seed=2)
    provinces = {i.division.code[:2] for i in data.institutions}
    assert len(provinces) == 30  # and the simulation's own province, 浙江
    assert "33" not in provinces
    assert len(national_data.POPULATION) == 31
    assert len(data.physicians) == 3_000 == sum(data.provinces.values())
    assert data.physicians[-len(data.newcomers):] == data.newcomers
    registered = {r.physician_id for r in data.registrations}
    assert not registered & {p.id for p in data.newcomers}
    assert 1.1 < len(data.registrations) / len(data.physicians) < 1.3
    assert len({p.id_number.value for p in data.physicians}) == 3_000
    # every division is a current county code, or a province's
    assert all(d.division.level in ("county", "province") for d in data.departments)


def test_apportion_splits_the_total_by_population() -> None:
    counts = national_data.apportion(1_000, ["440000", "110000", "540000"])
    assert sum(counts.values()) == 1_000
    assert counts["440000"] > counts["110000"] > counts["540000"] >= 1


def test_a_tiny_national_run_records_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "national.json"
    assert national.main(["--scale", "0.0005", "--db", "sqlite", "--days", "2", "--reps", "1",
                          "--workdir", str(tmp_path / "work"), "--json", str(out)]) == 0
    (run,) = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert run["db"] == "sqlite"
    assert run["physicians"] == 2_400
    metrics = [row["metric"] for row in run["rows"]]
    assert metrics == ["import", "commands/s (month)", "fire p99 (approve)",
                       "check p99 (submit)", "work-list page p99"]
    for row in run["rows"]:  # every figure has its baseline from the same run
        assert row["mdreg"] > 0 and row["baseline"] > 0, row
    assert run["month"]["national"]["commands"] == run["month"]["empty"]["commands"] > 0
    assert run["sizes"]["after_import"] > 0
    assert run["memory"]["self_mib"] > 0
    assert "| import |" in national.markdown(run)


def test_a_run_without_the_month_records_the_other_figures(tmp_path: Path) -> None:
    out = tmp_path / "national.json"
    assert national.main(["--scale", "0.0005", "--db", "sqlite", "--days", "0", "--reps", "1",
                          "--workdir", str(tmp_path / "work"), "--json", str(out)]) == 0
    (run,) = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert [row["metric"] for row in run["rows"]] == [
        "import", "fire p99 (approve)", "check p99 (submit)", "work-list page p99"]
    for row in run["rows"][1:]:  # each latency's medians too, both sides, named in the note
        assert row["p50"]["mdreg"] > 0 and row["p50"]["baseline"] > 0, row
        assert "p50 " in row["note"], row
    assert run["month"] == {} and "month_copy_at_end" not in run["sizes"]
