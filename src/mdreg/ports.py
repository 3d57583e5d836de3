"""端口 — the persistence contract every backend implements.

A :class:`UnitOfWork` is a context manager around one transaction. Inside it, repositories read
committed data plus the unit's own pending writes; nothing is visible to other units until
:meth:`UnitOfWork.commit`. Leaving the block without committing — or with an exception — rolls
everything back. A unit of work is single use.

Invariants every backend enforces at commit, whatever the caller did (each violation raises the
typed error named, and the whole unit is rolled back):

* an application's stored ``version`` must equal the version it was loaded with
  (:class:`~mdreg.errors.ConcurrencyConflict`);
* at most one valid registration per physician and practice location, and at most one valid
  registration for an assistant (:class:`~mdreg.errors.UniquenessConflict`);
* at most one active filing per registration and institution
  (:class:`~mdreg.errors.UniquenessConflict`, constraint ``active_filing``);
* at most one open application per physician, business type and target
  (:class:`~mdreg.errors.UniquenessConflict`);
* unique resident ID number per physician (:class:`~mdreg.errors.UniquenessConflict`);
* audit events numbered 1, 2, 3 … per aggregate, without gaps or duplicates.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Generic, Self, TypeVar

from mdreg.domain.application import Application, AuditEvent
from mdreg.domain.identifiers import ResidentId
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
)

T = TypeVar("T")


class Repository(abc.ABC, Generic[T]):
    """Keyed access to one kind of entity."""

    @abc.abstractmethod
    def get(self, key: str) -> T | None:
        """The entity with ``key``, or ``None``."""

    @abc.abstractmethod
    def put(self, entity: T) -> None:
        """Insert or replace an entity (reference data and registrations)."""


class PhysicianRepository(Repository[Physician]):
    """Physicians with their qualifications and records."""

    @abc.abstractmethod
    def by_id_number(self, id_number: ResidentId) -> Physician | None:
        """The physician with this resident ID number (indexed)."""


class RegistrationRepository(Repository[Registration]):
    """Practice registrations; rules read them per physician."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> tuple[Registration, ...]:
        """Every registration of one physician, any status (indexed by physician)."""

    @abc.abstractmethod
    def filed_since(self, on_or_before: date) -> tuple[Registration, ...]:
        """Registrations in 备案 status whose ``filed_on`` is on or before the date (indexed)."""


class FilingRepository(Repository[Filing]):
    """多执业机构备案 rows; rules read them per physician."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> tuple[Filing, ...]:
        """Every filing of one physician, any status (indexed by physician)."""


class LegacyRepository(Repository[LegacySite]):
    """Legacy 多地点执业 records (loaded as reference data, never created by a command)."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> tuple[LegacySite, ...]:
        """Every legacy record of one physician (indexed by physician)."""


class ApplicationRepository(abc.ABC):
    """Applications, with optimistic concurrency on ``version``."""

    @abc.abstractmethod
    def get(self, application_id: str) -> Application | None:
        """The application, or ``None``."""

    @abc.abstractmethod
    def add(self, application: Application) -> None:
        """Store a new application (version 1)."""

    @abc.abstractmethod
    def save(self, application: Application, expected_version: int) -> None:
        """Replace an application whose stored version is ``expected_version``.

        The check is repeated at commit, so a concurrent writer that committed first makes this
        unit's commit raise :class:`~mdreg.errors.ConcurrencyConflict`.
        """

    @abc.abstractmethod
    def open_for(self, physician_id: str) -> tuple[Application, ...]:
        """The physician's applications that are not in a final state."""

    @abc.abstractmethod
    def inbox(self, *, institution_id: str = "", department_id: str = "",
              state: str) -> tuple[Application, ...]:
        """Applications in ``state`` routed to an institution or a department (indexed)."""


class AuditLog(abc.ABC):
    """Append-only audit events, numbered per aggregate."""

    @abc.abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Append ``event``; its ``seq`` must be the aggregate's next number."""

    @abc.abstractmethod
    def for_aggregate(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        """Every event of one aggregate in ``seq`` order."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many events are stored."""


class IdempotencyStore(abc.ABC):
    """Results of commands sent with an idempotency key."""

    @abc.abstractmethod
    def get(self, key: str) -> tuple[str, str] | None:
        """``(fingerprint, result)`` stored under ``key``, or ``None``."""

    @abc.abstractmethod
    def put(self, key: str, fingerprint: str, result: str) -> None:
        """Remember the result of the command identified by ``fingerprint``."""


class UnitOfWork(abc.ABC):
    """One transaction over every repository; rolls back unless committed."""

    physicians: PhysicianRepository
    institutions: Repository[Institution]
    departments: Repository[HealthDepartment]
    registrations: RegistrationRepository
    filings: FilingRepository
    legacy: LegacyRepository
    applications: ApplicationRepository
    audit: AuditLog
    idempotency: IdempotencyStore

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Check the invariants and make every pending write visible atomically."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Drop every pending write (a no-op after commit)."""


def put_all(repository: Repository[T], entities: Iterable[T]) -> None:
    """Put several entities into one repository."""
    for entity in entities:
        repository.put(entity)
