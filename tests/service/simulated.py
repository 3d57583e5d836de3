"""A seeded simulation on an in-memory registry: thousands of recorded decisions for the tests
of decision records and their replay."""

from __future__ import annotations

import mdreg
from mdreg.domain.clock import FakeClock
from mdreg.service.ids import SequentialIds
from mdreg.simulation import CALENDAR, START, SimulationConfig
from mdreg.simulation.runner import Simulation


def simulated_registry(physicians: int, days: int, seed: int = 3) -> mdreg.Registry:
    """An in-memory registry after ``days`` simulated days of ``physicians`` physicians."""
    registry = mdreg.open("memory://", clock=FakeClock(START), ids=SequentialIds(),
                          calendar=CALENDAR)
    Simulation(registry, SimulationConfig(physicians=physicians, days=days, seed=seed)).run()
    return registry
