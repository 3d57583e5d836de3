"""Statements are compiled once per process: a stream of commands compiles no new plans after
the first of each kind (a statement built per unit of work would compile, and be kept, on every
command)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import mdreg
from mdreg import Actor, RegistrationRequest
from mdreg.adapters.sql.store import SqlStore
from mdreg.domain.clock import FakeClock
from mdreg.testing.builders import World


def _plans(registry: mdreg.Registry) -> int:
    store = registry.services.uow.__self__  # type: ignore[attr-defined]
    assert isinstance(store, SqlStore)
    return len(store.plans._reads) + len(store.plans._writes)


def test_commands_compile_no_new_plans_once_each_kind_ran(tmp_path: Path) -> None:
    registry = mdreg.open(f"sqlite:///{tmp_path / 'plans.db'}",
                          clock=FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC)))
    world = World(registry)
    hospital = world.institution("110105")

    def register() -> None:
        doctor = world.physician()
        world.approve(registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))))

    register()
    register()
    warm = _plans(registry)
    for _ in range(5):
        register()
    assert _plans(registry) == warm
