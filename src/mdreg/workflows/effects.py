"""注册效力 — what an event changes in the registry, in the same unit of work as the transition.

An :class:`Effect` is handed to a business type's effect functions. It records every registration
and filing it creates, ends or changes in :attr:`Effect.done`, which goes into the audit event,
so every registry change is traceable to the decision that made it. Ending a registration or a
filing, cancelling a registration and creating a registration are written here once and used by
every business type (and by the commands outside applications: departure, ex-officio cancellation).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from mdreg.domain.application import CancellationGround
from mdreg.domain.model import (
    Filing,
    FilingStatus,
    Institution,
    LegacySite,
    Record,
    RecordKind,
    Registration,
    RegistrationStatus,
)
from mdreg.errors import NotFoundError
from mdreg.ports import IdGenerator, UnitOfWork
from mdreg.rules.policy import Policy

Summary = dict[str, list[str]]
#: Statuses a registration can be ended from.
ENDABLE = (RegistrationStatus.VALID, RegistrationStatus.FILED)
#: 注销 grounds that leave a fact on the physician's record a later 注册 is refused on
#: (医师法 Art 16(3)(4)).
GROUND_RECORDS = {
    CancellationGround.CERTIFICATE_REVOKED: RecordKind.CERTIFICATE_REVOKED,
    CancellationGround.FAILED_REASSESSMENT: RecordKind.CANCELLED_FAILED_ASSESSMENT,
}


def _summary() -> Summary:
    return {"created": [], "ended": [], "changed": []}


@attrs.frozen
class Effect:
    """The unit of work, ids, business date and policy an effect runs with, and what it did."""

    uow: UnitOfWork
    ids: IdGenerator
    on: date
    policy: Policy
    done: Summary = attrs.field(factory=_summary)

    def registration(self, registration_id: str) -> Registration:
        found = self.uow.registrations.get(registration_id)
        if found is None:
            raise NotFoundError("registration", registration_id)
        return found

    def institution(self, institution_id: str) -> Institution:
        found = self.uow.institutions.get(institution_id)
        if found is None:
            raise NotFoundError("institution", institution_id)
        return found

    def add_registration(self, registration: Registration) -> None:
        self.uow.registrations.put(registration)
        self.done["created"].append(registration.id)

    def change_registration(self, registration: Registration) -> None:
        self.uow.registrations.put(registration)
        self.done["changed"].append(registration.id)

    def active_filings(self, registration_id: str, physician_id: str) -> tuple[Filing, ...]:
        """The active filings under a registration."""
        return tuple(f for f in self.uow.filings.for_physician(physician_id)
                     if f.registration_id == registration_id and f.is_active)

    def active_legacy(self, registration_id: str, physician_id: str) -> tuple[LegacySite, ...]:
        """The active legacy 多地点执业 records under a registration."""
        return tuple(s for s in self.uow.legacy.for_physician(physician_id)
                     if s.registration_id == registration_id and s.is_active)

    def end_registration(self, registration: Registration, status: RegistrationStatus) -> None:
        """End a registration and every active filing and legacy multi-site record under it
        (they cannot outlive it)."""
        self.uow.registrations.put(attrs.evolve(registration, status=status, ended_on=self.on))
        self.done["ended"].append(registration.id)
        self.end_filings(self.active_filings(registration.id, registration.physician_id))
        self.end_legacy(self.active_legacy(registration.id, registration.physician_id))

    def end_filings(self, filings: Iterable[Filing],
                    status: FilingStatus = FilingStatus.INVALID) -> None:
        for filing in filings:
            self.uow.filings.put(attrs.evolve(filing, status=status, ended_on=self.on))
            self.done["ended"].append(filing.id)

    def end_legacy(self, sites: Iterable[LegacySite],
                   status: FilingStatus = FilingStatus.INVALID) -> None:
        for site in sites:
            self.uow.legacy.put(attrs.evolve(site, status=status, ended_on=self.on))
            self.done["ended"].append(site.id)

    def end_everything(self, physician_id: str, status: RegistrationStatus) -> None:
        """End every registration of the physician that is valid or filed, and every filing
        and legacy multi-site record still active — also one left under a registration that
        ended before (R-MIL-1; a person-wide 注销)."""
        for registration in self.uow.registrations.for_physician(physician_id):
            if registration.status in ENDABLE:
                self.end_registration(registration, status)
        self.end_filings(f for f in self.uow.filings.for_physician(physician_id) if f.is_active)
        self.end_legacy(s for s in self.uow.legacy.for_physician(physician_id) if s.is_active)

    def record_ground(self, physician_id: str, ground: CancellationGround, on: date) -> None:
        """Put on the physician's record the fact a 注销 ground leaves for later refusals:
        revocation of the certificate on ``on`` (R-REG-4, counted from the penalty decision)
        or a cancellation for a failed re-assessment, today (R-REG-5); other grounds leave
        none here."""
        kind = GROUND_RECORDS.get(ground)
        if kind is not None:
            day = on if kind is RecordKind.CERTIFICATE_REVOKED else self.on
            self.add_record(physician_id, Record(kind, day))

    def add_record(self, physician_id: str, record: Record) -> None:
        """Put ``record`` on the physician's record (once), listed under ``recorded``."""
        physician = self.uow.physicians.get(physician_id)
        if physician is None:
            raise NotFoundError("physician", physician_id)
        if record not in physician.records:
            self.uow.physicians.put(attrs.evolve(physician, records=(*physician.records, record)))
            self.done.setdefault("recorded", []).append(f"{record.kind.value}:{record.on}")

    def cancel(self, physician_id: str, registration_id: str, person_wide: bool) -> None:
        """注销 one registration, or every one of the physician's when ``person_wide`` and the
        policy's ``person_wide_cancellation`` agree (R-CAN-4)."""
        if person_wide and self.policy.param("person_wide_cancellation"):
            self.end_everything(physician_id, RegistrationStatus.CANCELLED)
            return
        registration = self.registration(registration_id)
        if registration.status in ENDABLE:
            self.end_registration(registration, RegistrationStatus.CANCELLED)

