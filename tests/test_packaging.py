"""What an installed mdreg promises: one version, the command, its dependencies."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

import mdreg
from mdreg.cli import app

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_python_m_mdreg_prints_the_version() -> None:
    done = subprocess.run([sys.executable, "-m", "mdreg", "--version"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == f"mdreg {mdreg.__version__}\n"


def test_the_version_option_is_eager() -> None:
    result = CliRunner().invoke(app, ["--version", "rules", "show", "no-such-rule"])
    assert (result.exit_code, result.stdout) == (0, f"mdreg {mdreg.__version__}\n")


def test_the_version_has_one_source() -> None:
    assert "version" not in PROJECT["project"]
    assert PROJECT["project"]["dynamic"] == ["version"]
    source = ROOT / PROJECT["tool"]["hatch"]["version"]["path"]
    assert source == Path(mdreg.__file__)
    assert f'__version__ = "{mdreg.__version__}"' in source.read_text(encoding="utf-8")


def test_a_plain_install_brings_the_calendar_and_the_command() -> None:
    needed = {"chinesecalendar", "typer", "rich", "plotly"}
    assert needed <= {requirement.split(">")[0] for requirement in PROJECT["project"]["dependencies"]}
    extras = PROJECT["project"]["optional-dependencies"]
    assert extras["cli"] == extras["calendar"] == []  # aliases of old install lines
