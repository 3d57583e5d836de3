"""Routing and rule contexts: what the service reads before it evaluates rules."""

from __future__ import annotations

from mdreg.domain.application import Application, Payload
from mdreg.domain.model import HealthDepartment, Institution, Physician, practice_location
from mdreg.errors import NotFoundError
from mdreg.ports import UnitOfWork
from mdreg.rules.base import EligibilityContext


def _institution(uow: UnitOfWork, institution_id: str) -> Institution:
    institution = uow.institutions.get(institution_id)
    if institution is None:
        raise NotFoundError("institution", institution_id)
    return institution


def _department(uow: UnitOfWork, department_id: str) -> HealthDepartment:
    department = uow.departments.get(department_id)
    if department is None:
        raise NotFoundError("department", department_id)
    return department


def route(
    uow: UnitOfWork, physician: Physician, payload: Payload
) -> tuple[Institution, HealthDepartment, str]:
    """Who confirms, who decides, and the target of a new application.

    The intended primary institution confirms; the department that approved it decides
    (医师执业注册管理办法 Art 9). The target is the practice location the registration would
    have, or the institution's own division when the qualification is unknown (rules then
    refuse the application with the reason).
    """
    institution = _institution(uow, payload.institution_id)
    department = _department(uow, institution.approved_by)
    qualification = physician.qualification(payload.qualification_no)
    location = (
        practice_location(qualification.level, institution)
        if qualification is not None
        else institution.division
    )
    return institution, department, location.code


def build_context(uow: UnitOfWork, app: Application) -> EligibilityContext:
    """The immutable snapshot rules read, from targeted lookups only."""
    physician = uow.physicians.get(app.physician_id)
    if physician is None:
        raise NotFoundError("physician", app.physician_id)
    return EligibilityContext(
        as_of=app.application_date,
        application=app,
        physician=physician,
        institution=_institution(uow, app.institution_id),
        department=_department(uow, app.department_id),
        registrations=uow.registrations.for_physician(app.physician_id),
    )
