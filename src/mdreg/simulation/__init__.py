"""Simulate a province's registration business through the real engine.

>>> from mdreg.simulation import SimulationConfig, run
>>> report = run(SimulationConfig(physicians=40, days=5, seed=7), "memory://")
>>> sorted(report["by_type"]) == sorted(b.value for b in mdreg.BusinessType)
True
>>> report["invariant_violations"]
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import mdreg
from mdreg.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.simulation.invariants import violations
from mdreg.simulation.report import build_report
from mdreg.simulation.runner import START, Simulation, SimulationConfig


def run(config: SimulationConfig, url: str = "memory://",
        on_day: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run one simulation on a fresh registry at ``url`` and return its report."""
    registry = mdreg.open(url, clock=FakeClock(START), ids=SequentialIds())
    if registry.audit_count():
        raise mdreg.ValidationError("db", "the database already holds data; use an empty one",
                                    field_label="数据库")
    simulation = Simulation(registry, config, on_day)
    started = time.perf_counter()
    simulation.run()
    seconds = time.perf_counter() - started
    broken = violations(registry, [p.id for p in simulation.province.physicians])
    return build_report(simulation, seconds, url, broken)


__all__ = ["Simulation", "SimulationConfig", "run"]
