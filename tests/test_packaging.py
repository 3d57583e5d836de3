"""What an installed mdreg promises: one version, the command, its dependencies, a lazy package."""

from __future__ import annotations

import ast
import importlib
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


def test_pytest_finds_the_plugin_through_its_entry_point() -> None:
    target = PROJECT["project"]["entry-points"]["pytest11"]["mdreg"]
    plugin = importlib.import_module(target)
    assert target == "mdreg.testing.plugin" == plugin.__name__
    assert callable(plugin.pytest_addoption)


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = "import sys, mdreg.testing.plugin; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60, check=True)
    loaded = set(done.stdout.split())
    heavy = {"hypothesis", "sqlalchemy", "sqlmodel", "transitions", "typer", "mdreg.service",
             "mdreg.testing.builders"}
    assert loaded & heavy == set()


def test_every_public_name_resolves_lazily_to_its_definition() -> None:
    init = Path(mdreg.__file__)
    guarded = next(node for node in ast.parse(init.read_text(encoding="utf-8")).body
                   if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    typed = {alias.name: node.module for node in guarded.body if isinstance(node, ast.ImportFrom)
             for alias in node.names}
    lazy = {name: module for module, names in mdreg._EXPORTS.items() for name in names}
    assert typed == lazy
    assert set(mdreg.__all__) == {*lazy, "__version__"}
    for name, module in lazy.items():
        assert getattr(mdreg, name) is getattr(importlib.import_module(str(module)), name)
    assert mdreg.workflows.register is importlib.import_module("mdreg.workflows").register
