"""流程迁移 — moving in-flight applications to a new revision of their state machine.

An application keeps the state machine it was created under (:mod:`mdreg.service.pinning`).
When a deployment changes a business type's definition — a state added, an event renamed or
removed — the applications still in flight are moved deliberately:

1. :func:`plan` lists every in-flight application of the type that is not on the target
   revision, with the state it will be in: the same state when the target has it, else the
   state ``mapping`` names; an application with neither is *unmapped* and the plan is refused.
2. :func:`apply` moves the planned applications in batches, one transaction per batch, each
   application re-read under its physician's hold and moved only if it is still as planned.
   The move is recorded in its history as a ``migrate`` event by the named actor. Running it
   again after a crash finishes the rest: moved applications are counted as done, not moved
   twice.
3. :func:`revert` moves them back, as long as nothing happened to them since.

Deadlines keep running across a migration (a migration changes the machine, not the law's
time limits), and a migration evaluates no rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from mdreg.domain.application import Actor, Application
from mdreg.errors import MdregError, MigrationRefused, ValidationError, WorkflowDefinitionError
from mdreg.infra.serialization import structure, unstructure
from mdreg.ports import UnitOfWork
from mdreg.service import pinning, records
from mdreg.service.services import Services, append_audit, read, transact
from mdreg.workflows import DECLARATIONS, WorkflowDefinition

#: The audit event a migration (and its reversal) records.
MIGRATE = "migrate"
_PAGE = 500


@attrs.frozen
class Move:
    """One application's planned move: from its revision and state to the target's
    ``to_state`` (``None``: the target has no place for it)."""

    application_id: str
    physician_id: str
    version: int
    from_revision: str
    from_state: str
    to_state: str | None


@attrs.frozen
class MigrationPlan:
    """Every in-flight application of one business type not on ``to_revision``, and where
    each goes. ``id`` names the plan by its content: the same plan gets the same id.

    >>> plan = MigrationPlan("registration", "registration@0123456789abcdef", {}, ())
    >>> plan.ready, plan.id.startswith("M-")
    (True, True)
    """

    business: str
    to_revision: str
    mapping: Mapping[str, str]
    moves: tuple[Move, ...]

    @property
    def id(self) -> str:
        canonical = json.dumps(unstructure(self), sort_keys=True, ensure_ascii=False)
        return f"M-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"

    @property
    def unmapped(self) -> tuple[Move, ...]:
        """The moves the target has no state for."""
        return tuple(m for m in self.moves if m.to_state is None)

    @property
    def ready(self) -> bool:
        """Whether every move has a target state."""
        return not self.unmapped

    def to_json(self) -> str:
        """The plan as JSON (``mdreg migrate plan --out``), read back by :meth:`from_json`."""
        return json.dumps({"id": self.id, **unstructure(self)}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> MigrationPlan:
        """The plan :meth:`to_json` wrote.

        Raises:
            ValidationError: not such a plan, or altered (its id does not match its content).
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("a plan is a JSON object")
            plan = structure({k: v for k, v in data.items() if k != "id"}, cls)
        except (ValueError, TypeError, KeyError, MdregError) as error:
            raise ValidationError("plan", "not a migration plan", field_label="迁移计划"
                                  ) from error
        if data.get("id") != plan.id:
            raise ValidationError("plan", "the plan was altered: its id does not match its "
                                  "content", field_label="迁移计划")
        return plan


@attrs.frozen
class MigrationReport:
    """What :func:`apply` or :func:`revert` did with a plan.

    Attributes:
        moved: applications moved now.
        done: applications already where the plan puts them (an earlier, interrupted run).
        skipped: applications left alone, each with why (changed since the plan).
    """

    plan_id: str
    moved: tuple[str, ...]
    done: tuple[str, ...]
    skipped: Mapping[str, str]


def target_definition(services: Services, to: WorkflowDefinition | str) -> WorkflowDefinition:
    """The definition ``to`` names: itself (published now), a published revision, or a business
    type id (its currently declared definition).

    Raises:
        WorkflowDefinitionError: an unknown revision or business type.
    """
    if isinstance(to, WorkflowDefinition):
        definition = to
    elif "@" in to:
        definition = read(services, lambda uow: pinning.pinned(uow, to).definition)
    else:
        found = [d.definition for d in DECLARATIONS.values() if d.definition.id == to]
        if not found:
            raise WorkflowDefinitionError(f"no business type {to!r} is declared")
        definition = found[0]
    records.publish_definition(services, definition)
    return definition


def plan(services: Services, to: WorkflowDefinition | str,
         mapping: Mapping[str, str] | None = None) -> MigrationPlan:
    """Plan moving every in-flight application of ``to``'s business type to it; see the
    module. ``mapping``: old state id → target state id, for states the target lacks.

    Raises:
        ValidationError: ``mapping`` names a state the target does not have.
        WorkflowDefinitionError: ``to`` is unknown.
    """
    target = target_definition(services, to)
    mapping = dict(mapping or {})
    wrong = sorted(set(mapping.values()) - set(target.state_ids))
    if wrong:
        raise ValidationError("mapping", f"the target has no state {', '.join(wrong)}",
                              field_label="状态对应")
    revision = records.definition_revision(target)
    moves: list[Move] = []
    for app, pinned_to in _in_flight(services, target.id):
        if app.definition_revision == revision:
            continue
        to_state = mapping.get(app.state) or (app.state if app.state in target.state_ids
                                              else None)
        moves.append(Move(app.id, app.physician_id, app.version, pinned_to, app.state,
                          to_state))
    return MigrationPlan(target.id, revision, mapping, tuple(moves))


