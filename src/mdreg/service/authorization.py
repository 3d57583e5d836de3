"""办理权限 — who may act on an application."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mdreg.domain.application import Actor as ActorT
from mdreg.domain.application import ActorKind, Application
from mdreg.errors import PermissionDenied, ValidationError
from mdreg.infra.limits import visible
from mdreg.rules.policy import Policy
from mdreg.workflows import DECLARATIONS
from mdreg.workflows.base import EventSpec, Role, WorkflowDefinition
from mdreg.workflows.declaration import BusinessTypeDeclaration


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


#: The kind of actor that fires an event of each role in the portal workflows (account, personal
#: change), where no application names the parties.
ROLE_KINDS = {
    Role.APPLICANT: ActorKind.PHYSICIAN,
    Role.INSTITUTION: ActorKind.INSTITUTION,
    Role.AUTHORITY: ActorKind.AUTHORITY,
    Role.SYSTEM: ActorKind.SYSTEM,
}


def require_inputs(spec: EventSpec, reason: str, corrections: Sequence[str] = ()) -> None:
    """Raise :class:`ValidationError` unless ``reason`` and ``corrections`` give what the event's
    ``needs_reason`` / ``needs_corrections`` columns ask for: a written reason (退回, 不予受理,
    审核不通过 …), and every correction needed at once (补正, 行政许可法 Art 32)."""
    if spec.needs_reason and not visible(reason):
        raise ValidationError("reason", f"{spec.id} needs a written reason", field_label="理由")
    if spec.needs_corrections and not [c for c in corrections if visible(c)]:
        raise ValidationError("corrections", "list every correction needed at once",
                              field_label="补正事项")


def authorize_kind(actor: ActorT, definition: WorkflowDefinition, event: str,
                   subject: str) -> EventSpec:
    """Raise :class:`PermissionDenied` unless ``actor`` is of the kind the ``by`` column of
    ``definition`` names for ``event``; return the event's row.

    The table is the source of who may fire a portal event (the caller still checks which
    physician or institution, e.g. the routed one) and of what the event needs: pass the row to
    :func:`require_inputs` with the reason given, or none.
    """
    spec = definition.event(event)
    if spec is None or actor.kind is not ROLE_KINDS[spec.by]:
        who = f"a {ROLE_KINDS[spec.by].value}" if spec is not None else "no one"
        raise PermissionDenied(str(actor), f"{event} {definition.id} {subject}",
                               f"only {who} may do this")
    return spec


def authorize_applicant(actor: ActorT, declaration: BusinessTypeDeclaration[Any],
                        physician_id: str, institution_id: str, policy: Policy) -> None:
    """A physician applies for themselves; the routed institution may apply where the business
    type allows it (注册, 注销; 变更 under ``institution_applies_for_change``)."""
    if actor.kind is ActorKind.PHYSICIAN and actor.party_id == physician_id:
        return
    if (actor.kind is ActorKind.INSTITUTION and declaration.institution_applies(policy)
            and actor.party_id == institution_id):
        return
    allowed = " or ".join(d.business.label for d in DECLARATIONS.values()
                          if d.institution_applies(policy))
    raise PermissionDenied(str(actor), f"apply for {declaration.business.value} of physician "
                           f"{physician_id}", f"physicians apply for themselves; an institution "
                           f"only for {allowed} of its own staff")
