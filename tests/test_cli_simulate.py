"""``mdreg simulate``'s options: output paths checked before the run, no file deleted unasked, and
bounds on the province's size and the run's length."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdreg.cli import app

RUNNER = CliRunner()
SMALL = ["--physicians", "12", "--days", "2"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_without_db_a_temporary_database_is_used_and_nothing_is_deleted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("mdreg-simulation.db", "mdreg-simulation.db-wal", "mdreg.db"):
        (tmp_path / name).write_bytes(b"someone's data")
    code, out, err = invoke("simulate", *SMALL)
    assert code == 0, err
    assert "temporary" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mdreg-simulation.db", "mdreg-simulation.db-wal", "mdreg.db"]
    assert all(p.read_bytes() == b"someone's data" for p in tmp_path.iterdir())


def test_an_existing_sqlite_file_is_replaced_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    db.write_bytes(b"someone's data")
    code, out, err = invoke("simulate", *SMALL, "--db", f"sqlite:///{db}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(db) in err and "--replace" in err
    assert db.read_bytes() == b"someone's data"
    code, _, err = invoke("simulate", *SMALL, "--db", f"sqlite:///{db}", "--replace")
    assert code == 0, err
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"


def test_replace_applies_to_a_sqlite_file_only() -> None:
    code, _, err = invoke("simulate", *SMALL, "--db", "memory://", "--replace")
    assert code == 2 and err.count("\n") == 1 and "--replace" in err


@pytest.mark.parametrize("option", ["--json", "--html"])
@pytest.mark.parametrize("where", ["missing directory", "a directory"])
def test_output_paths_are_checked_before_the_run(tmp_path: Path, option: str, where: str) -> None:
    target = tmp_path / "missing" / "out" if where == "missing directory" else tmp_path
    db = tmp_path / "sim.db"
    code, out, err = invoke("simulate", *SMALL, "--db", f"sqlite:///{db}", option, str(target))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and option in err and str(target) in err, err
    assert not db.exists(), "the run must not start"


@pytest.mark.parametrize(("option", "value"), [
    ("--physicians", "0"), ("--physicians", "1000001"), ("--days", "0"), ("--days", "3661"),
])
def test_size_and_length_are_bounded(option: str, value: str) -> None:
    code, out, err = invoke("simulate", option, value, "--db", "memory://")
    assert code == 2 and out == ""
    assert option in err


def test_the_bounds_are_in_the_help() -> None:
    code, out, _ = invoke("simulate", "--help")
    assert code == 0
    assert "1<=x<=1000000" in out and "1<=x<=3660" in out
