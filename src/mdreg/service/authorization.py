"""办理权限 — who may act on an application."""

from __future__ import annotations

from mdreg.domain.application import Actor as ActorT
from mdreg.domain.application import ActorKind, Application
from mdreg.errors import PermissionDenied
from mdreg.workflows.base import EventSpec, Role


def authorize(actor: ActorT, application: Application, event: EventSpec) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may fire ``event`` on ``application``.

    Only the applicant submits, resubmits, supplements and withdraws; only the routed institution
    confirms or sends back; only the deciding department accepts, asks for corrections and decides.
    """
    if event.by is Role.APPLICANT:
        ok = actor == application.applicant
        why = "only the applicant may do this"
    elif event.by is Role.INSTITUTION:
        ok = actor.kind is ActorKind.INSTITUTION and actor.party_id == application.institution_id
        why = "only the institution the application is routed to may do this"
    elif event.by is Role.AUTHORITY:
        ok = actor.kind is ActorKind.AUTHORITY and actor.party_id == application.department_id
        why = "only the deciding health department may do this"
    else:
        ok = actor.kind is ActorKind.SYSTEM
        why = "only the system may do this"
    if not ok:
        raise PermissionDenied(str(actor), f"{event.id} application {application.id}", why)
