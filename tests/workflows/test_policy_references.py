"""Policy references — ``base``, ``package.module[:ATTR]``, ``path/to/file.py[:ATTR]``, ``@DATE``.

:func:`mdreg.workflows.policies.resolve` turns what the command line's ``--policy`` and
``mdreg rules diff`` take into a :class:`~mdreg.rules.policy.Policy` and a date; every reference
naming no policy is a :class:`~mdreg.errors.RuleDefinitionError` whose message says why.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from mdreg.errors import RuleDefinitionError
from mdreg.rules.policy import Policy
from mdreg.workflows import BASE_POLICY, policies
from mdreg.workflows.policies import resolve

SOURCE = """
from mdreg.workflows import BASE_POLICY

POLICY = BASE_POLICY.with_changes("default-attribute")
policy = BASE_POLICY.with_changes("lower-case-attribute")
OTHER = BASE_POLICY.with_changes("other-attribute")
NOT_A_POLICY = 42
"""

HINT = "(use package.module:ATTRIBUTE or path/to/file.py:ATTRIBUTE)"
PACKAGE = "mdreg_test_policy_references"


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    path = tmp_path / "province.py"
    path.write_text(SOURCE, encoding="utf-8")
    return str(path)


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``PACKAGE.provinces.rules``, importable from ``tmp_path``; forgotten afterwards."""
    rules = tmp_path / PACKAGE / "provinces"
    rules.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("", encoding="utf-8")
    (rules / "__init__.py").write_text("", encoding="utf-8")
    (rules / "rules.py").write_text(SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield f"{PACKAGE}.provinces.rules"
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def refused(reference: str) -> RuleDefinitionError:
    with pytest.raises(RuleDefinitionError) as caught:
        resolve(reference)
    error = caught.value  # one line for the user: no import traceback chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return error


# -- what a reference names ----------------------------------------------------------------------


def test_a_module_attribute_is_that_very_object() -> None:
    assert resolve("mdreg.workflows:BASE_POLICY") == (BASE_POLICY, None)
    policy, on = resolve("mdreg.workflows:BASE_POLICY@2026-01-05")
    assert policy is BASE_POLICY and on == date(2026, 1, 5)


def test_a_dotted_module_without_attribute_means_its_POLICY(package: str) -> None:
    policy, on = resolve(package)
    assert isinstance(policy, Policy) and policy.name == "default-attribute" and on is None
    module = sys.modules[package]
    assert policy is module.POLICY  # type: ignore[attr-defined]
    assert resolve(f"{package}@2024-02-29") == (module.POLICY, date(2024, 2, 29))  # type: ignore[attr-defined]


def test_a_dotted_module_with_attribute_means_that_attribute(package: str) -> None:
    assert resolve(f"{package}:OTHER")[0].name == "other-attribute"
    assert resolve(f"{package}:policy")[0].name == "lower-case-attribute"


def test_a_file_without_attribute_means_its_POLICY(policy_file: str) -> None:
    policy, on = resolve(policy_file)
    assert policy.name == "default-attribute" and on is None
    policy, on = resolve(f"{policy_file}@2021-06-01")
    assert policy.name == "default-attribute" and on == date(2021, 6, 1)


def test_a_file_with_attribute_means_that_attribute(policy_file: str) -> None:
    policy, on = resolve(f"{policy_file}:OTHER@2026-01-01")
    assert policy.name == "other-attribute" and on == date(2026, 1, 1)
    assert resolve(f"{policy_file}:POLICY")[0].name == "default-attribute"


def test_a_path_with_colons_of_its_own_names_its_file(tmp_path: Path) -> None:
    """The attribute follows the last colon only: a directory named with a colon (and so a
    Windows drive, ``C:\\…``) is part of the path."""
    folder = tmp_path / "province:zj"
    folder.mkdir()
    path = folder / "rules.py"
    path.write_text(SOURCE, encoding="utf-8")
    assert resolve(str(path))[0].name == "default-attribute"
    assert resolve(f"{path}:OTHER")[0].name == "other-attribute"
    assert resolve(f"{path}:OTHER@2026-01-01") == (resolve(f"{path}:OTHER")[0], date(2026, 1, 1))


# -- what a reference cannot name ----------------------------------------------------------------


def test_a_malformed_date_is_refused_before_anything_is_imported() -> None:
    for reference in ("base@2021-13-01", "no.such.module:POLICY@tomorrow"):
        error = refused(reference)
        assert error.message == f"bad date in policy reference {reference!r}"
        assert str(error) == error.message
        assert "no.such.module" not in sys.modules


def test_a_missing_attribute_is_refused(policy_file: str, package: str) -> None:
    for name in (f"{policy_file}:NOPE", f"{package}:NOPE", "mdreg.workflows:NOPE"):
        error = refused(f"{name}@2026-01-01")
        assert error.message == f"no policy at {name!r} {HINT}"
        assert error.describe() == f"规则定义错误: no policy at {name!r} {HINT}"


def test_a_module_without_POLICY_is_refused() -> None:
    assert refused("mdreg.workflows").message == f"no policy at 'mdreg.workflows' {HINT}"


def test_a_missing_module_or_file_is_refused(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.py")
    for name in ("no.such.module", "no.such.module:POLICY", missing, f"{missing}:POLICY"):
        assert refused(name).message == f"no policy at {name!r} {HINT}"


def test_an_extra_colon_names_no_policy(policy_file: str) -> None:
    for name in ("mdreg.workflows:BASE_POLICY:extra", f"{policy_file}:POLICY:", "mdreg.workflows::BASE_POLICY"):
        assert refused(name).message == f"no policy at {name!r} {HINT}"


def test_an_attribute_that_is_no_policy_is_refused(policy_file: str, package: str) -> None:
    for name in (f"{policy_file}:NOT_A_POLICY", f"{package}:NOT_A_POLICY", "mdreg.workflows:Policy"):
        error = refused(name)
        assert error.message == f"{name!r} is not a Policy"
        assert error.describe() == f"规则定义错误: {name!r} is not a Policy"


# -- loading a file ------------------------------------------------------------------------------


def test_a_file_no_loader_takes_is_an_import_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``importlib`` finding no spec, or a spec without loader, is an ``ImportError`` naming the
    file (which :func:`resolve` reports as naming no policy), not a crash on ``None``."""
    path = str(tmp_path / "province.py")
    for spec in (None, importlib.machinery.ModuleSpec("province", None, origin=path)):
        monkeypatch.setattr(importlib.util, "spec_from_file_location", lambda *_, s=spec: s)
        with pytest.raises(ImportError) as caught:
            policies._module(path)
        assert type(caught.value) is ImportError and caught.value.args == (path,)
        assert refused(f"{path}:POLICY").message == f"no policy at '{path}:POLICY' {HINT}"
