"""Deployments while applications are in flight, as a Hypothesis state machine.

New state machines of 注册 (a state added, a state renamed, both, and back) and new policy
revisions are deployed at random between applications and their events. After every step:
each application behaves as the machine it is pinned to says (an event that machine does not
allow is refused; one it allows moves to its destination or is refused by a rule); a migration
plan equals a brute-force recomputation from the model; a migration interrupted in the middle
of a batch leaves whole batches moved and nothing half-moved; every stored application is where
the model says, under the revision the model says. Memory and SQLite always; PostgreSQL with
``MDREG_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import mdreg
from mdreg import Actor, BusinessType, SequentialIds
from mdreg.adapters.sql import migrate as migrate_schema
from mdreg.errors import IneligibleError, MigrationRefused, TransitionNotAllowed
from mdreg.service.records import definition_revision, revision
from mdreg.testing import World
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.definitions import ON_HOLD, SENT_BACK, redeclared, renamed_returned, with_hold
from mdreg.testing.stateful import truncate
from mdreg.workflows import BASE_POLICY, DEFINITIONS, WorkflowDefinition, redeclare
from mdreg.workflows.base import Role

OLD = DEFINITIONS[BusinessType.REGISTRATION]
VARIANTS = (OLD, with_hold(OLD), renamed_returned(OLD), renamed_returned(with_hold(OLD)))
BY_REVISION = {definition_revision(d): d for d in VARIANTS}
EVENTS = sorted({e.id for d in VARIANTS for e in d.events})
#: Places for the states some variants lack.
MAPPING = {"returned": SENT_BACK, SENT_BACK: "returned", ON_HOLD: "under_review"}
SETTINGS = settings(max_examples=int(os.environ.get("MDREG_MIGRATION_EXAMPLES", "50")),
                    stateful_step_count=50, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


#: What the runs exercised, added up over every example (the test checks each happened).
SEEN: Counter[str] = Counter()


class PowerCut(Exception):
    """Raised in the middle of a migration batch."""


class Deployments(RuleBasedStateMachine):
    url = "memory://"
    apps = Bundle("apps")

    def __init__(self) -> None:
        super().__init__()
        if self.url.startswith("postgresql"):
            truncate(self.url)
        self.undo: list[Callable[[], None]] = []
        self.folder = tempfile.TemporaryDirectory()
        url = self.url.replace("{dir}", self.folder.name)
        self.registry = mdreg.open(url, clock=mdreg.FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC)),
                                   ids=SequentialIds())  # the same run every time
        self.world = World(self.registry)
        self.current: WorkflowDefinition = OLD
        self.model: dict[str, tuple[str, str]] = {}  # application → (definition revision, state)
        self.policies: dict[str, str] = {}  # application → the policy revision it was created under

    def teardown(self) -> None:
        for restore in reversed(self.undo):
            restore()
        self.registry.release()
        self.folder.cleanup()

    @initialize(target=apps)
    def first(self) -> str:
        return self.apply(0)

    @rule(target=apps, depth=st.integers(0, 2))
    def apply(self, depth: int) -> str:
        """A new application, submitted and taken ``depth`` steps on (confirmed, accepted)."""
        physician = self.world.physician()
        app = self.registry.apply(Actor.physician(physician.id), mdreg.RegistrationRequest(
            self.world.institution("110105").id, physician.qualifications[0].certificate_no,
            ("内科专业",)))
        assert app.definition_revision == definition_revision(self.current)
        assert app.policy_revision == revision(self.registry.policy)
        self.model[app.id] = (app.definition_revision, app.state)
        self.policies[app.id] = app.policy_revision
        for event in ("confirm", "accept")[:depth]:
            self.fire(app.id, event)
        return app.id

    @rule(app_id=apps, data=st.data())
    def fire_likely(self, app_id: str, data: st.DataObject) -> None:
        """Events the pinned machine or the deployed one allows, one after another."""
        for _ in range(data.draw(st.integers(1, 3))):
            pinned_to, state = self.model[app_id]
            machines = (BY_REVISION[pinned_to], self.current)
            likely = sorted({e.id for d in machines for e in d.allowed(state)})
            onward = sorted({e.id for d in machines for e in d.allowed(state)
                             if e.dest not in d.final_states})  # mostly, keep it in flight
            if not likely:
                return
            choices = onward if onward and data.draw(st.integers(0, 4)) else likely
            self.fire(app_id, data.draw(st.sampled_from(choices)))

    @rule(app_id=apps, event=st.sampled_from(EVENTS))
    def fire_any(self, app_id: str, event: str) -> None:
        self.fire(app_id, event)

    @rule(app_id=apps, resume=st.booleans())
    def hold(self, app_id: str, resume: bool) -> None:
        """暂停审查 (and 恢复审查), where the application's own machine has it."""
        pinned_to, state = self.model[app_id]
        if "suspend" in BY_REVISION[pinned_to].event_ids and state == "under_review":
            self.fire(app_id, "suspend")
            if resume:
                self.fire(app_id, "resume")

    @rule(app_id=apps, data=st.data())
    def fire_what_only_the_deployed_machine_allows(self, app_id: str,
                                                   data: st.DataObject) -> None:
        pinned_to, state = self.model[app_id]
        pinned = {e.id for e in BY_REVISION[pinned_to].allowed(state)}
        newer = sorted(e.id for e in self.current.allowed(state) if e.id not in pinned)
        if newer:
            self.fire(app_id, data.draw(st.sampled_from(newer)))

    def fire(self, app_id: str, event: str) -> None:
        """Fire ``event`` and check the outcome against the machine the application is pinned
        to."""
        pinned_to, state = self.model[app_id]
        spec = BY_REVISION[pinned_to].event(event)
        app = self.registry.application(app_id)
        role = spec.by if spec else next(d.event(event) for d in VARIANTS if d.event(event)).by
        actor = {Role.APPLICANT: Actor.physician(app.physician_id),
                 Role.INSTITUTION: Actor.institution(app.institution_id),
                 Role.AUTHORITY: Actor.authority(app.department_id)}[role]
        try:
            moved = self.registry.fire(app_id, event, actor, reason="理由", corrections=("照片",))
        except TransitionNotAllowed:
            allowed = spec is not None and state in spec.sources
            assert not allowed or event == "request_correction", (event, state, pinned_to)
            current = self.current.event(event)
            if spec is None and current is not None and state in current.sources:
                SEEN["refused by the pinned machine, allowed by the deployed one"] += 1
            return
        except IneligibleError:
            assert spec is not None and state in spec.sources
            return
        assert spec is not None and state in spec.sources, (event, state, pinned_to)
        assert moved.state == spec.dest
        self.model[app_id] = (pinned_to, moved.state)
        SEEN[f"fired on {'the deployed' if self.current is BY_REVISION[pinned_to] else 'an older'}"
             " machine"] += 1
        if event not in OLD.event_ids:
            SEEN["an event only a new machine has"] += 1

    @rule(variant=st.sampled_from(VARIANTS[::-1]))  # the code's own last: drawn least
    def deploy(self, variant: WorkflowDefinition) -> None:
        self.undo.append(redeclare(redeclared(variant)))
        self.current = variant

    @rule(years=st.integers(1, 4))
    def deploy_policy(self, years: int) -> None:
        self.registry.policy = BASE_POLICY.with_changes("base", filed_expiry_years=years)

    def expected_moves(self, mapping: dict[str, str]) -> set[tuple[str, str, str | None]]:
        """The plan by brute force: every application the model has in flight on another
        revision, and where the target or the mapping puts it."""
        target = definition_revision(self.current)
        found = set()
        for app_id, (pinned_to, state) in self.model.items():
            if pinned_to == target or state in BY_REVISION[pinned_to].final_states:
                continue
            to = mapping.get(state, state if state in self.current.state_ids else None)
            found.add((app_id, state, to))
        return found

    @rule(mapped=st.booleans())
    def migrate(self, mapped: bool) -> None:
        mapping = {old: new for old, new in MAPPING.items()
                   if mapped and old not in self.current.state_ids and new in
                   self.current.state_ids}
        plan = self.registry.plan_migration("registration", mapping)
        assert {(m.application_id, m.from_state, m.to_state) for m in plan.moves} == (
            self.expected_moves(mapping))
        if not plan.ready:
            with pytest.raises(MigrationRefused):
                self.registry.migrate(plan, Actor.system("机器"))
            SEEN["plan refused"] += 1
            return
        SEEN["applications migrated"] += len(plan.moves)
        report = self.registry.migrate(plan, Actor.system("机器"), batch_size=3)
        assert sorted(report.moved) == sorted(m.application_id for m in plan.moves)
        for move in plan.moves:
            self.model[move.application_id] = (plan.to_revision, move.to_state or "")

    @rule(cut_after=st.integers(0, 6), batch=st.integers(1, 4))
    def interrupted_migration(self, cut_after: int, batch: int) -> None:
        mapping = {old: new for old, new in MAPPING.items()
                   if old not in self.current.state_ids and new in self.current.state_ids}
        plan = self.registry.plan_migration("registration", mapping)
        if not plan.ready or len(plan.moves) <= cut_after:
            return
        moved: list[str] = []

        def power_cut(application_id: str) -> None:
            moved.append(application_id)
            if len(moved) > cut_after:
                raise PowerCut

        from mdreg.service.migrations import apply

        with pytest.raises(PowerCut):
            apply(self.registry.services, plan, Actor.system("机器"), batch_size=batch,
                  on_move=power_cut)
        committed = plan.moves[:cut_after // batch * batch]  # the batches before the cut
        SEEN["migrations cut"] += 1
        for move in committed:
            self.model[move.application_id] = (plan.to_revision, move.to_state or "")

    @invariant()
    def applications_are_where_the_model_says(self) -> None:
        for app_id, (pinned_to, state) in self.model.items():
            app = self.registry.application(app_id)
            assert (app.definition_revision, app.state) == (pinned_to, state), app_id
            assert app.policy_revision == self.policies[app_id]


class SqliteDeployments(Deployments):
    url = "sqlite:///{dir}/deployments.db"


@pytest.mark.parametrize("machine", [Deployments, SqliteDeployments], ids=["memory", "sqlite"])
def test_deployments_while_applications_are_in_flight(machine: type[Deployments]) -> None:
    SEEN.clear()
    run_state_machine_as_test(machine, settings=SETTINGS)
    required = {"fired on the deployed machine", "fired on an older machine",
                "refused by the pinned machine, allowed by the deployed one",
                "an event only a new machine has", "applications migrated", "migrations cut"}
    assert required <= set(+SEEN), dict(SEEN)  # (a refused plan: tests/service/test_migrations)


@pytest.mark.postgres
def test_deployments_while_applications_are_in_flight_on_postgres() -> None:
    server = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
    if not server:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with scratch_postgres(server, "mdreg_deploy") as url:
        migrate_schema.upgrade(url)
        machine = type("PostgresDeployments", (Deployments,), {"url": url})
        run_state_machine_as_test(machine, settings=settings(SETTINGS, max_examples=int(
            os.environ.get("MDREG_PG_MIGRATION_EXAMPLES", "10"))))
