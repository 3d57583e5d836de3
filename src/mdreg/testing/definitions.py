"""Changed state machines for tests of pinning and migration: what a deployment might do to a
business type's definition.

>>> from mdreg import BusinessType
>>> from mdreg.workflows import DEFINITIONS
>>> held = with_hold(DEFINITIONS[BusinessType.REGISTRATION])
>>> "on_hold" in held.state_ids, held.event("suspend").sources
(True, ('under_review',))
>>> "returned" in renamed_returned(held).state_ids
False
"""

from __future__ import annotations

from typing import Any

import attrs

from mdreg.domain.application import Actor, Application, BusinessType, RegistrationRequest
from mdreg.testing.builders import World
from mdreg.workflows import BusinessTypeDeclaration, WorkflowDefinition, declaration_for
from mdreg.workflows.base import EventSpec, Role, StateSpec

#: The state :func:`with_hold` adds and the state :func:`renamed_returned` puts for ``returned``.
ON_HOLD, SENT_BACK = "on_hold", "sent_back"


def with_hold(definition: WorkflowDefinition) -> WorkflowDefinition:
    """``definition`` plus 暂停审查: ``suspend`` (under review → on hold, with a reason) and
    ``resume`` (back), both by the authority."""
    return attrs.evolve(
        definition,
        states=(*definition.states, StateSpec(ON_HOLD, "暂停审查")),
        events=(*definition.events,
                EventSpec("suspend", "暂停审查", ("under_review",), ON_HOLD, Role.AUTHORITY,
                          needs_reason=True),
                EventSpec("resume", "恢复审查", (ON_HOLD,), "under_review", Role.AUTHORITY)))


def renamed_returned(definition: WorkflowDefinition) -> WorkflowDefinition:
    """``definition`` with its state ``returned`` renamed ``sent_back`` (退回待修改): an
    application in ``returned`` has no place in it without a mapping."""

    def rename(state: str) -> str:
        return SENT_BACK if state == "returned" else state

    return attrs.evolve(
        definition,
        states=tuple(attrs.evolve(s, id=SENT_BACK, label="退回待修改") if s.id == "returned"
                     else s for s in definition.states),
        events=tuple(attrs.evolve(e, sources=tuple(rename(s) for s in e.sources),
                                  dest=rename(e.dest)) for e in definition.events))


def redeclared(definition: WorkflowDefinition) -> BusinessTypeDeclaration[Any]:
    """The declaration of ``definition``'s business type with ``definition`` as its machine,
    for :func:`mdreg.workflows.redeclare`."""
    return attrs.evolve(declaration_for(BusinessType(definition.id)), definition=definition)


def registrations_in_four_states(world: World) -> dict[str, Application]:
    """注册 applications of four new physicians, by state: submitted
    (``pending_institution``), ``under_review``, ``returned`` and ``approved``."""
    registry = world.registry
    apps = {}
    for state in ("pending_institution", "under_review", "returned", "approved"):
        physician = world.physician()
        app = registry.apply(Actor.physician(physician.id), RegistrationRequest(
            world.institution("110105").id, physician.qualifications[0].certificate_no,
            ("内科专业",)))
        institution, department = (Actor.institution(app.institution_id),
                                   Actor.authority(app.department_id))
        if state == "returned":
            app = registry.fire(app.id, "send_back", institution, reason="照片不清晰")
        elif state != "pending_institution":
            registry.fire(app.id, "confirm", institution)
            app = registry.fire(app.id, "accept", department)
            if state == "approved":
                app = registry.fire(app.id, "approve", department)
        apps[state] = app
    return apps
