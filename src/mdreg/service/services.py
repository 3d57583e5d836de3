"""服务 — the record of what a command needs, and the ways to run one.

:func:`mdreg.open` builds one :class:`Services` per registry; every command handler is a plain
function of its arguments and a ``Services``. Nothing in the service layer holds a reference back
to the :class:`~mdreg.Registry` facade.

* :func:`in_transaction` runs a command through the backend's transaction runner (which retries
  a serialization failure or a deadlock); the command opens and commits its own unit of work.
* :func:`transact` runs a command in one unit of work that it commits, through the runner.
* :data:`RETRY` runs such a command again when it lost a race to another writer
  (:class:`~mdreg.errors.ConcurrencyConflict`): the portal's commands and the tick's batches.
* :func:`read` runs a query in one unit of work that is never committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

from mdreg.domain.application import Actor, AuditEvent
from mdreg.domain.calendar import WorkingDayCalendar, default_calendar
from mdreg.domain.clock import Clock, SystemClock
from mdreg.domain.model import HealthDepartment, Institution, LegacySite, Physician, Registration
from mdreg.errors import ConcurrencyConflict, LimitExceeded, NotFoundError
from mdreg.infra.limits import Limits
from mdreg.infra.retry import Retry
from mdreg.infra.storage import InMemoryPhotoStore, PhotoStore
from mdreg.ports import IdGenerator, SnapshotNeeded, UnitOfWork
from mdreg.rules.policy import Policy
from mdreg.service.ids import RandomIds
from mdreg.workflows import BASE_POLICY

T = TypeVar("T")


class TransactionRunner(Protocol):
    """Runs one command (its whole unit of work) and may run it again on a transient failure;
    a SQL backend retries serialization failures and deadlocks this way."""

    def __call__(self, command: Callable[[], T], /) -> T: ...


class BulkImporter(Protocol):
    """A backend's bulk writer of reference data (see :meth:`mdreg.Registry.import_registry`)."""

    def __call__(self, *, departments: Sequence[HealthDepartment],
                 institutions: Sequence[Institution], physicians: Sequence[Physician],
                 registrations: Sequence[Registration], legacy: Sequence[LegacySite],
                 batch_size: int) -> dict[str, int]: ...


def run_once(command: Callable[[], T], /) -> T:
    """The transaction runner of a backend without transient failures (in memory)."""
    return command()


#: A command that lost a race (:class:`~mdreg.errors.ConcurrencyConflict`: another writer
#: changed a row it read) left nothing behind and runs again on the new state, up to ten runs
#: in all. The portal's commands use it: a one-time code row changes at most five times (wrong
#: guesses) plus once (used) before every redemption is refused without writing, so ten runs
#: always end counted or refused. So does each batch of
#: :meth:`mdreg.Registry.tick`, whose claimed subject a command may change first. The
#: registry's own commands are not re-run: their caller sees the conflict.
RETRY = Retry(attempts=10, on=(ConcurrencyConflict,))


@attrs.frozen(kw_only=True)
class Services:
    """Everything a command handler needs, fixed when the registry is opened.

    Attributes:
        uow: makes a fresh unit of work on the backend.
        transaction: runs a command's unit of work (and retries transient database failures).
        clock: the time commands are stamped with.
        ids: new ids and certificate numbers.
        policy: the rules and parameters in force.
        calendar: working days for legal periods; without data for a year (and without an
            explicit fallback) a command that needs one raises CalendarDataMissing.
        limits: caps on one application's history.
        url: the backend's URL, without a password.
        bulk: the backend's bulk importer, if it has one.
        photos: where photo bytes go.
        release: closes the backend's pooled connections.
        published: the policy and definition revisions known to be stored in the backend
            (:mod:`mdreg.service.records`), shared by the copies ``attrs.evolve`` makes.
    """

    uow: Callable[[], UnitOfWork]
    transaction: TransactionRunner = run_once
    clock: Clock = attrs.field(factory=SystemClock)
    ids: IdGenerator = attrs.field(factory=RandomIds)
    policy: Policy = BASE_POLICY
    calendar: WorkingDayCalendar = attrs.field(factory=default_calendar)
    limits: Limits = attrs.field(factory=Limits)
    url: str = "memory://"
    bulk: BulkImporter | None = None
    photos: PhotoStore = attrs.field(factory=InMemoryPhotoStore)
    release: Callable[[], None] | None = None
    published: set[str] = attrs.field(factory=set, eq=False, repr=False)

    def now(self) -> datetime:
        return self.clock.now()


def in_transaction(services: Services, command: Callable[[], T]) -> T:
    """Run ``command`` (which opens and commits its own unit of work) through the backend's
    transaction runner."""
    return services.transaction(command)


def transact(services: Services, command: Callable[[UnitOfWork], T]) -> T:
    """Run ``command`` in one unit of work and commit it, through the transaction runner.

    ``command`` commits nothing itself; an exception leaves nothing behind.
    """

    def once() -> T:
        with services.uow() as uow:
            result = command(uow)
            uow.commit()
            return result

    return services.transaction(once)


def read(services: Services, query: Callable[[UnitOfWork], T], *,
         one_statement: bool = False) -> T:
    """Run ``query`` in one unit of work that is never committed.

    ``one_statement``: the query usually needs a single statement; where the backend can, that
    statement runs outside any transaction (:meth:`~mdreg.ports.UnitOfWork.one_statement`),
    and a query that needs more runs again in a unit with its transaction."""
    if one_statement:
        with services.uow() as uow:
            if not uow.one_statement():
                return query(uow)
            try:
                return query(uow)
            except SnapshotNeeded:
                pass
    with services.uow() as uow:
        return query(uow)


def require(value: T | None, kind: str, key: str) -> T:
    """``value``, which a lookup of ``kind`` ``key`` returned.

    Raises:
        NotFoundError: it is None.
    """
    if value is None:
        raise NotFoundError(kind, key)
    return value


def append_audit(uow: UnitOfWork, aggregate_id: str, event: str, from_state: str, to_state: str,
                 actor: Actor, now: datetime, *, cap: int | None = None, **extra: Any) -> None:
    """Append the next audit event of an aggregate (gap-free ``seq``).

    Raises:
        LimitExceeded: the event would be number ``cap`` + 1.
    """
    seq = uow.audit.next_seq(aggregate_id)
    if cap is not None and seq > cap:
        raise LimitExceeded("audit events", aggregate_id, cap)
    uow.audit.append(AuditEvent(
        aggregate_id=aggregate_id, seq=seq,
        event=event, from_state=from_state, to_state=to_state, actor=actor, at=now, **extra,
    ))
