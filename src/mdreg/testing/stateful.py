"""Hypothesis state machines that drive a registry through random commands by random actors.

:class:`RegistrationLifecycle` fires random events of the 注册 workflow with random actors and
reasons, using the workflow table as the oracle, and checks after every step that:

* the state is always declared, and final states are absorbing;
* an accepted command moves the version by exactly one and appends exactly one audit event;
* a refused command (any :class:`~mdreg.errors.MdregError`) changes nothing;
* the registry changes only on approval, and never holds two valid registrations of one
  physician at one practice location (nor two for an assistant).

Subclass it and override :meth:`RegistrationLifecycle.open_registry` to run it on another backend.

:class:`BackendAgreement` applies the same random commands — load reference data,
apply, fire events with random actors, reopen — to an in-memory registry, a SQLite file and, when
:attr:`BackendAgreement.postgres_url` is set, a PostgreSQL database, each with its own fake clock
and sequential ids. Every command must succeed on all of them with the same result or fail on
all of them with the same error type, and after every step the unstructured applications,
audit trails, registrations and filings must be identical.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

import mdreg
from mdreg.domain.application import (
    Actor,
    BusinessType,
    CancellationGround,
    CancellationRequest,
    Payload,
    RegistrationRequest,
)
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Institution, Level, Physician
from mdreg.errors import MdregError
from mdreg.infra.serialization import unstructure
from mdreg.rules.scope import SCOPES
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.workflows import DEFINITIONS

DEFINITION = DEFINITIONS[BusinessType.REGISTRATION]
FORWARD = ("submit", "confirm", "accept", "approve", "resubmit", "supplement")
RIGHT_ACTOR = {"applicant": "applicant", "institution": "institution", "authority": "department"}
ACTOR_CHOICES = ("applicant", "institution", "department", "other_physician",
                 "other_institution", "other_department")


class RegistrationLifecycle(RuleBasedStateMachine):
    """Random 注册 commands against one registry; the definition table is the oracle."""

    applications = Bundle("applications")

    def __init__(self) -> None:
        super().__init__()
        self.clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC))
        self.registry = self.open_registry()
        world = World(self.registry)
        self.institutions: list[Institution] = [
            world.institution(code) for code in ("110105", "110108", "310104")
        ]
        self.physicians: list[Physician] = [
            world.physician(), world.physician(), world.physician(level=Level.ASSISTANT)
        ]
        self.accepted = Counter[str]()
        self.approvals = 0

    def open_registry(self) -> Registry:
        """The registry under test (in memory by default)."""
        return mdreg.open("memory://", clock=self.clock, ids=mdreg.SequentialIds())

    def _actor(self, app: mdreg.Application, choice: str) -> Actor:
        other_physician = next(p for p in self.physicians if p.id != app.physician_id)
        other_institution = next(i for i in self.institutions if i.id != app.institution_id)
        return {
            "applicant": app.applicant,
            "institution": Actor.institution(app.institution_id),
            "department": Actor.authority(app.department_id),
            "other_physician": Actor.physician(other_physician.id),
            "other_institution": Actor.institution(other_institution.id),
            "other_department": Actor.authority(other_institution.approved_by + "-x"),
        }[choice]

    @rule(target=applications, who=st.integers(0, 2), where=st.integers(0, 2),
          submit=st.booleans())
    def apply(self, who: int, where: int, submit: bool) -> str:
        physician, institution = self.physicians[who], self.institutions[where]
        request = RegistrationRequest(
            institution.id, physician.qualifications[0].certificate_no, ("内科专业",)
        )
        before = self.registry.audit_count()
        try:
            app = self.registry.apply(Actor.physician(physician.id), request, submit=submit)
        except MdregError:
            assert self.registry.audit_count() == before
            return ""
        assert app.state == ("pending_institution" if submit else "draft")
        self.accepted[app.id] += 2 if submit else 1
        return app.id

    @rule(app_id=applications, data=st.data())
    def advance(self, app_id: str, data: st.DataObject) -> None:
        """A well-formed command: an allowed event (forward steps first), the right actor."""
        if not app_id:
            return
        app = self.registry.application(app_id)
        allowed = sorted((e for e in DEFINITION.allowed(app.state)),
                         key=lambda e: FORWARD.index(e.id) if e.id in FORWARD else len(FORWARD))
        if allowed:
            spec = data.draw(st.sampled_from(allowed))
            self._fire(app_id, spec.id, RIGHT_ACTOR[spec.by.value], "材料不全")

    @rule(app_id=applications, event=st.sampled_from(DEFINITION.event_ids),
          who=st.sampled_from(ACTOR_CHOICES), reason=st.sampled_from(["", "材料不全"]))
    def fire_any(self, app_id: str, event: str, who: str, reason: str) -> None:
        """Any event by any actor, with or without a reason."""
        if app_id:
            self._fire(app_id, event, who, reason)

    def _fire(self, app_id: str, event: str, who: str, reason: str) -> None:
        before = self.registry.application(app_id)
        valid_before = self._valid_registrations()
        allowed = {e.id: e.dest for e in DEFINITION.allowed(before.state)}
        try:
            after = self.registry.fire(app_id, event, self._actor(before, who), reason=reason,
                                       corrections=[reason])
        except MdregError:
            assert self.registry.application(app_id) == before
            assert self._valid_registrations() == valid_before
            return
        assert event in allowed
        assert after.state == allowed[event]
        assert after.version == before.version + 1
        self.accepted[app_id] += 1
        if event == "approve":
            self.approvals += 1
        else:
            assert self._valid_registrations() == valid_before

    def _valid_registrations(self) -> list[mdreg.Registration]:
        return [r for p in self.physicians for r in self.registry.registrations(p.id) if r.is_valid]

    @invariant()
    def audit_matches_accepted_commands(self) -> None:
        assert self.registry.audit_count() == sum(self.accepted.values())
        for app_id, count in self.accepted.items():
            app = self.registry.application(app_id)
            assert app.version == count == len(self.registry.history(app_id))
            assert app.state in DEFINITION.state_ids

    @invariant()
    def registry_changes_only_on_approval(self) -> None:
        registrations = [r for p in self.physicians for r in self.registry.registrations(p.id)]
        assert len(registrations) == self.approvals
        for physician in self.physicians:
            valid = [r for r in registrations if r.physician_id == physician.id and r.is_valid]
            assert len({r.location for r in valid}) == len(valid)
            assert sum(r.level is Level.ASSISTANT for r in valid) <= 1


# -- the same commands on every backend ------------------------------------------------------------

AGREEMENT_START = datetime(2026, 3, 2, 1, tzinfo=UTC)
AGREEMENT_CODES = ("110105", "110108", "310104")
AGREEMENT_ACTORS = ("applicant", "institution", "department", "system", "stranger")


class AlignedIds(SequentialIds):
    """Sequential ids that can skip ahead: a command refused at a write on one backend and at
    the commit on another may have drawn a different number of ids before failing."""

    @property
    def issued(self) -> int:
        return self._n

    def skip_to(self, issued: int) -> None:
        self._n = max(self._n, issued)


class _Backend:
    """One registry under comparison, with its clock, ids and reference-data builder."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url
        self.clock = FakeClock(AGREEMENT_START)
        self.ids = AlignedIds()
        self.registry = mdreg.open(url, clock=self.clock, ids=self.ids)
        self.world = World(self.registry)

    def reopen(self) -> None:
        """A new registry on the same store (for SQL, new connections; memory keeps its store)."""
        if self.url != "memory://":
            self.registry = mdreg.open(self.url, clock=self.clock, ids=self.ids, migrate=False)
            self.world.registry = self.registry


