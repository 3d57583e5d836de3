"""注册的注销与备案 — what happens to a registration without an application: ex-officio
cancellation, a reported departure (备案) and the two-year expiry of 备案."""

from __future__ import annotations

from datetime import date

import attrs

from mdreg.domain.application import (
    PERSON_WIDE_GROUNDS,
    Actor,
    ActorKind,
    CancellationGround,
    DepartureKind,
)
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import filed_expired, filed_expiry_cutoff
from mdreg.domain.model import Registration, RegistrationStatus
from mdreg.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from mdreg.ports import UnitOfWork
from mdreg.service.announcements import announce
from mdreg.service.deadlines import DeadlineKeeper
from mdreg.service.services import Services, append_audit, in_transaction, require
from mdreg.workflows.effects import Effect


def cancel_ex_officio(services: Services, actor: Actor, registration_id: str,
                      ground: CancellationGround, reason: str, ground_on: date | None = None
                      ) -> tuple[Registration, ...]:
    """依职权注销 (医师法 Art 17); see :meth:`mdreg.Registry.cancel_ex_officio`."""

    def run() -> tuple[Registration, ...]:
        with services.uow() as uow:
            registration = _held_registration(uow, registration_id)
            if actor.kind is not ActorKind.AUTHORITY or actor.party_id != registration.approved_by:
                raise PermissionDenied(str(actor), f"cancel {registration_id}",
                                       "only the department that granted the registration")
            if not reason.strip():
                raise ValidationError("reason", "ex-officio cancellation needs a written reason",
                                      field_label="理由")
            if registration.status not in (RegistrationStatus.VALID, RegistrationStatus.FILED):
                raise TransitionNotAllowed("registration", registration.status.value,
                                           "cancel_ex_officio")
            now = services.now()
            effect = Effect(uow, services.ids, business_date(now), services.policy)
            effect.cancel(registration.physician_id, registration.id,
                          ground in PERSON_WIDE_GROUNDS)
            effect.record_ground(registration.physician_id, ground,
                                 ground_on or business_date(now))
            done = effect.done
            DeadlineKeeper(services).end_for(uow, done["ended"], business_date(now),
                                             "cancel_ex_officio")
            announce(uow, services.ids, now, done["ended"])
            append_audit(uow, registration.id, "cancel_ex_officio", registration.status.value,
                         RegistrationStatus.CANCELLED.value, actor, now, reason=reason.strip(),
                         policy=services.policy.name, data={**done, "ground": [ground.value]})
            uow.commit()
            return tuple(r for r in uow.registrations.for_physician(registration.physician_id)
                         if r.id in done["ended"])

    return in_transaction(services, run)


def report_departure(services: Services, actor: Actor, registration_id: str, kind: DepartureKind,
                     on: date) -> Registration:
    """调离/退休/退职/辞退 → 备案; see :meth:`mdreg.Registry.report_departure`."""

    def run() -> Registration:
        with services.uow() as uow:
            registration = _held_registration(uow, registration_id)
            if (actor.kind is not ActorKind.INSTITUTION
                    or actor.party_id != registration.primary_institution_id):
                raise PermissionDenied(str(actor), f"report departure for {registration_id}",
                                       "only the primary institution")
            if not registration.is_valid:
                raise TransitionNotAllowed("registration", registration.status.value,
                                           "report_departure")
            filed = attrs.evolve(registration, status=RegistrationStatus.FILED, filed_on=on)
            uow.registrations.put(filed)
            effect = Effect(uow, services.ids, on, services.policy)
            effect.end_filings(effect.active_filings(registration.id, registration.physician_id))
            effect.end_legacy(effect.active_legacy(registration.id, registration.physician_id))
            done = effect.done
            DeadlineKeeper(services).on_departure(uow, filed, services.now())
            append_audit(uow, registration.id, "report_departure", "valid", "filed", actor,
                         services.now(), reason=kind.label, policy=services.policy.name,
                         data={**done, "kind": [kind.value], "on": [on.isoformat()]})
            uow.commit()
            return filed

    return in_transaction(services, run)


def expire_filed(services: Services, as_of: date) -> tuple[str, ...]:
    """Cancel registrations two years in 备案 as of ``as_of`` unless practice was renewed (then
    superseded or kept, R-CAN-6); the cancelled ones' ids. See
    :meth:`mdreg.Registry.expire_filed`."""

    def run() -> tuple[str, ...]:
        with services.uow() as uow:
            parameters = services.policy.parameters
            keeper = DeadlineKeeper(services)
            ended: list[str] = []
            for registration in uow.registrations.filed_since(filed_expiry_cutoff(as_of,
                                                                                  parameters)):
                if registration.filed_on is None or not filed_expired(registration.filed_on,
                                                                      as_of, parameters):
                    continue
                if uow.hold_physician(registration.physician_id):
                    registration = _registration(uow, registration.id)
                    if registration.filed_on is None or not filed_expired(
                            registration.filed_on, as_of, parameters):
                        continue
                if keeper.expire(uow, registration, as_of, services.now(), "expire_filed"):
                    ended.append(registration.id)
            uow.commit()
            return tuple(ended)

    return in_transaction(services, run)


def _registration(uow: UnitOfWork, registration_id: str) -> Registration:
    return require(uow.registrations.get(registration_id), "registration", registration_id)


def _held_registration(uow: UnitOfWork, registration_id: str) -> Registration:
    """The registration, read again once the unit holds its physician (the command reads the
    physician's other rows)."""
    registration = _registration(uow, registration_id)
    if uow.hold_physician(registration.physician_id):
        registration = _registration(uow, registration_id)
    return registration
