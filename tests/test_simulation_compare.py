"""Two policies, one workload: ``mdreg.simulation.compare`` and ``mdreg simulate --compare-policy``.

The figures compared must move the way the policies differ, and only there: a policy compared
with itself differs in nothing, a rule switched off refuses nothing, a stricter parameter moves
its figure the stricter way.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

import mdreg
from mdreg.cli import app
from mdreg.cli_simulate import comparison_tables
from mdreg.domain.application import BusinessType, CancellationGround
from mdreg.domain.clock import FakeClock
from mdreg.rules.policy import Policy
from mdreg.service.ids import SequentialIds
from mdreg.simulation import CALENDAR, Simulation, SimulationConfig, compare, run
from mdreg.simulation.runner import START
from mdreg.workflows import BASE_POLICY

CONFIG = SimulationConfig(physicians=60, days=20, seed=3)
#: inferred rules the base policy cites in refusals of CONFIG's run
SWITCHED = ("target.registration_usable", "filing.not_primary_or_duplicate")
OFF = BASE_POLICY.with_changes("off", switch_off=SWITCHED)
#: every 注销 ground but the one the simulated physicians give most often
NARROW_GROUNDS = BASE_POLICY.with_changes("narrow", cancellation_grounds=[
    g.value for g in CancellationGround if g is not CancellationGround.OWN_REQUEST])
LENIENT = BASE_POLICY.with_changes("lenient", require_active_account=False)
SHORT_PERIOD = BASE_POLICY.with_changes("short", decision_working_days=5)
TIMING = {"commands_per_second", "command_seconds", "seconds"}
RUNNER = CliRunner()
POLICIES = f"""
from mdreg.workflows import BASE_POLICY

