"""``mdreg simulate --workers N``: the workers do the work one process would do, and a worker
process that dies or fails ends the run promptly, with one line on stderr and a non-zero exit,
whatever the other workers were doing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mdreg.simulation import SimulationConfig, run
from mdreg.testing.databases import migrated_postgres

#: Runs ``mdreg simulate`` with worker 1 of 2 failing on its second day, the way argv[1] says.
SCRIPT = """
import os, signal, sys

import mdreg.simulation
from mdreg.simulation.runner import Simulation

how, url = sys.argv[1], sys.argv[2]
snapshot = Simulation._snapshot


def failing(self, day):
    if self.worker == 1 and day == 1:
        if how == "exit":
            os._exit(9)
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("worker broke on purpose")
    snapshot(self, day)


Simulation._snapshot = failing
mdreg.simulation._start_method = lambda: "fork"  # the workers inherit the patch
from mdreg.cli import main

sys.argv = ["mdreg", "simulate", "--physicians", "30", "--days", "6", "--workers", "2",
            "--db", url]
main()
"""
TIMEOUT_S = 60


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the failure is injected into forked workers")
@pytest.mark.parametrize("how", ["exit", "kill", "raise"])
def test_a_failing_worker_ends_the_run(tmp_path: Path, how: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, how, f"sqlite:///{tmp_path / 'sim.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the run and the workers it left behind
        process.communicate()
        pytest.fail(f"the run did not end within {TIMEOUT_S} s after a worker failed ({how})")
    assert process.returncode not in (0, None)
    assert err.count("\n") == 1 and err.startswith("error: ") and "worker" in err, err
    expected = {"exit": "exit code 9", "kill": "signal 9", "raise": "worker broke on purpose"}
    assert expected[how] in err, err
    assert "Traceback" not in out + err


# -- the same work, whatever the number of workers -----------------------------------------------

#: what depends on how the run was carried out, not on what it did
RUN_ONLY = {"seconds", "commands_per_second", "command_seconds", "workers", "database",
            "commands_by_worker"}
PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
SAME_WORK = SimulationConfig(physicians=80, days=10, seed=5)


def what_happened(report: dict[str, Any]) -> dict[str, Any]:
    """A report without what depends on how the run was carried out."""
    return {key: value for key, value in report.items() if key not in RUN_ONLY}


def assert_same_work(one: dict[str, Any], two: dict[str, Any]) -> None:
    assert one["workers"] == 1 and two["workers"] == 2
    assert one["commands"] > 100 and one["invariant_violations"] == []
    for key in what_happened(one):  # one key at a time: a difference names its key
        assert two[key] == one[key], key
    assert one["commands_by_worker"] == [one["commands"]]
    assert len(two["commands_by_worker"]) == 2 and sum(two["commands_by_worker"]) == two["commands"]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_two_workers_do_the_work_of_one_on_sqlite(tmp_path: Path) -> None:
    one = run(SAME_WORK, f"sqlite:///{tmp_path / 'one.db'}")
    two = run(SAME_WORK, f"sqlite:///{tmp_path / 'two.db'}", workers=2, start_method="fork")
    assert_same_work(one, two)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs MDREG_TEST_POSTGRES_URL")
@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_two_workers_do_the_work_of_one_on_postgresql() -> None:
    with migrated_postgres(PG_URL, "mdreg_sim_one") as url_one, \
            migrated_postgres(PG_URL, "mdreg_sim_two") as url_two:
        one = run(SAME_WORK, url_one)
        two = run(SAME_WORK, url_two, workers=2, start_method="fork")
    assert_same_work(one, two)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_workers_share_the_commands_evenly(tmp_path: Path, seed: int) -> None:
    """Each worker makes its share of the commands, within a tenth of an even share. Registered
    and unregistered physicians alternate in the province, so sharing every other physician
    gave one worker all the registered ones and most of the work (25-40 % apart here)."""
    config = SimulationConfig(physicians=500, days=15, seed=seed)
    report = run(config, f"sqlite:///{tmp_path / 'shared.db'}", workers=2, start_method="fork")
    shares = report["commands_by_worker"]
    assert report["commands"] > 1000 and sum(shares) == report["commands"]
    even = report["commands"] / 2
    assert all(abs(share - even) <= even / 10 for share in shares), shares
