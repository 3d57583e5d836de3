"""``mdreg migrate plan|apply|revert`` against a SQLite registry after a deployment changed the
state machine of 注册."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mdreg
from mdreg.cli import app
from mdreg.domain.clock import FakeClock
from mdreg.service.records import definition_revision
from mdreg.simulation import START
from mdreg.testing import World
from mdreg.testing.definitions import (
    SENT_BACK,
    redeclared,
    registrations_in_four_states,
    renamed_returned,
)
from mdreg.workflows import DEFINITIONS, redeclare

RUNNER = CliRunner()
TARGET = renamed_returned(DEFINITIONS[mdreg.BusinessType.REGISTRATION])


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[str, dict[str, mdreg.Application]]]:
    """A SQLite registry with 注册 applications in four states, then the renamed machine."""
    db = f"sqlite:///{tmp_path / 'reg.db'}"
    apps = registrations_in_four_states(World(mdreg.open(db, clock=FakeClock(START))))
    restore = redeclare(redeclared(TARGET))
    yield db, apps
    restore()


def test_plan_apply_again_and_revert(deployed: tuple[str, dict[str, mdreg.Application]],
                                     tmp_path: Path) -> None:
    db, apps = deployed
    plan_file = tmp_path / "plan.json"
    code, out, _ = run("migrate", "plan", "--db", db, "--to", "registration",
                       "--out", str(plan_file))
    assert code == 1 and "unmapped" in out and "3 in-flight application(s), 1 unmapped" in out
    code, out, err = run("migrate", "apply", "--db", db, "--plan", str(plan_file), "--by", "李工")
    assert code == 1 and "流程迁移被拒绝" in err and out == ""
    code, out, _ = run("migrate", "plan", "--db", db, "--to", definition_revision(TARGET),
                       "--map", f"returned={SENT_BACK}", "--out", str(plan_file))
    assert code == 0 and "0 unmapped" in out and SENT_BACK in out
    code, out, _ = run("migrate", "apply", "--db", db, "--plan", str(plan_file), "--by", "李工",
                       "--batch", "2", "--json")
    report = json.loads(out)
    assert code == 0 and len(report["moved"]) == 3 and not report["skipped"]
    returned = mdreg.open(db).application(apps["returned"].id)
    assert returned.state == SENT_BACK
    assert str(mdreg.open(db).history(returned.id)[-1].actor) == "system:system/李工"
    code, out, _ = run("migrate", "apply", "--db", db, "--plan", str(plan_file), "--by", "李工")
    assert code == 0 and "0 moved, 3 already done, 0 skipped" in out
    code, out, _ = run("migrate", "revert", "--db", db, "--plan", str(plan_file), "--by", "李工")
    assert code == 0 and "3 moved" in out
    assert mdreg.open(db).application(apps["returned"].id).state == "returned"


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "registration", "--map", "returned"], "is not OLD_STATE=NEW_STATE"),
    (["--to", "registration", "--map", "returned=nowhere"], "nowhere"),
    (["--to", "no_such_type"], "no business type 'no_such_type'"),
    (["--to", "registration@0000000000000000"], "was never published"),
])
def test_a_bad_plan_request_is_one_line(deployed: tuple[str, dict[str, mdreg.Application]],
                                        args: list[str], message: str) -> None:
    code, _, err = run("migrate", "plan", "--db", deployed[0], *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content", ["", "{}", "[1]", "not json", None])
def test_a_bad_plan_file_is_one_line(deployed: tuple[str, dict[str, mdreg.Application]],
                                     tmp_path: Path, content: str | None) -> None:
    plan_file = tmp_path / "plan.json"
    if content is not None:
        plan_file.write_text(content, encoding="utf-8")
    code, _, err = run("migrate", "apply", "--db", deployed[0], "--plan", str(plan_file),
                       "--by", "李工")
    assert code == 2 and "--plan" in err and len(err.strip().splitlines()) == 1


def test_apply_needs_a_name(deployed: tuple[str, dict[str, mdreg.Application]],
                            tmp_path: Path) -> None:
    code, _, err = run("migrate", "apply", "--db", deployed[0], "--plan", str(tmp_path / "p"),
                       "--by", " ")
    assert code == 2 and "--by" in err
