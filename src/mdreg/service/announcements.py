"""公告 — approved registrations, changes and cancellations are announced (医师法 Art 21, R-CAN-7).

mdreg does not publish anything itself: each announcement is an outbox message on the
``announcement`` channel, written in the same unit of work as the decision, for the portal or the
department's website to publish.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from mdreg.domain.account import Channel, OutboxMessage
from mdreg.domain.model import Registration, RegistrationStatus
from mdreg.ports import UnitOfWork
from mdreg.service.ids import IdGenerator

PUBLIC = "public"


def announce(uow: UnitOfWork, ids: IdGenerator, now: datetime, registration_ids: list[str], *,
             changed: Collection[str] = (), decision: str = "") -> None:
    """Announce every registration among ``registration_ids`` that is newly valid, changed,
    cancelled or revoked, saying what was decided: ``decision`` is the decision's name
    (准予变更 …; 准予注册 by default), and a registration in ``changed`` was changed rather than
    granted."""
    for registration_id in registration_ids:
        registration = uow.registrations.get(registration_id)
        if registration is None:
            continue
        template, what = _template(registration, registration_id in changed, decision)
        if template:
            uow.outbox.add(OutboxMessage(ids.new("M"), Channel.ANNOUNCEMENT, PUBLIC, template,
                                         _body(uow, registration, what), registration.id, now))


def _template(registration: Registration, changed: bool, decision: str) -> tuple[str, str]:
    if registration.status is RegistrationStatus.VALID:
        if changed:
            return "registration_changed", decision or "准予变更注册"
        return "registration_approved", decision or "准予注册"
    if registration.status is RegistrationStatus.CANCELLED:
        return "registration_cancelled", "注销注册"
    if registration.status is RegistrationStatus.REVOKED:
        return "registration_revoked", "撤销注册"
    return "", ""


def _body(uow: UnitOfWork, registration: Registration, what: str) -> str:
    physician = uow.physicians.get(registration.physician_id)
    institution = uow.institutions.get(registration.primary_institution_id)
    return (f"{what}：{physician.name if physician else registration.physician_id}，"
            f"{registration.level.label}，{registration.category.label}类别，"
            f"执业地点{registration.location.code}，"
            f"主要执业机构{institution.name if institution else registration.primary_institution_id}")