def _in_flight(services: Services, business: str) -> Iterator[tuple[Application, str]]:
    """Every application of ``business`` not in a final state of its own machine, with the
    revision it is pinned to."""
    after = ""
    while True:
        page = read(services, functools.partial(_pinned_page, business=business, after=after))
        if not page:
            return
        for app, revision, final in page:
            if not final:
                yield app, revision
        after = page[-1][0].id


def _pinned_page(uow: UnitOfWork, *, business: str, after: str
                 ) -> list[tuple[Application, str, bool]]:
    page = []
    for app in uow.applications.of_type(business, after=after, limit=_PAGE):
        definition = pinning.engine(uow, app).definition
        page.append((app, records.definition_revision(definition),
                     app.state in definition.final_states))
    return page


def apply(services: Services, migration: MigrationPlan, actor: Actor, *, batch_size: int = 100,
          progress: Callable[[int], None] | None = None,
          on_move: Callable[[str], None] | None = None) -> MigrationReport:
    """Move the planned applications to the target revision; see the module. ``progress`` is
    called with the number of applications handled after each batch; ``on_move`` with each
    application's id after it is moved, inside its batch's transaction (an observer: what it
    raises rolls the batch back).

    Raises:
        MigrationRefused: the plan has unmapped applications.
    """
    if not migration.ready:
        raise MigrationRefused(migration.id, {m.application_id: m.from_state
                                              for m in migration.unmapped})
    target = target_definition(services, migration.to_revision)

    def step(uow: UnitOfWork, move: Move, now: datetime) -> str:
        outcome = _forward(uow, migration, target, move, actor, now)
        if outcome == "moved" and on_move is not None:
            on_move(move.application_id)
        return outcome

    return _run(services, migration, actor, batch_size, progress, step)


def revert(services: Services, migration: MigrationPlan, actor: Actor, *, batch_size: int = 100,
           progress: Callable[[int], None] | None = None) -> MigrationReport:
    """Move the applications ``migration`` moved back to their revision and state, unless
    something happened to them since."""
    return _run(services, migration, actor, batch_size, progress,
                lambda uow, move, now: _backward(uow, migration, move, actor, now))


Step = Callable[[UnitOfWork, Move, datetime], str]


def _run(services: Services, migration: MigrationPlan, actor: Actor, batch_size: int,
         progress: Callable[[int], None] | None, step: Step) -> MigrationReport:
    if not 1 <= batch_size <= 10_000:
        raise ValidationError("batch_size", "a batch holds 1 to 10000 applications",
                              field_label="批次大小")
    outcomes: dict[str, str] = {}
    moves = migration.moves
    for start in range(0, len(moves), batch_size):
        batch = moves[start:start + batch_size]
        outcomes.update(transact(services, _batch(batch, step, services.now())))
        if progress is not None:
            progress(min(start + batch_size, len(moves)))
    return MigrationReport(
        migration.id,
        moved=tuple(a for a, outcome in outcomes.items() if outcome == "moved"),
        done=tuple(a for a, outcome in outcomes.items() if outcome == "done"),
        skipped={a: outcome for a, outcome in outcomes.items()
                 if outcome not in ("moved", "done")})


def _batch(batch: Sequence[Move], step: Step, now: datetime
           ) -> Callable[[UnitOfWork], dict[str, str]]:
    """One batch's unit of work: each application under its physician's hold, in one lock
    order for every run."""

    def run(uow: UnitOfWork) -> dict[str, str]:
        outcomes = {}
        for move in sorted(batch, key=lambda m: (m.physician_id, m.application_id)):
            uow.hold_physician(move.physician_id)
            outcomes[move.application_id] = step(uow, move, now)
        return outcomes

    return run


def _forward(uow: UnitOfWork, migration: MigrationPlan, target: WorkflowDefinition, move: Move,
             actor: Actor, now: datetime) -> str:
    app = uow.applications.get(move.application_id)
    if app is None:
        return "no longer stored"
    if app.definition_revision == migration.to_revision:
        return "done"
    pinned_to = records.definition_revision(pinning.engine(uow, app).definition)
    if (app.version, app.state, pinned_to) != (move.version, move.from_state,
                                               move.from_revision):
        return f"changed since the plan (now {app.state}, version {app.version})"
    _move(uow, app, move.to_state or move.from_state, migration.to_revision, actor, now, migration,
          move.from_revision, reverted=False)
    return "moved"


def _backward(uow: UnitOfWork, migration: MigrationPlan, move: Move, actor: Actor,
              now: datetime) -> str:
    app = uow.applications.get(move.application_id)
    if app is None:
        return "no longer stored"
    pinned_to = records.definition_revision(pinning.engine(uow, app).definition)
    if (pinned_to, app.state) == (move.from_revision, move.from_state):
        return "done"
    last = uow.audit.for_aggregate(app.id)[-1]
    if last.event != MIGRATE or last.data.get("migration") != [migration.id] or last.data.get(
            "reverted"):
        return f"changed since the migration (last event {last.event})"
    _move(uow, app, move.from_state, move.from_revision, actor, now, migration,
          app.definition_revision, reverted=True)
    return "moved"


def _move(uow: UnitOfWork, app: Application, state: str, revision: str, actor: Actor,
          now: datetime, migration: MigrationPlan, from_revision: str, *, reverted: bool) -> None:
    moved = attrs.evolve(app, state=state, definition_revision=revision,
                         version=app.version + 1, updated_at=now)
    uow.applications.save(moved, app.version)
    data: dict[str, Any] = {"migration": [migration.id], "from_revision": [from_revision],
                            "to_revision": [revision]}
    if reverted:
        data["reverted"] = ["true"]
    append_audit(uow, app.id, MIGRATE, app.state, state, actor, now,
                 reason=f"{'revert ' if reverted else ''}migration {migration.id}", data=data)
