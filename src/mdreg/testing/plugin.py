"""pytest plugin: fixtures for an in-memory registry with a fake clock, rule coverage, and mdreg's
hypothesis profiles on request.

Installing mdreg registers it with pytest (entry point ``mdreg`` in the ``pytest11`` group), so a
project's tests get the fixtures and ``--mdreg-rule-coverage`` without configuration;
``-p mdreg.testing.plugin`` and ``pytest_plugins = ["mdreg.testing.plugin"]`` keep working, and
``-p no:mdreg`` turns it off. Since pytest loads it in every run where mdreg is installed, it
imports nothing heavy until a fixture or an option needs it, and it needs neither hypothesis nor
pytest-xdist.

mdreg's hypothesis profiles (:data:`PROFILES`) apply only when chosen: the
``mdreg_hypothesis_profile`` ini option or the ``MDREG_HYPOTHESIS_PROFILE`` environment variable
(which wins) names one of them or a profile the project registered itself; hypothesis's own
``--hypothesis-profile`` wins over both.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mdreg.domain.clock import FakeClock
    from mdreg.rules import Policy
    from mdreg.service.registry import Registry
    from mdreg.testing.builders import World
    from mdreg.testing.coverage import RuleCoverage
    from mdreg.testing.scenario import Scenario

#: The names pytest may register this module under: the entry point's and the module's own.
NAMES = ("mdreg", "mdreg.testing.plugin")
PROFILE_INI = "mdreg_hypothesis_profile"
PROFILE_ENV = "MDREG_HYPOTHESIS_PROFILE"

#: mdreg's hypothesis profiles, registered with hypothesis as ``mdreg-<name>``.
PROFILES: dict[str, dict[str, Any]] = {
    "ci": {"max_examples": 100, "deadline": None, "derandomize": True,
           "suppress_health_check": ["too_slow"]},
    "dev": {"max_examples": 50, "deadline": None, "derandomize": False},
    "nightly": {"max_examples": 2000, "deadline": None, "derandomize": False},
}

_COVERAGE: pytest.StashKey[RuleCoverage] = pytest.StashKey()


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """Once this module is registered under one of :data:`NAMES`, block the other: the entry point
    and an explicit ``-p mdreg.testing.plugin`` would otherwise register it twice (an error)."""
    if plugin is sys.modules[__name__]:
        registered = manager.get_name(plugin)
        for name in NAMES:
            if name != registered and manager.get_plugin(name) is None:
                manager.set_blocked(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mdreg")
    group.addoption("--mdreg-rule-coverage", action="store_true",
                    help="report how often each rule of the base policy passed and failed")
    group.addoption("--mdreg-rule-coverage-threshold", type=float, default=None,
                    help="fail if fewer than this percentage of rules were seen both ways")
    parser.addini(PROFILE_INI, default="",
                  help=f"hypothesis profile to load: one of mdreg's ({', '.join(PROFILES)}) or a "
                       f"registered one; ${PROFILE_ENV} overrides it")


def pytest_configure(config: pytest.Config) -> None:
    profile = os.environ.get(PROFILE_ENV) or str(config.getini(PROFILE_INI))
    if profile and not config.getoption("hypothesis_profile", None):
        load_hypothesis_profile(profile)
    if config.getoption("--mdreg-rule-coverage") or config.getoption(
            "--mdreg-rule-coverage-threshold") is not None:
        from mdreg.testing.coverage import RuleCoverage

        config.stash[_COVERAGE] = RuleCoverage().install()


def load_hypothesis_profile(name: str) -> None:
    """Load mdreg's profile ``name`` (see :data:`PROFILES`) or a profile registered as ``name``."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError as err:
        raise pytest.UsageError(f"{PROFILE_INI}={name} needs hypothesis installed") from err
    if name in PROFILES:
        options = dict(PROFILES[name])
        options["suppress_health_check"] = [
            HealthCheck[check] for check in options.get("suppress_health_check", ())]
        settings.register_profile(f"mdreg-{name}", **options)
        name = f"mdreg-{name}"
    settings.load_profile(name)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, on the controller: add a finished worker's rule counts."""
    coverage = node.config.stash.get(_COVERAGE, None)
    if coverage is not None:
        coverage.merge(getattr(node, "workeroutput", {}).get("mdreg_rule_coverage", {}))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    coverage = session.config.stash.get(_COVERAGE, None)
    if coverage is None:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["mdreg_rule_coverage"] = coverage.data()
        return
    threshold = session.config.getoption("--mdreg-rule-coverage-threshold")
    if threshold is not None and coverage.both_ways(_base_policy()) < threshold:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = sorted({str(value) for report in terminalreporter.stats.get("passed", [])
                      for name, value in getattr(report, "user_properties", ())
                      if name == "figures"})
    if figures:  # what the reliability tests asserted (``record_property("figures", …)``)
        terminalreporter.section("mdreg reliability figures")
        for line in figures:
            terminalreporter.write_line(line)
    coverage = config.stash.get(_COVERAGE, None)
    if coverage is None or getattr(config, "workeroutput", None) is not None:
        return
    terminalreporter.section("mdreg rule coverage")
    for line in coverage.table(_base_policy()):
        terminalreporter.write_line(line)
    threshold = config.getoption("--mdreg-rule-coverage-threshold")
    if threshold is not None and coverage.both_ways(_base_policy()) < threshold:
        terminalreporter.write_line(f"FAILED: below the threshold of {threshold:.1f}%")


def _base_policy() -> Policy:
    from mdreg.workflows import BASE_POLICY

    return BASE_POLICY


@pytest.fixture
def scenario(clock: FakeClock) -> Scenario:
    """A :class:`~mdreg.testing.scenario.Scenario` on an in-memory registry and ``clock``."""
    from mdreg.testing.scenario import Scenario

    return Scenario(_memory_registry(clock))


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-03-02 09:00 Beijing time (a Monday)."""
    from mdreg.domain.clock import FakeClock

    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def registry(clock: FakeClock) -> Registry:
    """An empty in-memory registry on the fake clock, with readable sequential ids."""
    return _memory_registry(clock)


@pytest.fixture
def world(registry: Registry) -> World:
    """A reference-data builder over ``registry``."""
    from mdreg.testing.builders import World

    return World(registry)


def _memory_registry(clock: FakeClock) -> Registry:
    from mdreg.bootstrap import open as open_registry
    from mdreg.service.ids import SequentialIds

    return open_registry("memory://", clock=clock, ids=SequentialIds())
