"""A migration whose process dies in the middle of a batch, on a SQL database.

The parent process puts 注册 applications in flight, deploys :func:`~mdreg.testing.definitions
.with_hold` and plans the migration; a spawned child runs it and ends itself with ``os._exit``
(no cleanup, no rollback of its own) after moving ``kill_after`` applications. The parent then
reads every application back: each must be wholly moved (target revision, version one more, a
``migrate`` event last) or wholly untouched, and the batches that committed before the death are
exactly the moved ones. Running the same plan again finishes it.
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime

import attrs

from mdreg.domain.application import Actor, Application, BusinessType
from mdreg.domain.clock import FakeClock
from mdreg.service import migrations, records
from mdreg.service.migrations import MIGRATE, MigrationPlan, MigrationReport
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.testing.definitions import redeclared, registrations_in_four_states, with_hold
from mdreg.testing.race import sql_registry
from mdreg.workflows import DEFINITIONS, redeclare

#: The exit status the child ends itself with.
KILLED = 9
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OPERATOR = Actor.system("迁移测试")


@attrs.frozen
class KilledMigration:
    """What the parent found after the child died, and after running the plan again.

    Attributes:
        exit_code: the child's exit status (:data:`KILLED` when it died where it should).
        planned: how many applications the plan moves.
        moved_before: applications wholly moved when the child died.
        half_moved: applications neither wholly moved nor untouched (must be empty).
        finished: the report of running the plan again.
    """

    exit_code: int | None
    planned: int
    moved_before: tuple[str, ...]
    half_moved: tuple[str, ...]
    finished: MigrationReport


def killed_migration(url: str, *, groups: int = 3, batch_size: int = 4, kill_after: int = 6,
                     timeout: float = 120.0) -> KilledMigration:
    """Run the scenario of the module on ``url`` (an empty, migrated SQL database); ``groups``
    sets of four applications (three of them in flight)."""
    registry, store = sql_registry(url, FakeClock(START))
    records.publish(registry.services)  # what mdreg.open does: the running definitions
    try:
        world = World(registry)
        before = {app.id: app for _ in range(groups)
                  for app in registrations_in_four_states(world).values()}
        undeploy = redeclare(redeclared(with_hold(DEFINITIONS[BusinessType.REGISTRATION])))
        try:
            plan = registry.plan_migration("registration")
            context = multiprocessing.get_context("spawn")
            child = context.Process(target=_child, args=(url, plan.to_json(), batch_size,
                                                         kill_after), daemon=True)
            child.start()
            child.join(timeout)
            if child.is_alive():
                child.kill()
            moved, half = _inspect(registry, plan, before)
            finished = registry.migrate(plan, OPERATOR, batch_size=batch_size)
        finally:
            undeploy()
    finally:
        store.close()
    return KilledMigration(child.exitcode, len(plan.moves), moved, half, finished)


def _inspect(registry: Registry, plan: MigrationPlan, before: dict[str, Application]
             ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    moved, half = [], []
    for move in plan.moves:
        app = registry.application(move.application_id)
        last = registry.history(app.id)[-1]
        untouched = app == before[app.id] and last.event != MIGRATE
        whole = (app.definition_revision == plan.to_revision
                 and app.version == before[app.id].version + 1 and last.event == MIGRATE
                 and last.data["migration"] == [plan.id])
        if whole:
            moved.append(app.id)
        elif not untouched:
            half.append(app.id)
    return tuple(moved), tuple(half)


def _child(url: str, plan_json: str, batch_size: int, kill_after: int) -> None:
    """Run the plan and die after ``kill_after`` applications, in the middle of a batch."""
    registry, _store = sql_registry(url, FakeClock(START))
    redeclare(redeclared(with_hold(DEFINITIONS[BusinessType.REGISTRATION])))
    count = [0]

    def dying(_application_id: str) -> None:
        count[0] += 1
        if count[0] > kill_after:  # the next application's move is in the batch, uncommitted
            os._exit(KILLED)

    migrations.apply(registry.services, MigrationPlan.from_json(plan_json), OPERATOR,
                     batch_size=batch_size, on_move=dying)
    os._exit(0)  # the plan was shorter than kill_after
