"""Effects of approval on the registry, applied in the same unit of work as the transition.

Each effect returns a summary (ids created and ended) that goes into the audit event, so every
registry change is traceable to the decision that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import attrs

from mdreg.domain.application import (
    PERSON_WIDE_GROUNDS,
    Application,
    BusinessType,
    CancellationRequest,
    ChangeRequest,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MultisiteCancelRequest,
    RegistrationRequest,
    UpgradeRequest,
)
from mdreg.domain.model import (
    Filing,
    FilingStatus,
    Level,
    Registration,
    RegistrationStatus,
    practice_location,
)
from mdreg.errors import NotFoundError, ValidationError
from mdreg.ports import UnitOfWork
from mdreg.rules import Policy
from mdreg.service.ids import IdGenerator

Summary = dict[str, list[str]]


@attrs.frozen
class Effect:
    """Everything an effect needs besides the application."""

    uow: UnitOfWork
    ids: IdGenerator
    on: date
    policy: Policy

    def summary(self) -> Summary:
        return {"created": [], "ended": [], "changed": []}

    def end_registration(self, registration: Registration, status: RegistrationStatus,
                         done: Summary) -> None:
        self.uow.registrations.put(attrs.evolve(registration, status=status, ended_on=self.on))
        done["ended"].append(registration.id)
        for filing in self.uow.filings.for_physician(registration.physician_id):
            if filing.registration_id == registration.id and filing.is_active:
                self.end_filing(filing, FilingStatus.INVALID, done)

    def end_filing(self, filing: Filing, status: FilingStatus, done: Summary) -> None:
        self.uow.filings.put(attrs.evolve(filing, status=status, ended_on=self.on))
        done["ended"].append(filing.id)

    def registration(self, registration_id: str) -> Registration:
        found = self.uow.registrations.get(registration_id)
        if found is None:
            raise NotFoundError("registration", registration_id)
        return found


P = TypeVar("P")


def _payload(app: Application, kinds: tuple[type[P], ...]) -> P:
    if not isinstance(app.payload, kinds):
        raise ValidationError("payload", f"{type(app.payload).__name__} does not fit {app.type}",
                              field_label="申请内容")
    return app.payload


def apply_approval(uow: UnitOfWork, app: Application, ids: IdGenerator, on: date,
                   policy: Policy) -> Summary:
    """Change the registry as the approval of ``app`` requires; returns what changed."""
    effect = Effect(uow, ids, on, policy)
    done = effect.summary()
    _EFFECTS[app.type](effect, app, done)
    return done


def _new_registration(effect: Effect, app: Application, done: Summary) -> None:
    """注册 / 军队变更入: a valid registration at the institution's province or county."""
    payload = app.payload
    if not isinstance(payload, RegistrationRequest | MilitaryInRequest):
        raise ValidationError("payload", f"{type(payload).__name__} creates no registration",
                              field_label="申请内容")
    physician = effect.uow.physicians.get(app.physician_id)
    institution = effect.uow.institutions.get(app.institution_id)
    qualification = physician.qualification(payload.qualification_no) if physician else None
    if institution is None or qualification is None:
        raise NotFoundError("institution or qualification", app.id)
    new = Registration(
        id=effect.ids.new("R"), physician_id=app.physician_id,
        qualification_no=qualification.certificate_no, level=qualification.level,
        category=qualification.category, scopes=payload.scopes,
        location=practice_location(qualification.level, institution),
        primary_institution_id=institution.id, approved_by=app.department_id,
        approved_on=effect.on, certificate_no=effect.ids.certificate_no(), application_id=app.id,
    )
    _second_province(effect, new, done)
    effect.uow.registrations.put(new)
    done["created"].append(new.id)


def _second_province(effect: Effect, new: Registration, done: Summary) -> None:
    """R-LOC-7: other provinces' registrations stay valid only if qualification and scopes match."""
    if not effect.policy.param("second_province_identical") or new.level is not Level.PHYSICIAN:
        return
    for other in effect.uow.registrations.for_physician(new.physician_id):
        same = (other.qualification_no == new.qualification_no
                and sorted(other.scopes) == sorted(new.scopes))
        if other.is_valid and other.location != new.location and not same:
            effect.end_registration(other, RegistrationStatus.INVALID, done)


def _upgrade(effect: Effect, app: Application, done: Summary) -> None:
    """升级: the assistant registration ends; a province-level 执业医师 registration replaces it."""
    payload = _payload(app, (UpgradeRequest,))
    old = effect.registration(payload.registration_id)
    institution = effect.uow.institutions.get(old.primary_institution_id)
    if institution is None:
        raise NotFoundError("institution", old.primary_institution_id)
    effect.uow.registrations.put(attrs.evolve(old, status=RegistrationStatus.INVALID,
                                              ended_on=effect.on))
    done["ended"].append(old.id)
    new = attrs.evolve(
        old, id=effect.ids.new("R"), qualification_no=payload.qualification_no,
        level=Level.PHYSICIAN, location=practice_location(Level.PHYSICIAN, institution),
        approved_by=app.department_id, approved_on=effect.on,
        certificate_no=effect.ids.certificate_no(), application_id=app.id,
    )
    effect.uow.registrations.put(new)
    done["created"].append(new.id)
    for filing in effect.uow.filings.for_physician(app.physician_id):
        if filing.registration_id == old.id and filing.is_active:
            effect.uow.filings.put(attrs.evolve(filing, registration_id=new.id))
            done["changed"].append(filing.id)


