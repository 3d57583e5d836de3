"""pytest plugin: hypothesis profiles and fixtures for an in-memory registry with a fake clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import mdreg
from mdreg.domain.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.testing.coverage import RuleCoverage
from mdreg.testing.scenario import Scenario
from mdreg.workflows import BASE_POLICY

_COVERAGE = pytest.StashKey[RuleCoverage]()

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("nightly", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("MDREG_HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mdreg")
    group.addoption("--mdreg-rule-coverage", action="store_true",
                    help="report how often each rule of the base policy passed and failed")
    group.addoption("--mdreg-rule-coverage-threshold", type=float, default=None,
                    help="fail if fewer than this percentage of rules were seen both ways")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--mdreg-rule-coverage") or config.getoption(
            "--mdreg-rule-coverage-threshold") is not None:
        config.stash[_COVERAGE] = RuleCoverage().install()


def pytest_testnodedown(node: Any, error: object) -> None:
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
    if threshold is not None and coverage.both_ways(BASE_POLICY) < threshold:
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
    for line in coverage.table(BASE_POLICY):
        terminalreporter.write_line(line)
    threshold = config.getoption("--mdreg-rule-coverage-threshold")
    if threshold is not None and coverage.both_ways(BASE_POLICY) < threshold:
        terminalreporter.write_line(f"FAILED: below the threshold of {threshold:.1f}%")


@pytest.fixture
def scenario(clock: FakeClock) -> Scenario:
    """A :class:`~mdreg.testing.scenario.Scenario` on an in-memory registry and ``clock``."""
    return Scenario(mdreg.open("memory://", clock=clock, ids=SequentialIds()))


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-03-02 09:00 Beijing time (a Monday)."""
    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def registry(clock: FakeClock) -> Registry:
    """An empty in-memory registry on the fake clock, with readable sequential ids."""
    return mdreg.open("memory://", clock=clock, ids=SequentialIds())


@pytest.fixture
def world(registry: Registry) -> World:
    """A reference-data builder over ``registry``."""
    return World(registry)
