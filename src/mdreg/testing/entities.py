"""Small entities for the contract suites: one of each kind, numbered, and ways to store them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from mdreg.domain.application import (
    Actor,
    Application,
    AuditEvent,
    BusinessType,
    RegistrationRequest,
)
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import (
    Category,
    Filing,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationStatus,
)
from mdreg.infra.serialization import unstructure
from mdreg.ports import UnitOfWork
from mdreg.testing.builders import chinese_name, make_id_number

MakeUow = Callable[[], UnitOfWork]

#: A timestamp with microseconds and a non-UTC offset: it must come back as the same instant in UTC.
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))


# -- entities -------------------------------------------------------------------------------


def department(code: str = "110105") -> HealthDepartment:
    return HealthDepartment(f"D{code}", f"{code}卫生健康委员会", DivisionCode(code))


def institution(n: int = 1, code: str = "110105") -> Institution:
    return Institution(f"I{n}", f"第{n}医院", DivisionCode(code), InstitutionKind.MEDICAL,
                       f"D{code}", ("内科", "外科"), auto_activation=n % 2 == 0)


def physician(n: int = 1, *, level: Level = Level.PHYSICIAN) -> Physician:
    return Physician(
        f"P{n}", chinese_name(n), make_id_number("110105", date(1990, 1, 2), n),
        (Qualification(f"Q{n}", level, Category.CLINICAL, date(2025, 9, 1)),),
        records=(Record(RecordKind.PRACTICE_SUSPENDED, date(2020, 1, 1), date(2020, 6, 1)),),
    )


def registration(n: int, physician_id: str = "P1", *, location: str = "110000",
                 level: Level = Level.PHYSICIAN,
                 status: RegistrationStatus = RegistrationStatus.VALID) -> Registration:
    return Registration(
        f"R{n}", physician_id, "Q1", level, Category.CLINICAL, ("内科专业", "外科专业"),
        DivisionCode(location), "I1", "D110105", date(2026, 3, 2), f"11000000000000{n}",
        status=status, application_id=f"A{n}",
    )


def filing(n: int, *, registration_id: str = "R1", institution_id: str = "I2") -> Filing:
    return Filing(f"F{n}", registration_id, "P1", institution_id, ("内科专业",),
                  date(2026, 3, 2), date(2027, 3, 1), "D110105")


def legacy_site(n: int) -> LegacySite:
    return LegacySite(f"L{n}", "P1", "R1", "I2", date(2015, 5, 1))


def application(n: int, physician_id: str = "P1", *, state: str = "pending_institution",
                version: int = 1, target: str = "110000", institution_id: str = "I1",
                department_id: str = "D110105") -> Application:
    return Application(
        id=f"A{n}", type=BusinessType.REGISTRATION, physician_id=physician_id,
        applicant=Actor.physician(physician_id),
        payload=RegistrationRequest(institution_id, "Q1", ("内科专业",)),
        institution_id=institution_id, department_id=department_id, target=target, state=state,
        version=version, created_at=T0, updated_at=T0 + timedelta(seconds=1),
        application_date=date(2026, 3, 2), submitted_at=T0, corrections=("照片", "学历"),
    )


def audit_event(aggregate_id: str, seq: int) -> AuditEvent:
    return AuditEvent(aggregate_id, seq, "submit", "draft", "pending_institution",
                      Actor.institution("I1", user="王科长"), T0 + timedelta(minutes=seq),
                      reason="理由", verdict=("practice_location.one_primary_institution",),
                      policy="base", data={"note": ["一", 2]})


def same(loaded: object, saved: object) -> bool:
    """Whether two entities are equal through the converter."""
    return bool(unstructure(loaded) == unstructure(saved))


def commit_after(uow: UnitOfWork, *writes: Callable[[], object]) -> None:
    """Run the writes, then commit: a backend may refuse at the write or at the commit."""
    for write in writes:
        write()
    uow.commit()


def store_and_commit(uow: UnitOfWork, entities: Iterable[object]) -> None:
    """Store each entity through the repository of its kind, then commit."""
    for entity in entities:
        put_entity(uow, entity)
    uow.commit()


def put_entity(uow: UnitOfWork, entity: object) -> None:
    """Store any entity through the repository that holds its kind."""
    if isinstance(entity, Application):
        uow.applications.add(entity)
    elif isinstance(entity, AuditEvent):
        uow.audit.append(entity)
    else:
        repositories: dict[type[Any], Any] = {
            HealthDepartment: uow.departments, Institution: uow.institutions,
            Physician: uow.physicians, Registration: uow.registrations, Filing: uow.filings,
            LegacySite: uow.legacy,
        }
        repositories[type(entity)].put(entity)