OFF = BASE_POLICY.with_changes("off", switch_off={SWITCHED!r})
NOT_A_POLICY = 42
"""


def test_a_policy_compared_with_itself_differs_in_nothing() -> None:
    same = BASE_POLICY.with_changes("same")  # another object, the same content
    comparison = compare(CONFIG, BASE_POLICY, same)
    assert comparison.identical and comparison.differences() == {}
    assert sum(f.a for f in comparison.refusals_by_rule.values()) > 0
    assert sum(f.a for f in comparison.approved_by_type.values()) > 0
    assert comparison.deadlines["due"].a > 0
    assert untimed(comparison.report_a) == untimed(comparison.report_b)


def untimed(report: Mapping[str, Any]) -> dict[str, Any]:
    """A report without its timings and policy name."""
    return {key: value for key, value in report.items() if key not in {*TIMING, "policy"}}


def test_a_rule_switched_off_refuses_nothing() -> None:
    comparison = compare(CONFIG, BASE_POLICY, OFF)
    for rule_id in SWITCHED:
        figure = comparison.refusals_by_rule[rule_id]
        assert figure.a > 0 and figure.b == 0 and figure.difference == -figure.a
    assert comparison.differences()["refusals_by_rule"] == {
        rule_id: -comparison.refusals_by_rule[rule_id].a for rule_id in SWITCHED}


def test_fewer_accepted_grounds_refuse_more_cancellations() -> None:
    comparison = compare(CONFIG, BASE_POLICY, NARROW_GROUNDS)
    refused = comparison.refusals_by_rule["cancellation.ground_accepted"]
    assert refused.b > refused.a == 0
    approved = comparison.approved_by_type[BusinessType.CANCELLATION.value]
    assert approved.b < approved.a


def test_a_shorter_decision_period_is_missed_more_often() -> None:
    comparison = compare(CONFIG, BASE_POLICY, SHORT_PERIOD)
    deadlines = comparison.deadlines
    assert deadlines["due"].difference == 0, "the period does not change the decisions"
    assert deadlines["missed"].b > deadlines["missed"].a
    assert deadlines["met"].difference == -deadlines["missed"].difference
    assert comparison.report_b["deadlines"]["working_days"] == 5


class Recording(Simulation):
    """Notes every arrival: the day, and the business type drawn for it."""

    arrivals: list[tuple[int, BusinessType]]

    def _candidate(self, business: BusinessType, rng: Any) -> mdreg.Physician | None:
        self.arrivals.append((self.day, business))
        return super()._candidate(business, rng)


def arrivals(policy: Policy, config: SimulationConfig) -> list[tuple[int, BusinessType]]:
    registry = mdreg.open("memory://", clock=FakeClock(START), ids=SequentialIds(),
                          calendar=CALENDAR, policy=policy)
    simulation = Recording(registry, config)
    simulation.arrivals = []
    simulation.run()
    return simulation.arrivals


@pytest.mark.parametrize(("other", "seed"), [(NARROW_GROUNDS, 3), (LENIENT, 4)],
                         ids=["narrow", "lenient"])
def test_the_arrivals_do_not_depend_on_the_decisions(other: Policy, seed: int) -> None:
    config = SimulationConfig(physicians=60, days=20, seed=seed)
    base = arrivals(BASE_POLICY, config)
    assert len(base) > config.days
    assert arrivals(other, config) == base
    assert compare(config, BASE_POLICY, other).differences(), "the decisions differ"


def test_the_json_names_the_policies_and_holds_both_reports() -> None:
    data = compare(CONFIG, BASE_POLICY, OFF).to_json()
    json.dumps(data)
    assert data["policies"]["a"].startswith("base@") and data["policies"]["b"].startswith("off@")
    assert set(data) >= {"refusals_by_rule", "approved_by_type", "backlog", "deadlines", "reports"}
    for rule_id in SWITCHED:
        assert data["refusals_by_rule"][rule_id]["b"] == 0
        assert data["reports"]["b"]["refusals_by_rule"].get(rule_id) is None
    backlog = data["backlog"]["under_review"]
    assert backlog == {"a": data["reports"]["a"]["backlog"][-1]["under_review"],
                       "b": data["reports"]["b"]["backlog"][-1]["under_review"],
                       "difference": backlog["b"] - backlog["a"]}


def test_one_sql_database_cannot_hold_both_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    with pytest.raises(mdreg.ValidationError, match="two databases"):
        compare(CONFIG, BASE_POLICY, OFF, url_a=url, url_b=url)
    assert not (tmp_path / "one.db").exists()


def test_spawned_workers_are_refused_a_policy_of_ones_own(tmp_path: Path) -> None:
    with pytest.raises(mdreg.ValidationError, match="fork"):
        run(CONFIG, f"sqlite:///{tmp_path / 's.db'}", workers=2, start_method="spawn", policy=OFF)
    assert not (tmp_path / "s.db").exists()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_forked_workers_apply_the_policy(tmp_path: Path) -> None:
    """The workers make every application and decision: refusals of a ground the base policy
    accepts come from them."""
    config = SimulationConfig(physicians=60, days=12, seed=3)
    report = run(config, f"sqlite:///{tmp_path / 'w.db'}", workers=2, start_method="fork",
                 policy=NARROW_GROUNDS)
    assert report["policy"].startswith("narrow@") and report["invariant_violations"] == []
    assert report["refusals_by_rule"]["cancellation.ground_accepted"] > 0


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def policies(tmp_path: Path) -> str:
    path = tmp_path / "policies.py"
    path.write_text(POLICIES, encoding="utf-8")
    return str(path)


def invoke(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["simulate", "--physicians", "60", "--days", "20", "--seed", "3",
                                 *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_a_b_and_the_difference(policies: str) -> None:
    code, out, err = invoke("--compare-policy", f"{policies}:OFF")
    assert code == 0, err
    for title in ("Refusals per rule", "Approvals per business type", "Backlog at the end",
                  "Decisions due", "B−A", "temporary, deleted"):
        assert title in out
    assert re.search(r"base@[0-9a-f]{16}\s+│\s+off@[0-9a-f]{16}", out), out
    expected = compare(CONFIG, BASE_POLICY, OFF).refusals_by_rule
    for rule_id in SWITCHED:
        figure = expected[rule_id]
        assert re.search(rf"{re.escape(rule_id)}\s+{figure.a}\s+0\s+-{figure.a}\n", out), rule_id


def test_cli_json_is_the_comparison(tmp_path: Path, policies: str) -> None:
    out = tmp_path / "comparison.json"
    code, _, err = invoke("--db", "memory://", "--policy", f"{policies}:OFF",
                          "--compare-policy", "base", "--json", str(out))
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    expected = compare(CONFIG, OFF, BASE_POLICY).to_json()
    for key in ("policies", "refusals_by_rule", "approved_by_type", "backlog", "deadlines"):
        assert data[key] == expected[key], key
    assert data["refusals_by_rule"][SWITCHED[0]]["difference"] > 0


def test_cli_html_draws_both_policies(tmp_path: Path, policies: str) -> None:
    page = tmp_path / "comparison.html"
    code, _, err = invoke("--db", "memory://", "--compare-policy", f"{policies}:OFF",
                          "--html", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "Refusals per rule" in html and "Approvals per business type" in html
    # one bar trace per policy in each of the three charts
    assert len(re.findall(r'"name":"A: base@[0-9a-f]{16}"', html)) == 3
    assert len(re.findall(r'"name":"B: off@[0-9a-f]{16}"', html)) == 3
    assert '"barmode":"group"' in html


def test_cli_policy_alone_runs_under_it(tmp_path: Path, policies: str) -> None:
    out = tmp_path / "report.json"
    code, text, err = invoke("--db", "memory://", "--policy", f"{policies}:OFF",
                             "--json", str(out))
    assert code == 0, err
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["policy"].startswith("off@") and report["policy"] in text
    assert not set(SWITCHED) & set(report["refusals_by_rule"])


def test_cli_compare_on_a_sqlite_file_puts_the_second_run_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    (tmp_path / "sim-b.db").write_bytes(b"someone's data")
    code, out, err = invoke("--db", f"sqlite:///{db}", "--compare-policy", "base")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "sim-b.db exists" in err and not db.exists()
    code, _, err = invoke("--db", f"sqlite:///{db}", "--compare-policy", "base", "--replace")
    assert code == 0, err
    for path in (db, tmp_path / "sim-b.db"):
        assert path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_cli_compare_refuses_one_postgresql_database() -> None:
    code, out, err = invoke("--db", "postgresql+psycopg://mdreg:s3cret@localhost:1/mdreg",
                            "--compare-policy", "base")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "two databases" in err and "s3cret" not in err and "***" in err


@pytest.mark.parametrize(("value", "says"), [
    ("no_such_module_xyz:POLICY", "no policy at"),
    ("mdreg.workflows:NO_SUCH_POLICY", "no policy at"),
    ("{policies}:NOT_A_POLICY", "is not a Policy"),
    ("{broken}:POLICY", "cannot import: ZeroDivisionError"),
    ("base@2024-01-01", "without a date"),
])
def test_cli_bad_compare_policy_is_one_line(tmp_path: Path, policies: str, value: str,
                                            says: str) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("POLICY = 1 / 0\n", encoding="utf-8")
    db = tmp_path / "never.db"
    value = value.format(policies=policies, broken=broken)
    code, out, err = invoke("--db", f"sqlite:///{db}", "--compare-policy", value)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith("error: --compare-policy ")
    assert says in err and "Traceback" not in err
    assert not db.exists(), "the run must not start"


def test_the_comparison_tables_read_at_80_columns() -> None:
    data = compare(CONFIG, BASE_POLICY, OFF).to_json()
    console = Console(width=80, record=True, file=io.StringIO())
    for table in comparison_tables(data, temporary=True):
        console.print(table)
    text = console.export_text()
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert "…" not in text, "nothing is cut short"
    for group in ("refusals_by_rule", "approved_by_type"):
        for name in data[group]:
            assert re.search(rf"^{re.escape(name)} ", text, flags=re.MULTILINE), name
