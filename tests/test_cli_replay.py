"""``mdreg rules replay``: tables and JSON of the verdicts a candidate policy changes; bad input
is one line on stderr, and the database password is never printed."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

import mdreg
from mdreg import cli_replay
from mdreg.simulation import SimulationConfig, run
from mdreg.workflows import BASE_POLICY
from test_cli import invoke, one_error_line

PASSWORD = "s3cret-pw"
CANDIDATE = """\
from mdreg.workflows import BASE_POLICY

POLICY = BASE_POLICY.with_changes("no-ground", cancellation_grounds=())
NOT_A_POLICY = 42
"""


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as their rows (the width of the terminal the tests run in varies)."""
    monkeypatch.setattr(cli_replay, "console", Console(width=160))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'recorded.db'}"
    run(SimulationConfig(physicians=150, days=30, seed=3), url)
    return url


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("candidate") / "candidate.py"
    path.write_text(CANDIDATE, encoding="utf-8")
    return f"{path}:POLICY"


def test_the_tables_show_the_changes_per_rule_and_type_and_examples(database: str,
                                                                    candidate: str) -> None:
    code, out, err = invoke("rules", "replay", "--policy", candidate, "--db", database)
    assert code == 0, err
    expected = mdreg.open(database).replay(
        BASE_POLICY.with_changes("no-ground", cancellation_grounds=()))
    assert expected.changed > 0
    assert re.search(rf"verdicts changed\s+{expected.changed}\b", out), out
    assert re.search(rf"cancellation\.ground_accepted\s+R-CAN-1\s+{expected.changed}\b", out)
    assert re.search(rf"cancellation \(注销\)\s+{expected.changed}\b", out)
    assert expected.examples[0].application_id in out
    assert "replaying" not in out  # no progress bar when not a terminal


def test_the_json_report_is_the_registrys(database: str, candidate: str, tmp_path: Path) -> None:
    path = tmp_path / "replay.json"
    code, _, err = invoke("rules", "replay", "--policy", candidate, "--db", database,
                          "--since", "2026-03-10", "--until", "2026-03-20", "--json", str(path))
    assert code == 0, err
    written = json.loads(path.read_text(encoding="utf-8"))
    expected = mdreg.open(database).replay(
        BASE_POLICY.with_changes("no-ground", cancellation_grounds=()),
        since=date(2026, 3, 10), until=date(2026, 3, 20))
    assert written == expected.to_dict()
    assert (written["since"], written["until"]) == ("2026-03-10", "2026-03-20")


def test_the_same_policy_changes_nothing(database: str) -> None:
    code, out, err = invoke("rules", "replay", "--policy", "base", "--db", database)
    assert code == 0, err
    assert re.search(r"verdicts changed\s+0\b", out) and "changed decisions" not in out


@pytest.mark.parametrize(("args", "says"), [
    (["--policy", "no.such.module:POLICY"], "候选政策"),
    (["--policy", "CANDIDATE:NOT_A_POLICY"], "is not a Policy"),
    (["--policy", "CANDIDATE:NO_SUCH_NAME"], "no policy at"),
    (["--policy", "base@2024-01-01"], "drop the @date"),
    (["--since", "2026-13-01"], "起始日期输入不合法: --since: '2026-13-01' is not a date"),
    (["--until", "yesterday"], "截止日期"),
    (["--since", "2026-03-20", "--until", "2026-03-10"], "is before since"),
])
def test_bad_input_is_one_line_naming_the_field(database: str, candidate: str,
                                                args: list[str], says: str) -> None:
    args = [a.replace("CANDIDATE", candidate.partition(":")[0]) for a in args]
    if "--policy" not in args:
        args += ["--policy", candidate]
    code, out, err = invoke("rules", "replay", "--db", database, *args)
    assert code == 2 and out == ""
    assert says in one_error_line(err)


@pytest.mark.parametrize("url", [
    f"nosuch://admin:{PASSWORD}@db.internal/mdreg",
    f"postgresql+psycopg://admin:{PASSWORD}@127.0.0.1:9/mdreg?connect_timeout=2",
])
def test_a_bad_database_url_is_one_line_without_its_password(candidate: str, url: str) -> None:
    code, out, err = invoke("rules", "replay", "--policy", candidate, "--db", url)
    assert code == 2 and out == ""
    assert PASSWORD not in one_error_line(err)


def test_a_missing_sqlite_file_is_not_created(candidate: str, tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    code, _, err = invoke("rules", "replay", "--policy", candidate, "--db", f"sqlite:///{path}")
    assert code == 2 and f"no database at {path}" in one_error_line(err)
    assert not path.exists()


def test_the_tables_show_the_database_without_its_password(
        database: str, candidate: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://admin:{PASSWORD}@db.internal/mdreg"
    monkeypatch.setattr(cli_replay, "_open", lambda _url: mdreg.open(database))
    code, out, err = invoke("rules", "replay", "--policy", candidate, "--db", url)
    assert code == 0, err
    assert "postgresql+psycopg://admin:***@db.internal/mdreg" in out and PASSWORD not in out
