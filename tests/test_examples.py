"""Each example script runs under -X dev -W error, exits 0 and prints no unmasked personal data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_clean(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", str(script)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert output.strip()
    assert not re.search(r"\d{8,}", output), "8+ consecutive digits leak an ID number or phone"
