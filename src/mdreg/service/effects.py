"""Effects of approval on the registry, applied in the same unit of work as the transition."""

from __future__ import annotations

from datetime import date

from mdreg.domain.application import Application, BusinessType
from mdreg.domain.model import Registration, practice_location
from mdreg.errors import NotFoundError
from mdreg.ports import UnitOfWork
from mdreg.service.ids import IdGenerator


def apply_approval(uow: UnitOfWork, app: Application, ids: IdGenerator, on: date) -> None:
    """Change the registry as the approval of ``app`` requires."""
    if app.type is BusinessType.REGISTRATION:
        _register(uow, app, ids, on)


def _register(uow: UnitOfWork, app: Application, ids: IdGenerator, on: date) -> None:
    """准予注册: a valid registration at the institution's province (医师) or county (助理)."""
    physician = uow.physicians.get(app.physician_id)
    institution = uow.institutions.get(app.institution_id)
    if physician is None or institution is None:
        raise NotFoundError("physician or institution", app.id)
    qualification = physician.qualification(app.payload.qualification_no)
    if qualification is None:
        raise NotFoundError("qualification", app.payload.qualification_no)
    uow.registrations.put(
        Registration(
            id=ids.new("R"),
            physician_id=physician.id,
            qualification_no=qualification.certificate_no,
            level=qualification.level,
            category=qualification.category,
            scopes=app.payload.scopes,
            location=practice_location(qualification.level, institution),
            primary_institution_id=institution.id,
            approved_by=app.department_id,
            approved_on=on,
            certificate_no=ids.certificate_no(),
            application_id=app.id,
        )
    )
