"""参考数据 — loading departments, institutions, physicians, registrations, legacy records,
migrated accounts and assessments (all or nothing), and importing a whole registry in bulk."""

from __future__ import annotations

from collections.abc import Iterable

from mdreg.domain.account import Account, Assessment
from mdreg.domain.model import HealthDepartment, Institution, LegacySite, Physician, Registration
from mdreg.errors import ValidationError
from mdreg.ports import put_all
from mdreg.service import account_steps
from mdreg.service.services import Services, in_transaction, require


def load(services: Services, *, departments: Iterable[HealthDepartment] = (),
         institutions: Iterable[Institution] = (), physicians: Iterable[Physician] = (),
         registrations: Iterable[Registration] = (), legacy: Iterable[LegacySite] = (),
         accounts: Iterable[Account] = (), assessments: Iterable[Assessment] = ()) -> None:
    """Import reference data in one transaction; see :meth:`mdreg.Registry.load`."""

    def run() -> None:
        with services.uow() as uow:
            put_all(uow.departments, departments)
            for institution in institutions:
                require(uow.departments.get(institution.approved_by), "department",
                        institution.approved_by)
                uow.institutions.put(institution)
            put_all(uow.physicians, physicians)
            for registration in registrations:
                require(uow.physicians.get(registration.physician_id), "physician",
                        registration.physician_id)
                require(uow.institutions.get(registration.primary_institution_id),
                        "institution", registration.primary_institution_id)
                uow.registrations.put(registration)
            for record in legacy:
                require(uow.registrations.get(record.registration_id), "registration",
                        record.registration_id)
                uow.legacy.put(record)
            account_steps.load_portal_data(uow, accounts, assessments)
            uow.commit()

    in_transaction(services, run)


def import_registry(services: Services, *, departments: Iterable[HealthDepartment] = (),
                    institutions: Iterable[Institution] = (),
                    physicians: Iterable[Physician] = (),
                    registrations: Iterable[Registration] = (),
                    legacy: Iterable[LegacySite] = (),
                    batch_size: int = 10_000) -> dict[str, int]:
    """Import a whole registry's reference data in bulk, in one transaction (all or nothing).

    The checks and invariants are :func:`load`'s, and so is the result; only the way rows
    are written differs: through the backend's bulk importer (``services.bulk``) if it has
    one. On a SQL backend rows go in batches of ``batch_size`` (``executemany`` on SQLite,
    ``COPY`` on PostgreSQL; see :mod:`mdreg.adapters.sql.bulk`); on the in-memory backend
    this is :func:`load`. The arguments are read into tuples once, so a retried attempt
    imports the same entities. Returns how many of each kind were given.

    >>> import mdreg
    >>> mdreg.open("memory://").import_registry(departments=[mdreg.HealthDepartment(
    ...     "D110105", "东城区卫生健康委员会", mdreg.DivisionCode("110105"))])["departments"]
    1

    Raises:
        ValidationError: an entity is not of its domain class.
        NotFoundError: an institution names an unknown approving department, a registration
            an unknown physician or institution, a legacy record an unknown registration.
        UniquenessConflict: two physicians share an ID number; two valid registrations clash.
    """
    if batch_size < 1:
        raise ValidationError("batch_size", "must be at least 1", field_label="批量")
    given_departments, given_institutions = tuple(departments), tuple(institutions)
    given_physicians, given_registrations = tuple(physicians), tuple(registrations)
    given_legacy = tuple(legacy)
    bulk = services.bulk
    if bulk is not None:
        return in_transaction(services, lambda: bulk(
            departments=given_departments, institutions=given_institutions,
            physicians=given_physicians, registrations=given_registrations,
            legacy=given_legacy, batch_size=batch_size))
    for label, cls, items in (("departments", HealthDepartment, given_departments),
                              ("institutions", Institution, given_institutions),
                              ("physicians", Physician, given_physicians),
                              ("registrations", Registration, given_registrations),
                              ("legacy", LegacySite, given_legacy)):
        wrong = next((item for item in items if not isinstance(item, cls)), None)
        if wrong is not None:  # a bulk importer refuses these too (mdreg.adapters.sql.bulk)
            raise ValidationError(label, f"{type(wrong).__name__} is not a {cls.__name__}",
                                  field_label="导入数据")
    load(services, departments=given_departments, institutions=given_institutions,
         physicians=given_physicians, registrations=given_registrations, legacy=given_legacy)
    return {"departments": len(given_departments), "institutions": len(given_institutions),
            "physicians": len(given_physicians), "registrations": len(given_registrations),
            "legacy": len(given_legacy)}
