"""Hypothesis state machines that drive a registry through random commands by random actors.

:class:`RegistrationLifecycle` fires random events of the 注册 workflow with random actors and
reasons, using the workflow table as the oracle, and checks after every step that:

* the state is always declared, and final states are absorbing;
* an accepted command moves the version by exactly one and appends exactly one audit event;
* a refused command (any :class:`~mdreg.errors.MdregError`) changes nothing;
* the registry changes only on approval, and never holds two valid registrations of one
  physician at one practice location (nor two for an assistant).

Subclass it and override :meth:`RegistrationLifecycle.open_registry` to run it on another backend.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import mdreg
from mdreg.domain.application import Actor, BusinessType, RegistrationRequest
from mdreg.domain.model import Institution, Level, Physician
from mdreg.errors import MdregError
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