Outcome = tuple[str, Any]


class BackendAgreement(RuleBasedStateMachine):
    """Random commands applied to every available backend; all must agree.

    Set :attr:`postgres_url` (in a subclass) to include PostgreSQL: an empty, migrated database
    whose mdreg tables the machine truncates before each example.
    """

    postgres_url: ClassVar[str | None] = None
    apps = Bundle("agreed_applications")

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        urls = {"memory": "memory://", "sqlite": f"sqlite:///{Path(self._tmp.name) / 'mdreg.db'}"}
        if self.postgres_url:
            truncate(self.postgres_url)
            urls["postgresql"] = self.postgres_url
        self.backends = [_Backend(name, url) for name, url in urls.items()]
        self.physicians: list[str] = []
        self.institutions: list[Institution] = []
        self.app_ids: list[str] = []

    def teardown(self) -> None:
        self.backends = []
        self._tmp.cleanup()

    # -- applying one command everywhere ---------------------------------------------------------

    def _everywhere(self, command: Callable[[_Backend], Any]) -> Any:
        """Run ``command`` on every backend; the outcomes must agree. Returns the first result
        (``None`` when the command was refused everywhere)."""
        outcomes: list[Outcome] = []
        results: list[Any] = []
        for backend in self.backends:
            try:
                result = command(backend)
            except MdregError as error:
                outcomes.append(("refused", type(error).__name__))
                results.append(None)
            else:
                outcomes.append(("ok", unstructure(result)))
                results.append(result)
        issued = max(b.ids.issued for b in self.backends)
        for backend in self.backends:
            backend.ids.skip_to(issued)
        first = outcomes[0]
        for backend, outcome in zip(self.backends, outcomes, strict=True):
            assert outcome == first, (backend.name, outcome, self.backends[0].name, first)
        return results[0]

    @initialize(extra=st.integers(0, 2))
    def reference_data(self, extra: int) -> None:
        """Departments, institutions in three counties, and physicians (one an assistant)."""
        for code in AGREEMENT_CODES:
            self.institutions.append(self._everywhere(_institution_in(code)))
        for n in range(2 + extra):
            self.load_physician(Level.ASSISTANT if n == 1 else Level.PHYSICIAN)

    @rule(level=st.sampled_from(list(Level)))
    def load_physician(self, level: Level) -> None:
        """Reference data arrives while applications are under way."""
        self.physicians.append(self._everywhere(_physician_of(level)).id)

    # -- applications ---------------------------------------------------------------------------------

    def _apply(self, who: int, payload_of: Callable[[_Backend, str], Payload], submit: bool,
               by_institution: bool, drive: int = 0) -> str | None:
        physician_id = self.physicians[who % len(self.physicians)]

        def command(backend: _Backend) -> Any:
            payload = payload_of(backend, physician_id)
            actor = Actor.physician(physician_id)
            if by_institution:
                institution = getattr(payload, "institution_id", "") or self.institutions[0].id
                actor = Actor.institution(institution)
            return backend.registry.apply(actor, payload, physician_id=physician_id,
                                          submit=submit)

        app = self._everywhere(command)
        if app is None:
            return None
        if app.id not in self.app_ids:
            self.app_ids.append(app.id)
        self.advance(app.id, 0, drive)
        return str(app.id)

    @rule(target=apps, who=st.integers(0, 63), where=st.integers(0, 2), scope=st.integers(0, 3),
          submit=st.booleans(), by_institution=st.booleans(), drive=st.integers(0, 4))
    def apply_registration(self, who: int, where: int, scope: int, submit: bool,
                           by_institution: bool, drive: int) -> str:
        institution = self.institutions[where]

        def payload(backend: _Backend, physician_id: str) -> Payload:
            physician = backend.registry.physician(physician_id)
            held = physician.qualifications[0]
            scopes = SCOPES[held.category]
            return RegistrationRequest(institution.id, held.certificate_no,
                                       (scopes[scope % len(scopes)],))

        return self._apply(who, payload, submit, by_institution, drive) or ""

    @rule(target=apps, who=st.integers(0, 63), ground=st.sampled_from(list(CancellationGround)),
          days=st.integers(-2, 40), submit=st.booleans(), drive=st.integers(0, 4))
    def apply_cancellation(self, who: int, ground: CancellationGround, days: int,
                           submit: bool, drive: int) -> str:
        def payload(backend: _Backend, physician_id: str) -> Payload:
            held = backend.registry.registrations(physician_id)
            registration_id = held[0].id if held else "R-none"
            known = backend.clock.now().date() - timedelta(days=days)
            return CancellationRequest(registration_id, ground, known, "具体情形")

        return self._apply(who, payload, submit, False, drive) or ""

    def _actor(self, backend: _Backend, app_id: str, who: str) -> Actor:
        app = backend.registry.application(app_id)
        return {
            "applicant": app.applicant,
            "institution": Actor.institution(app.institution_id),
            "department": Actor.authority(app.department_id),
            "system": Actor.system(),
            "stranger": Actor.institution(self.institutions[-1].id),
        }[who]

    @rule(app_id=apps, event=st.integers(0, 31), who=st.sampled_from(AGREEMENT_ACTORS),
          reason=st.sampled_from(["", "材料不全"]))
    def fire(self, app_id: str, event: int, who: str, reason: str) -> None:
        """Any event of the application's workflow, by any actor, with or without a reason."""
        if not app_id:
            return

        def command(backend: _Backend) -> Any:
            app = backend.registry.application(app_id)
            events = DEFINITIONS[app.type].event_ids
            return backend.registry.fire(app_id, events[event % len(events)],
                                         self._actor(backend, app_id, who), reason=reason,
                                         corrections=[reason])

        self._everywhere(command)

    @rule(app_id=apps, choice=st.integers(0, 9), steps=st.integers(1, 4))
    def advance(self, app_id: str, choice: int, steps: int) -> None:
        """Up to ``steps`` allowed events, each by the party it belongs to; forward ones
        (submit, confirm, accept, approve …) first, so applications reach decisions."""
        if not app_id or not steps:
            return

        def command(backend: _Backend) -> Any:
            app = backend.registry.application(app_id)
            allowed = sorted(DEFINITIONS[app.type].allowed(app.state),
                             key=lambda e: FORWARD.index(e.id) if e.id in FORWARD else len(FORWARD))
            if not allowed:
                return app
            spec = allowed[0 if choice < 7 else choice % len(allowed)]
            party = {"applicant": "applicant", "institution": "institution",
                     "authority": "department", "system": "system"}[spec.by.value]
            return backend.registry.fire(app_id, spec.id, self._actor(backend, app_id, party),
                                         reason="材料不全", corrections=["照片"])

        for _ in range(steps):
            if self._everywhere(command) is None:
                return

    @rule(days=st.integers(1, 60))
    def time_passes(self, days: int) -> None:
        for backend in self.backends:
            backend.clock.advance(days=days)

    @rule()
    def reopen(self) -> None:
        """Every SQL registry is opened again on its database."""
        for backend in self.backends:
            backend.reopen()

    # -- agreement ------------------------------------------------------------------------------------

    def _snapshot(self, backend: _Backend) -> Any:
        registry = backend.registry
        return {
            "applications": [unstructure(registry.application(a)) for a in self.app_ids],
            "trails": [unstructure(registry.history(a)) for a in self.app_ids],
            "registrations": [unstructure(registry.registrations(p)) for p in self.physicians],
            "filings": [unstructure(registry.filings(p)) for p in self.physicians],
            "registration_trails": [unstructure(registry.trail(r.id)) for p in self.physicians
                                    for r in registry.registrations(p)],
            "audit_events": registry.audit_count(),
            "today": date.isoformat(backend.clock.now().date()),
        }

    @invariant()
    def every_backend_holds_the_same(self) -> None:
        if not self.backends:
            return
        first = self._snapshot(self.backends[0])
        for backend in self.backends[1:]:
            assert self._snapshot(backend) == first, backend.name


def _institution_in(code: str) -> Callable[[_Backend], Institution]:
    return lambda backend: backend.world.institution(code)


def _physician_of(level: Level) -> Callable[[_Backend], Physician]:
    return lambda backend: backend.world.physician(level=level)


def truncate(url: str) -> None:
    """Empty every mdreg table of a migrated database (PostgreSQL or SQLite)."""
    from sqlalchemy import text

    from mdreg.adapters.sql import SqlStore
    from mdreg.adapters.sql.tables import METADATA

    store = SqlStore.connect(url)
    try:
        with store.engine.begin() as conn:
            if store.dialect == "postgresql":
                names = ", ".join(table.name for table in METADATA.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            else:
                for table in reversed(METADATA.sorted_tables):
                    conn.execute(table.delete())
    finally:
        store.close()
