"""The simulation runs through the real engine, reproducibly, and keeps the registry invariants."""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdreg import BusinessType, NoticeKind
from mdreg.cli import app
from mdreg.simulation import SimulationConfig, run

TIMING = {"commands_per_second", "command_seconds", "seconds"}
KEYS = {"seed", "days", "physicians", "by_type", "refusals_by_rule", "deadlines", "audit_events",
        "commands", "commands_per_second", "database"}


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return run(SimulationConfig(physicians=150, days=40, seed=3), "memory://")


def test_report_has_the_promised_keys(report: dict[str, object]) -> None:
    assert set(report) >= KEYS
    assert set(report["by_type"]) == {b.value for b in BusinessType}  # type: ignore[arg-type]
    assert set(report["deadlines"]) >= {"due", "met", "missed"}  # type: ignore[arg-type]


def test_every_business_type_reaches_a_decision(report: dict[str, object]) -> None:
    by_type: dict[str, dict[str, int]] = report["by_type"]  # type: ignore[assignment]
    approved = {kind for kind, states in by_type.items() if states.get("approved")}
    assert len(approved) >= 7, by_type
    assert report["refusals_by_rule"], "some applications are ineligible on purpose"


def test_invariants_hold_and_audit_matches(report: dict[str, object]) -> None:
    assert report["invariant_violations"] == []
    assert report["audit_events"] >= report["commands"] * 0.5  # type: ignore[operator]
    deadlines: dict[str, int] = report["deadlines"]  # type: ignore[assignment]
    assert deadlines["met"] + deadlines["missed"] == deadlines["due"] > 0


def test_the_report_counts_the_notices_issued_per_kind(report: dict[str, object]) -> None:
    notices: dict[str, object] = report["notices"]  # type: ignore[assignment]
    by_kind: dict[str, int] = notices["by_kind"]  # type: ignore[assignment]
    assert set(by_kind) == {k.value for k in NoticeKind}
    assert by_kind["acceptance"] > 0 and by_kind["approval"] > 0 and by_kind["correction"] > 0
    assert notices["issued"] == sum(by_kind.values())
    # every notice goes to one or two parties, each message delivered by the portal's side
    assert notices["issued"] <= notices["delivered"] <= 2 * notices["issued"]  # type: ignore[operator]


def test_same_seed_same_result(report: dict[str, object]) -> None:
    again = run(SimulationConfig(physicians=150, days=40, seed=3), "memory://")
    strip = lambda r: {k: v for k, v in r.items() if k not in TIMING}  # noqa: E731
    assert strip(again) == strip(report)
    other = run(SimulationConfig(physicians=150, days=40, seed=4), "memory://")
    assert strip(other) != strip(report)


def test_cli_simulate_writes_json_and_masks_personal_data(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["simulate", "--physicians", "60", "--days", "10",
                                      "--db", "memory://", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(out.read_text(encoding="utf-8"))) >= KEYS
    assert not re.search(r"\d{8,}", result.output)
    assert "Refusals per rule" in result.output


def test_cli_reports_bad_options_with_exit_codes() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["diagram", "no-such-type"]).exit_code == 2
    assert runner.invoke(app, ["simulate", "--db", "nosuch://x", "--days", "1"]).exit_code == 2
    assert runner.invoke(app, ["rules", "show", "no.such.rule"]).exit_code == 2


def test_cli_diagram_and_rules() -> None:
    runner = CliRunner()
    diagram = runner.invoke(app, ["diagram", "变更"])
    assert diagram.exit_code == 0
    assert "stateDiagram-v2" in diagram.output
    listed = runner.invoke(app, ["rules", "list", "--json"])
    assert listed.exit_code == 0
    ids = {rule["id"] for rule in json.loads(listed.output)}
    assert "practice_location.one_primary_institution" in ids


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_two_workers_share_a_sqlite_database(tmp_path: Path, start_method: str) -> None:
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"this platform cannot {start_method} processes")
    report = run(SimulationConfig(physicians=60, days=6, seed=5),
                 f"sqlite:///{tmp_path / 'shared.db'}", workers=2, start_method=start_method)
    assert report["workers"] == 2
    assert report["invariant_violations"] == []
    assert report["commands"] > 0
    assert report["audit_events"] >= sum(
        n for states in report["by_type"].values() for n in states.values())


def test_workers_need_a_shared_database() -> None:
    result = CliRunner().invoke(app, ["simulate", "--db", "memory://", "--workers", "2"])
    assert result.exit_code == 2
    assert "shared database" in result.output


def test_newcomers_sign_up_and_activate(report: dict[str, object]) -> None:
    accounts: dict[str, int] = report["accounts"]  # type: ignore[assignment]
    assert accounts["signed_up"] == accounts["activated"] > 0


def test_some_physicians_lose_both_contacts_and_recover_with_their_institution(
        report: dict[str, object]) -> None:
    accounts: dict[str, int] = report["accounts"]  # type: ignore[assignment]
    assert accounts["contact_replaced"] == accounts["password_recovered"] > 0


def test_a_generated_id_number_already_given_moves_to_the_next_day() -> None:
    import random
    from datetime import date as _date

    from mdreg.simulation.province import _id_number

    class SameDay(random.Random):
        def randrange(self, *_: object, **__: object) -> int:  # type: ignore[override]
            return 0  # every number is born on 1960-01-01

    taken: set[str] = set()
    numbers = [_id_number(SameDay(), "330106", serial, taken) for serial in (7, 1007, 2007, 8)]
    assert [n.birth_date for n in numbers] == [
        _date(1960, 1, 1), _date(1960, 1, 2), _date(1960, 1, 3), _date(1960, 1, 1)]
    assert len({n.value for n in numbers}) == 4 and {n.value for n in numbers} == taken
    alone = _id_number(SameDay(), "330106", 1007)  # without a record of the numbers given
    assert alone == numbers[0] and alone.birth_date == _date(1960, 1, 1)


def test_a_province_gives_each_physician_an_id_number_of_their_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import random
    from datetime import date as _date

    from mdreg.simulation import province

    class OneBirthday(random.Random):  # only ID numbers draw with randrange: one birthday
        def randrange(self, *_: object, **__: object) -> int:  # type: ignore[override]
            return 0

    monkeypatch.setattr(province.random, "Random", OneBirthday)
    generated = province.generate("110000", 2_500, 3, _date(2026, 3, 2))
    numbers = [p.id_number.value for p in generated.physicians]
    # 北京's 16 districts and a thousand serials: physicians n and n + 2,000 would share one
    assert len(set(numbers)) == len(numbers) == 2_500
