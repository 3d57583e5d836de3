"""公告 — approved registrations and cancellations are announced (医师法 Art 21, R-CAN-7).

mdreg does not publish anything itself: each announcement is an outbox message on the
``announcement`` channel, written in the same unit of work as the decision, for the portal or the
department's website to publish.
"""

from __future__ import annotations

from datetime import datetime

from mdreg.domain.account import Channel, OutboxMessage
from mdreg.domain.model import Registration, RegistrationStatus
from mdreg.ports import UnitOfWork
from mdreg.service.ids import IdGenerator

PUBLIC = "public"


def announce(uow: UnitOfWork, ids: IdGenerator, now: datetime, registration_ids: list[str]) -> None:
    """Announce every registration among ``registration_ids`` that is newly valid, cancelled or
    revoked."""
    for registration_id in registration_ids:
        registration = uow.registrations.get(registration_id)
        if registration is None:
            continue
        template = _template(registration)
        if template:
            uow.outbox.add(OutboxMessage(ids.new("M"), Channel.ANNOUNCEMENT, PUBLIC, template,
                                         _body(uow, registration, template), registration.id, now))


def _template(registration: Registration) -> str:
    if registration.status is RegistrationStatus.VALID:
        return "registration_approved"
    if registration.status is RegistrationStatus.CANCELLED:
        return "registration_cancelled"
    if registration.status is RegistrationStatus.REVOKED:
        return "registration_revoked"
    return ""


def _body(uow: UnitOfWork, registration: Registration, template: str) -> str:
    physician = uow.physicians.get(registration.physician_id)
    institution = uow.institutions.get(registration.primary_institution_id)
    what = {"registration_approved": "准予注册", "registration_revoked": "撤销注册"}.get(
        template, "注销注册")
    return (f"{what}：{physician.name if physician else registration.physician_id}，"
            f"{registration.level.label}，{registration.category.label}类别，"
            f"执业地点{registration.location.code}，"
            f"主要执业机构{institution.name if institution else registration.primary_institution_id}")
