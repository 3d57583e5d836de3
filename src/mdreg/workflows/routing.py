"""受理路由 — looking up who confirms and who decides a new application.

:class:`Routing` is what a business type's ``route`` function reads: the institutions,
departments and the applicant's own registrations, filings and legacy records, each lookup
raising :class:`~mdreg.errors.NotFoundError` for what does not exist or is not the applicant's.
"""

from __future__ import annotations

from typing import TypeVar

import attrs

from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Physician,
    Registration,
)
from mdreg.errors import NotFoundError
from mdreg.ports import UnitOfWork


@attrs.frozen
class Route:
    """Who confirms (``institution``), who decides (``department``) and the target key: one
    open application per physician, business type and target."""

    institution: Institution
    department: HealthDepartment
    target: str


@attrs.frozen
class Routing:
    """Lookups for routing, inside the command's unit of work."""

    uow: UnitOfWork

    def institution(self, institution_id: str) -> Institution:
        found = self.uow.institutions.get(institution_id)
        if found is None:
            raise NotFoundError("institution", institution_id)
        return found

    def department(self, department_id: str) -> HealthDepartment:
        found = self.uow.departments.get(department_id)
        if found is None:
            raise NotFoundError("department", department_id)
        return found

    def registration(self, physician: Physician, registration_id: str) -> Registration:
        """The physician's own registration; another physician's is reported as not found."""
        found = self.uow.registrations.get(registration_id)
        return _owned(found, physician, "registration of this physician", registration_id)

    def filing(self, physician: Physician, filing_id: str) -> Filing:
        found = self.uow.filings.get(filing_id)
        return _owned(found, physician, "filing of this physician", filing_id)

    def legacy(self, physician: Physician, legacy_id: str) -> LegacySite:
        found = self.uow.legacy.get(legacy_id)
        return _owned(found, physician, "legacy multi-site record of this physician", legacy_id)

    def deciding_department(self, institution: Institution) -> HealthDepartment:
        """医师执业注册管理办法 Art 9: a medical or health-care institution's registrations are
        decided by the department that approved its practice; a prevention institution's by the
        department at the same administrative level (同级): the department of the division at the
        institution's own level (:attr:`~mdreg.domain.model.Institution.seat`) — a provincial
        centre in a district is decided by the provincial department — when there is one."""
        if institution.kind is InstitutionKind.PREVENTION:
            same_level = self.uow.departments.by_division(institution.seat)
            if same_level:
                return same_level[0]
        return self.department(institution.approved_by)

    def by_institution(self, institution: Institution, target: str) -> Route:
        """Confirmed by ``institution``, decided by the department that decides for it."""
        return Route(institution, self.deciding_department(institution), target)

    def by_registration(self, institution: Institution, registration: Registration,
                        target: str) -> Route:
        """Confirmed by ``institution``, decided by the department that granted
        ``registration`` (医师法 Arts 17, 18)."""
        return Route(institution, self.department(registration.approved_by), target)


Owned = TypeVar("Owned", Registration, Filing, LegacySite)


def _owned(found: Owned | None, physician: Physician, kind: str, key: str) -> Owned:
    if found is None or found.physician_id != physician.id:
        raise NotFoundError(kind, key)
    return found