def _military_out(effect: Effect, app: Application, done: Summary) -> None:
    """变更到军队: every local registration and filing becomes invalid (R-MIL-1)."""
    for registration in effect.uow.registrations.for_physician(app.physician_id):
        if registration.status in (RegistrationStatus.VALID, RegistrationStatus.FILED):
            effect.end_registration(registration, RegistrationStatus.MILITARY, done)
    for filing in effect.uow.filings.for_physician(app.physician_id):
        if filing.is_active:
            effect.end_filing(filing, FilingStatus.INVALID, done)


def _change(effect: Effect, app: Application, done: Summary) -> None:
    """变更: the registration's institution, location, category and scopes are replaced."""
    payload = _payload(app, (ChangeRequest,))
    old = effect.registration(payload.registration_id)
    institution = effect.uow.institutions.get(payload.institution_id)
    if institution is None:
        raise NotFoundError("institution", payload.institution_id)
    new = attrs.evolve(
        old, primary_institution_id=institution.id,
        location=practice_location(old.level, institution),
        category=payload.category or old.category,
        qualification_no=payload.qualification_no or old.qualification_no,
        scopes=payload.scopes, approved_by=app.department_id, approved_on=effect.on,
        application_id=app.id,
    )
    effect.uow.registrations.put(new)
    done["changed"].append(new.id)
    for filing in effect.uow.filings.for_physician(app.physician_id):
        if filing.registration_id == old.id and filing.is_active:
            filed_at = effect.uow.institutions.get(filing.institution_id)
            outside = filed_at is None or not new.location.contains(filed_at.division)
            if outside or filing.institution_id == new.primary_institution_id:
                effect.end_filing(filing, FilingStatus.INVALID, done)


def _cancel(effect: Effect, app: Application, done: Summary) -> None:
    """注销: the registration (or, for person-wide grounds, every registration) is cancelled."""
    payload = _payload(app, (CancellationRequest,))
    cancel_registration(effect, app.physician_id, payload.registration_id, payload.ground in
                        PERSON_WIDE_GROUNDS, done)


def cancel_registration(effect: Effect, physician_id: str, registration_id: str,
                        person_wide: bool, done: Summary) -> None:
    """Cancel one registration, or all of the physician's when ``person_wide`` and the policy agree."""
    targets = [effect.registration(registration_id)]
    if person_wide and effect.policy.param("person_wide_cancellation"):
        targets = list(effect.uow.registrations.for_physician(physician_id))
    for registration in targets:
        if registration.status in (RegistrationStatus.VALID, RegistrationStatus.FILED):
            effect.end_registration(registration, RegistrationStatus.CANCELLED, done)


def _file(effect: Effect, app: Application, done: Summary) -> None:
    """备案: a filing under the registration, decided by the department that approved it."""
    payload = _payload(app, (FilingRequest,))
    filing = Filing(
        id=effect.ids.new("F"), registration_id=payload.registration_id,
        physician_id=app.physician_id, institution_id=payload.institution_id,
        scopes=payload.scopes, valid_from=payload.valid_from, valid_to=payload.valid_to,
        approved_by=app.department_id, application_id=app.id,
    )
    effect.uow.filings.put(filing)
    done["created"].append(filing.id)


def _cancel_filing(effect: Effect, app: Application, done: Summary) -> None:
    payload = _payload(app, (FilingCancelRequest,))
    filing = effect.uow.filings.get(payload.filing_id)
    if filing is None:
        raise NotFoundError("filing", payload.filing_id)
    effect.end_filing(filing, FilingStatus.CANCELLED, done)


def _cancel_legacy(effect: Effect, app: Application, done: Summary) -> None:
    payload = _payload(app, (MultisiteCancelRequest,))
    record = effect.uow.legacy.get(payload.legacy_id)
    if record is None:
        raise NotFoundError("legacy record", payload.legacy_id)
    effect.uow.legacy.put(attrs.evolve(record, status=FilingStatus.CANCELLED, ended_on=effect.on))
    done["ended"].append(record.id)


_EFFECTS: dict[BusinessType, Callable[[Effect, Application, Summary], None]] = {
    BusinessType.REGISTRATION: _new_registration,
    BusinessType.MILITARY_IN: _new_registration,
    BusinessType.UPGRADE: _upgrade,
    BusinessType.MILITARY_OUT: _military_out,
    BusinessType.CHANGE: _change,
    BusinessType.CANCELLATION: _cancel,
    BusinessType.FILING: _file,
    BusinessType.FILING_CANCEL: _cancel_filing,
    BusinessType.MULTISITE_CANCEL: _cancel_legacy,
}
