"""Routing and rule contexts: who confirms and decides each application, and what rules read."""

from __future__ import annotations

from typing import Any

import attrs

from mdreg.domain.application import (
    Application,
    BusinessType,
    ChangeRequest,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MultisiteCancelRequest,
    Payload,
    RegistrationRequest,
)
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Physician,
    Registration,
    practice_location,
)
from mdreg.errors import NotFoundError
from mdreg.ports import UnitOfWork
from mdreg.rules import Policy
from mdreg.rules.base import EligibilityContext


@attrs.frozen
class Route:
    """Who confirms (``institution``), who decides (``department``) and the target key."""

    institution: Institution
    department: HealthDepartment
    target: str


def institution(uow: UnitOfWork, institution_id: str) -> Institution:
    found = uow.institutions.get(institution_id)
    if found is None:
        raise NotFoundError("institution", institution_id)
    return found


def department(uow: UnitOfWork, department_id: str) -> HealthDepartment:
    found = uow.departments.get(department_id)
    if found is None:
        raise NotFoundError("department", department_id)
    return found


def owned_registration(uow: UnitOfWork, physician: Physician, registration_id: str) -> Registration:
    """The physician's own registration; another physician's is reported as not found."""
    found = uow.registrations.get(registration_id)
    if found is None or found.physician_id != physician.id:
        raise NotFoundError("registration of this physician", registration_id)
    return found


def _owned_filing(uow: UnitOfWork, physician: Physician, filing_id: str) -> Filing:
    found = uow.filings.get(filing_id)
    if found is None or found.physician_id != physician.id:
        raise NotFoundError("filing of this physician", filing_id)
    return found


def _owned_legacy(uow: UnitOfWork, physician: Physician, legacy_id: str) -> LegacySite:
    found = uow.legacy.get(legacy_id)
    if found is None or found.physician_id != physician.id:
        raise NotFoundError("legacy multi-site record of this physician", legacy_id)
    return found


def deciding_department(uow: UnitOfWork, inst: Institution) -> HealthDepartment:
    """医师执业注册管理办法 Art 9: a medical or health-care institution's registrations are decided
    by the department that approved its practice; a prevention institution's by the department
    at its own level (the department of its own division, when the registry has one)."""
    if inst.kind is InstitutionKind.PREVENTION:
        same_level = uow.departments.by_division(inst.division)
        if same_level:
            return same_level[0]
    return department(uow, inst.approved_by)


def _by_institution(uow: UnitOfWork, inst: Institution, target: str) -> Route:
    return Route(inst, deciding_department(uow, inst), target)


def route(uow: UnitOfWork, business: BusinessType, physician: Physician, payload: Payload,
          policy: Policy) -> Route:
    """Route a new application (医师执业注册管理办法 Arts 9, 10; 医师法 Arts 17, 18).

    Raises:
        NotFoundError: an institution, registration, filing or legacy record does not exist or
            is not the applicant's.
    """
    if isinstance(payload, FilingCancelRequest):
        filing = _owned_filing(uow, physician, payload.filing_id)
        return Route(institution(uow, filing.institution_id), department(uow, filing.approved_by),
                     filing.id)
    if isinstance(payload, MultisiteCancelRequest):
        record = _owned_legacy(uow, physician, payload.legacy_id)
        registration = owned_registration(uow, physician, record.registration_id)
        return Route(institution(uow, registration.primary_institution_id),
                     department(uow, registration.approved_by), record.id)
    registration_id: str | None = getattr(payload, "registration_id", None)
    if isinstance(payload, RegistrationRequest | MilitaryInRequest):  # a new registration
        inst = institution(uow, payload.institution_id)
        qualification = physician.qualification(payload.qualification_no)
        location = (practice_location(qualification.level, inst) if qualification is not None
                    else inst.division)
        return _by_institution(uow, inst, location.code)
    if registration_id is None:
        raise NotFoundError("registration", "(none given)")
    registration = owned_registration(uow, physician, registration_id)
    primary = institution(uow, registration.primary_institution_id)
    if business is BusinessType.UPGRADE:
        return _by_institution(uow, primary, registration.id)
    if isinstance(payload, FilingRequest):
        other = institution(uow, payload.institution_id)
        return _by_institution(uow, other, f"{registration.id}:{other.id}")
    if isinstance(payload, ChangeRequest):
        new = institution(uow, payload.institution_id)
        moved = new.id != registration.primary_institution_id
        if moved and policy.param("change_decided_by_new_department"):
            return _by_institution(uow, new, registration.id)
        return Route(new, department(uow, registration.approved_by), registration.id)
    target = "military" if business is BusinessType.MILITARY_OUT else registration.id
    return Route(primary, department(uow, registration.approved_by), target)


def build_context(uow: UnitOfWork, app: Application, parameters: dict[str, Any] | None = None
                  ) -> EligibilityContext:
    """The immutable snapshot rules read, from targeted per-physician lookups only."""
    found = uow.rule_inputs(app.physician_id, app.institution_id, app.department_id)
    if found.physician is None:
        raise NotFoundError("physician", app.physician_id)
    if found.institution is None:
        raise NotFoundError("institution", app.institution_id)
    if found.department is None:
        raise NotFoundError("department", app.department_id)
    return EligibilityContext(
        as_of=app.application_date,
        application=app,
        physician=found.physician,
        institution=found.institution,
        department=found.department,
        registrations=found.registrations,
        filings=found.filings,
        legacy=found.legacy,
        parameters=parameters or {},
    )
