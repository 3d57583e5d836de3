"""``mdreg calendar import|status`` and ``mdreg health`` against a SQLite registry."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import mdreg
from mdreg.cli import app

RUNNER = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_then_status_and_health(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cal.db'}"
    schedule = tmp_path / "2027.toml"
    schedule.write_text('[years.2027]\nnotice = "测试"\nholidays = ["2027-01-01"]\n',
                        encoding="utf-8")
    code, out, _ = run("health", "--db", db, "--as-of", "2026-12-20")
    assert code == 1 and "holiday data ends on 2026-12-31" in out
    code, out, _ = run("calendar", "import", str(schedule), "--db", db)
    assert code == 0 and "imported 2027" in out
    code, out, _ = run("calendar", "status", "--db", db, "--as-of", "2026-12-20")
    assert code == 0 and "override" in out and "测试" in out
    code, out, _ = run("health", "--db", db, "--as-of", "2026-12-20")
    assert code == 0 and "ok as of 2026-12-20" in out
    assert {s.year: s.source for s in mdreg.open(db).calendar_status()}.get(2027) == "override"


def test_a_bad_schedule_is_one_line_on_stderr(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cal.db'}"
    schedule = tmp_path / "bad.toml"
    schedule.write_text('[years.2027]\nworkdays = ["2027-01-04"]\n', encoding="utf-8")
    code, out, err = run("calendar", "import", str(schedule), "--db", db)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "2027-01-04 is a Monday" in err and str(schedule) in err


def test_a_bad_date_is_refused(tmp_path: Path) -> None:
    code, _, err = run("health", "--db", "memory://", "--as-of", "2026-13-01")
    assert code == 2 and "not a date" in err
