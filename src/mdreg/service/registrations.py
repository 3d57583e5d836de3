"""注册的注销、撤销与备案 — what happens to a registration without an application: ex-officio
cancellation, revocation (撤销), a reported departure (备案) and the two-year expiry of 备案."""

from __future__ import annotations

from collections.abc import Callable
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
from mdreg.domain.model import Record, RecordKind, Registration, RegistrationStatus
from mdreg.errors import PermissionDenied, TransitionNotAllowed, ValidationError
from mdreg.ports import UnitOfWork
from mdreg.service.announcements import announce
from mdreg.service.deadlines import DeadlineKeeper
from mdreg.service.services import Services, append_audit, in_transaction, require
from mdreg.workflows.effects import ENDABLE, Effect


def cancel_ex_officio(services: Services, actor: Actor, registration_id: str,
                      ground: CancellationGround, reason: str, ground_on: date | None = None
                      ) -> tuple[Registration, ...]:
    """依职权注销 (医师法 Art 17); see :meth:`mdreg.Registry.cancel_ex_officio`."""

    def cancel(effect: Effect, registration: Registration) -> dict[str, list[str]]:
        effect.cancel(registration.physician_id, registration.id, ground in PERSON_WIDE_GROUNDS)
        effect.record_ground(registration.physician_id, ground, ground_on or effect.on)
        return {"ground": [ground.value]}

    return _ex_officio(services, actor, registration_id, reason, "cancel_ex_officio",
                       RegistrationStatus.CANCELLED, cancel)


def revoke(services: Services, actor: Actor, registration_id: str, reason: str) -> Registration:
    """撤销 (医师法 Art 54 para 2; 行政许可法 Art 69 para 2); see :meth:`mdreg.Registry.revoke`."""

    def rescind(effect: Effect, registration: Registration) -> dict[str, list[str]]:
        effect.end_registration(registration, RegistrationStatus.REVOKED)
        effect.add_record(registration.physician_id,
                          Record(RecordKind.REGISTRATION_REVOKED, effect.on))
        return {}

    ended = _ex_officio(services, actor, registration_id, reason, "revoke",
                        RegistrationStatus.REVOKED, rescind)
    return next(r for r in ended if r.id == registration_id)


def _ex_officio(services: Services, actor: Actor, registration_id: str, reason: str,
                command: str, to: RegistrationStatus,
                act: Callable[[Effect, Registration], dict[str, list[str]]]
                ) -> tuple[Registration, ...]:
    """A decision the granting department takes on its own authority, with a written reason,
    on a valid or filed registration: ``act`` ends what it ends; the deadlines of what ended
    end, the outcome is announced and audited on the registration's trail. Returns the
    physician's registrations it ended."""

    def run() -> tuple[Registration, ...]:
        with services.uow() as uow:
            registration = _held_registration(uow, registration_id)
            if actor.kind is not ActorKind.AUTHORITY or actor.party_id != registration.approved_by:
                raise PermissionDenied(str(actor), f"{command} {registration_id}",
                                       "only the department that granted the registration")
            if not reason.strip():
                raise ValidationError("reason", f"{command} needs a written reason",
                                      field_label="理由")
            if registration.status not in ENDABLE:
                raise TransitionNotAllowed("registration", registration.status.value, command)
            now = services.now()
            effect = Effect(uow, services.ids, business_date(now), services.policy)
            data = act(effect, registration)
            done = effect.done
            DeadlineKeeper(services).end_for(uow, done["ended"], effect.on, command)
            announce(uow, services.ids, now, done["ended"])
            append_audit(uow, registration.id, command, registration.status.value, to.value,
                         actor, now, reason=reason.strip(), policy=services.policy.name,
                         data={**done, **data})
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
