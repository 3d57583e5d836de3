"""``mdreg simulate --workers N``: a worker process that dies or fails ends the run promptly, with
one line on stderr and a non-zero exit, whatever the other workers were doing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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
