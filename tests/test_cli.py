"""The command line's conventions: an error is one line on stderr with a non-zero exit, never a
traceback; a database that cannot be opened is named (without its password) with the driver's
reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import mdreg.cli
from mdreg.cli import app

RUNNER = CliRunner()
PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
PASSWORD = "s3cret-pw"  # the test server trusts local connections: any password is accepted


def invoke(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_error_line(err: str) -> str:
    """The single line of ``err``, which must be an ``error:`` line."""
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    return err


def opening_commands(url: str) -> list[list[str]]:
    """Every command that opens the database at ``url``."""
    return [["db", "upgrade", url], ["calendar", "status", "--db", url],
            ["health", "--db", url], ["simulate", "--db", url, "--days", "1", "--physicians", "5"]]


@pytest.mark.postgres
def test_a_missing_postgres_database_keeps_its_cause_and_hides_the_password() -> None:
    if not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    url = make_url(PG_URL).set(database="mdreg_no_such_database", password=PASSWORD)
    for command in opening_commands(url.render_as_string(hide_password=False)):
        code, _, err = invoke(*command)
        assert code == 2, (command, err)
        line = one_error_line(err)
        assert 'database "mdreg_no_such_database" does not exist' in line, line
        assert url.render_as_string(hide_password=True) in line
        assert PASSWORD not in line


def test_an_unopenable_sqlite_path_is_named(tmp_path: Path) -> None:
    path = tmp_path / "no-such-directory" / "mdreg.db"
    for command in opening_commands(f"sqlite:///{path}"):
        code, _, err = invoke(*command)
        assert code == 2, (command, err)
        line = one_error_line(err)
        assert str(path) in line and "unable to open database file" in line, line
    assert not path.parent.exists()


def test_bad_arguments_are_one_line_on_stderr() -> None:
    for command in (["diagram", "no-such-type"], ["rules", "show", "no.such.rule"],
                    ["rules", "export", "no.such:POLICY"], ["simulate", "--db", "nosuch://x"],
                    ["health", "--db", "memory://", "--as-of", "2026-13-01"]):
        code, out, err = invoke(*command)
        assert code == 2, (command, err)
        assert out == ""
        one_error_line(err)


def test_an_unexpected_failure_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_business: object) -> object:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(mdreg.cli, "workflow_for", broken)
    code, out, err = invoke("diagram", "registration")
    assert code == 1 and out == ""
    assert one_error_line(err) == "error: unexpected RuntimeError: boom second line\n"


@pytest.mark.postgres
def test_the_simulation_report_hides_the_password(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    from mdreg.testing.databases import scratch_postgres

    out = tmp_path / "report.json"
    with scratch_postgres(PG_URL, "mdreg_cli_report") as url:
        with_password = make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
        code, out_text, err = invoke("simulate", "--db", with_password, "--days", "2",
                                     "--physicians", "10", "--json", str(out))
    assert code == 0, err
    assert PASSWORD not in out_text and PASSWORD not in out.read_text(encoding="utf-8")
    assert "***" in out.read_text(encoding="utf-8")


def test_rules_show_accepts_every_reference_rules_list_prints() -> None:
    code, out, _ = invoke("rules", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    refs = {rule["ref"] for rule in listed if rule["ref"]}
    assert refs and all(ref.startswith("R-") for ref in refs)
    for ref in refs:
        code, out, err = invoke("rules", "show", ref)
        assert code == 0, err
        shown = json.loads(out)  # every version of every rule with that reference
        expected = sorted(rule["id"] for rule in listed if rule["ref"] == ref)
        assert sorted(rule["id"] for rule in shown) == expected
    code, out, _ = invoke("rules", "show", "r-can-1")
    assert code == 0 and {rule["ref"] for rule in json.loads(out)} == {"R-CAN-1"}
    code, out, _ = invoke("rules", "show", "cancellation.ground_accepted")
    versions = json.loads(out)
    assert code == 0 and {rule["id"] for rule in versions} == {"cancellation.ground_accepted"}
    assert [rule["version"] for rule in versions] == sorted(rule["version"] for rule in versions)


def test_rules_show_names_an_unknown_reference() -> None:
    code, out, err = invoke("rules", "show", "R-NOPE-9")
    assert code == 2 and out == ""
    assert "R-NOPE-9" in one_error_line(err)


@pytest.mark.parametrize(("args", "says"), [
    (["simulate", "--days", "99999"], "Invalid value for '--days'"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["diagram"], "Missing argument 'business'"),
    (["rules", "show", "R-NOPE-9"], "no rule 'R-NOPE-9'"),
])
def test_usage_errors_of_the_script_are_one_line_too(args: list[str], says: str) -> None:
    done = subprocess.run([sys.executable, "-m", "mdreg", *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2, done
    assert says in one_error_line(done.stderr)
    assert done.stdout == ""
