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
* audit events numbered 1, 2, 3 … per aggregate, without gaps or duplicates;
* accounts, one-time codes, personal changes and practice info: stored ``version`` equals the
  loaded one (:class:`~mdreg.errors.ConcurrencyConflict`);
* unique account login name, compared case-folded (constraint ``account_login_name``), and at
  most one account per physician (constraint ``account_physician``);
* at most one pending personal change per physician and kind (constraint
  ``pending_personal_change``);
* unique notice id (constraint ``notice_id``);
* deadlines: stored ``version`` equals the loaded one (:class:`~mdreg.errors.ConcurrencyConflict`),
  and at most one open deadline per subject and kind (constraint ``open_deadline``).
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

import attrs

from mdreg.domain.account import (
    Account,
    Assessment,
    ChangeKind,
    Channel,
    CodePurpose,
    OneTimeCode,
    OutboxCounts,
    OutboxMessage,
    PersonalChange,
    PracticeInfo,
)
from mdreg.domain.application import CLOSED_STATES, Application, AuditEvent
from mdreg.domain.calendar import ImportedYear
from mdreg.domain.deadlines import Deadline
from mdreg.domain.identifiers import DivisionCode, ResidentId
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
)
from mdreg.domain.notices import Notice
from mdreg.domain.throttle import LoginCounter

T = TypeVar("T")


class IdGenerator(Protocol):
    """Makes new ids and practice-certificate numbers."""

    def new(self, prefix: str) -> str: ...

    def certificate_no(self) -> str: ...


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


class DepartmentRepository(Repository[HealthDepartment]):
    """Health departments; routing looks them up by division code."""

    @abc.abstractmethod
    def by_division(self, division: DivisionCode) -> tuple[HealthDepartment, ...]:
        """The departments of one division (usually one), ordered by id (indexed)."""


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

    @abc.abstractmethod
    def lapsed(self, before: date, limit: int) -> tuple[Filing, ...]:
        """Up to ``limit`` active filings whose last day (``valid_to``) is before ``before``,
        by last day then id (indexed)."""


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
        """Store a new application (version 1).

        Raises:
            UniquenessConflict: constraint ``open_application``: the physician has an open
                application of this type and target already (checked here, as far as this unit
                sees, and again at commit).
        """

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

    @abc.abstractmethod
    def of_physician(self, physician_id: str) -> tuple[Application, ...]:
        """Every application of one physician, open or decided, in id order (indexed)."""

    @abc.abstractmethod
    def of_type(self, business: str, *, after: str = "", limit: int) -> tuple[Application, ...]:
        """Up to ``limit`` applications of business type ``business`` whose id sorts after
        ``after``, in id order: a page of every application of one type, in any state (an
        administrative scan, such as a migration's; not for hot paths)."""


class AuditLog(abc.ABC):
    """Append-only audit events, numbered per aggregate."""

    @abc.abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Append ``event``; its ``seq`` must be the aggregate's next number."""

    @abc.abstractmethod
    def for_aggregate(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        """Every event of one aggregate in ``seq`` order."""

    @abc.abstractmethod
    def next_seq(self, aggregate_id: str) -> int:
        """The number the aggregate's next event gets: its greatest ``seq`` plus one, counting
        this unit's own appends (1 for an aggregate without events). Indexed, and it reads one
        number, not the trail."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many events are stored (all aggregates: a full count, not for hot paths)."""

    @abc.abstractmethod
    def since(self, position: int, limit: int) -> tuple[tuple[int, AuditEvent], ...]:
        """Up to ``limit`` committed events after the event at ``position`` (0: from the
        start), each with its own position — a tail for consumers: page with the last position
        seen, and no event is skipped or repeated while writers keep appending. The tail only
        grows at its end: an event committed later never comes before one already returned.

        Positions start at 1 and may have gaps (rolled-back appends). In memory and on SQLite
        they grow along the tail. PostgreSQL takes a position when an event is inserted, not when
        it commits, so its tail follows the appending transactions (by transaction id) and
        positions need not grow along it; it returns only events of transactions older than
        every transaction still in progress on its database, so a page may end early — even be
        empty — while an older transaction stays open, and readers never hold writers off.

        Raises:
            ValidationError: PostgreSQL: no event is at ``position``.
        """


class IdempotencyStore(abc.ABC):
    """Results of commands sent with an idempotency key."""

    @abc.abstractmethod
    def get(self, key: str) -> tuple[str, str] | None:
        """``(fingerprint, result)`` stored under ``key``, or ``None``."""

    @abc.abstractmethod
    def put(self, key: str, fingerprint: str, result: str) -> None:
        """Remember the result of the command identified by ``fingerprint``."""


class CalendarYearStore(abc.ABC):
    """Holiday schedules imported year by year (:class:`~mdreg.domain.calendar.ImportedYear`)."""

    @abc.abstractmethod
    def all(self) -> tuple[ImportedYear, ...]:
        """Every imported year, oldest year first."""

    @abc.abstractmethod
    def put(self, year: ImportedYear) -> None:
        """Store a year's schedule, replacing an earlier import of that year."""


class RevisionStore(abc.ABC):
    """Published policy revisions: what a revision named by a decision contained, kept after the
    code moved on (:func:`mdreg.service.records.revision`)."""

    @abc.abstractmethod
    def get(self, revision: str) -> Mapping[str, Any] | None:
        """The exported policy of ``revision``, or ``None``."""

    @abc.abstractmethod
    def publish(self, revision: str, document: Mapping[str, Any], at: datetime) -> bool:
        """Store ``revision`` unless it is stored already; whether this call stored it."""


class AccountRepository(abc.ABC):
    """Personal-portal accounts, with optimistic concurrency on ``version``."""

    @abc.abstractmethod
    def get(self, account_id: str) -> Account | None:
        """The account, or ``None``."""

    @abc.abstractmethod
    def by_login(self, login_name: str) -> Account | None:
        """The account whose login name equals ``login_name`` case-folded (indexed)."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> Account | None:
        """The physician's account, if any (indexed; at most one exists)."""

    @abc.abstractmethod
    def add(self, account: Account) -> None:
        """Store a new account (any version: imported accounts keep theirs).

        A login name taken case-insensitively, or a second account of one physician, raises
        :class:`~mdreg.errors.UniquenessConflict` here or at commit (constraints
        ``account_login_name`` and ``account_physician``).
        """

    @abc.abstractmethod
    def save(self, account: Account, expected_version: int) -> None:
        """Replace an account whose stored version is ``expected_version`` (checked again at
        commit: :class:`~mdreg.errors.ConcurrencyConflict`)."""


class OneTimeCodeRepository(abc.ABC):
    """One-time codes (hashes only), with optimistic concurrency on ``version``."""

    @abc.abstractmethod
    def get(self, code_id: str) -> OneTimeCode | None:
        """The code, or ``None``."""

    @abc.abstractmethod
    def add(self, code: OneTimeCode) -> None:
        """Store a newly issued code (version 1)."""

    @abc.abstractmethod
    def save(self, code: OneTimeCode, expected_version: int) -> None:
        """Replace a code (attempt counted, used, superseded) whose stored version is
        ``expected_version``; checked again at commit."""

    @abc.abstractmethod
    def latest(self, account_id: str, purpose: CodePurpose) -> OneTimeCode | None:
        """The account's newest code of ``purpose``, any status, or ``None`` (indexed by account
        and purpose). Newest = greatest ``issued_at``; on a tie a code not ``superseded`` wins,
        then an ``active`` one, then the greater id. Issuing supersedes the previous active code,
        so at most one is active."""

    @abc.abstractmethod
    def sent_since(self, destination: str, since: datetime) -> int:
        """How many codes of any purpose and status were issued to ``destination`` (a phone's
        11 digits or an e-mail address) strictly after ``since`` (indexed by destination, time)."""

    @abc.abstractmethod
    def lock_destination(self, destination: str) -> None:
        """Hold, until the unit of work ends, the right to send codes to ``destination``: a
        concurrent unit sending there waits, so a quota counted after this call stays exact."""


class LoginAttemptRepository(abc.ABC):
    """Failed-login counters per throttled key (:class:`~mdreg.domain.throttle.LoginCounter`).

    A key is a keyed hash of a login name or a source, never the name or address itself."""

    @abc.abstractmethod
    def get(self, key: str) -> LoginCounter | None:
        """The key's counter as last committed, or ``None`` (a plain read: no hold)."""

    @abc.abstractmethod
    def hold(self, key: str) -> LoginCounter | None:
        """The key's counter, read holding the key until the unit of work ends: a concurrent
        unit holding it waits, so a count read after this call and written with :meth:`put`
        stays exact. Hold several keys in one order (login name, then source)."""

    @abc.abstractmethod
    def put(self, counter: LoginCounter) -> None:
        """Store the counter of ``counter.key`` (inserted or replaced)."""

    @abc.abstractmethod
    def purge(self, before: datetime) -> int:
        """Delete the counters whose lockout (if any) ended by ``before`` and whose last failure
        (if any) was before it; how many were deleted. Callers pass ``now - max_lockout``: older
        counters no longer change what a login is answered."""


class OutboxRepository(abc.ABC):
    """Messages for the portal to deliver, written in the unit of work that caused them."""

    @abc.abstractmethod
    def add(self, message: OutboxMessage) -> None:
        """Append a message."""

    @abc.abstractmethod
    def get(self, message_id: str) -> OutboxMessage | None:
        """The message, or ``None``."""

    @abc.abstractmethod
    def pending(self, limit: int) -> tuple[OutboxMessage, ...]:
        """Up to ``limit`` undelivered messages (``sent_at`` is ``None``), oldest first by
        ``created_at`` then id (indexed)."""

    @abc.abstractmethod
    def mark_sent(self, message_id: str, at: datetime, owner: str | None = None) -> None:
        """Record delivery at ``at``, end any lease and erase the body (it may hold a code).

        A message already delivered stays as it is (a second report is harmless).

        Args:
            owner: the dispatcher reporting; it must hold the message's lease. ``None``: the
                portal reports a delivery it made itself, whoever holds a lease.

        Raises:
            NotFoundError: no such message.
            LeaseLost: ``owner`` does not hold the lease of the undelivered message.
        """

    @abc.abstractmethod
    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int,
              channels: Collection[Channel] | None = None) -> tuple[OutboxMessage, ...]:
        """Lease up to ``limit`` due messages (:meth:`OutboxMessage.is_due` at ``now``) of
        ``channels`` (all by default) to ``owner`` until ``now + lease``, oldest first by
        ``created_at`` then id; each one's ``attempts`` grows by one. Returns them as leased.

        Claims are atomic: units claiming at once (threads, processes, hosts) never receive the
        same message while its lease runs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the write
        lock on SQLite; a check at commit in memory, :class:`~mdreg.errors.ConcurrencyConflict`
        for the loser). The lease holds once the unit commits.
        """

    @abc.abstractmethod
    def failed(self, message_id: str, owner: str, at: datetime, error: str,
               retry_at: datetime) -> None:
        """A delivery attempt by ``owner`` failed at ``at``: end the lease, keep ``error`` (short,
        no personal data) and try again from ``retry_at``.

        Raises:
            NotFoundError: no such message.
            LeaseLost: ``owner`` does not hold the lease of an undelivered message.
        """

    @abc.abstractmethod
    def park(self, message_id: str, owner: str, at: datetime, error: str) -> None:
        """Stop trying a message ``owner`` holds (after too many failures): end the lease, keep
        ``error`` and record ``parked_at``; no claim returns it again.

        Raises:
            NotFoundError: no such message.
            LeaseLost: ``owner`` does not hold the lease of an undelivered message.
        """

    @abc.abstractmethod
    def counts(self, now: datetime) -> OutboxCounts:
        """How many messages are pending, leased, sent and parked at ``now``."""


class NoticeRepository(abc.ABC):
    """Notices as issued (:class:`~mdreg.domain.notices.Notice`), written in the unit of work of
    the decision they notify; never changed afterwards."""

    @abc.abstractmethod
    def add(self, notice: Notice) -> None:
        """Store a new notice; an existing id raises
        :class:`~mdreg.errors.UniquenessConflict` (``notice_id``) here or at commit."""

    @abc.abstractmethod
    def get(self, notice_id: str) -> Notice | None:
        """The notice, or ``None``."""

    @abc.abstractmethod
    def for_subject(self, subject_id: str) -> tuple[Notice, ...]:
        """Every notice of an application or personal change, oldest first by ``issued_at``
        then id (indexed by subject)."""

    @abc.abstractmethod
    def counts(self) -> Mapping[str, int]:
        """How many notices of each kind are stored, by kind value (kinds without notices left
        out; a full count, not for hot paths)."""


class PersonalChangeRepository(abc.ABC):
    """Personal changes (info, photo, department), with optimistic concurrency on ``version``."""

    @abc.abstractmethod
    def get(self, change_id: str) -> PersonalChange | None:
        """The change, or ``None``."""

    @abc.abstractmethod
    def add(self, change: PersonalChange) -> None:
        """Store a new change (version 1); a second pending change of one physician and kind
        raises :class:`~mdreg.errors.UniquenessConflict` at commit."""

    @abc.abstractmethod
    def save(self, change: PersonalChange, expected_version: int) -> None:
        """Replace a change whose stored version is ``expected_version``; checked at commit."""

    @abc.abstractmethod
    def pending_for(self, physician_id: str, kind: ChangeKind) -> PersonalChange | None:
        """The physician's pending change of ``kind``, if any (indexed)."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> tuple[PersonalChange, ...]:
        """Every change of one physician, any state, oldest first (indexed)."""

    @abc.abstractmethod
    def inbox(self, institution_id: str, state: str) -> tuple[PersonalChange, ...]:
        """Changes in ``state`` routed to an institution, oldest first (indexed)."""


class PracticeInfoRepository(abc.ABC):
    """The practice-registration copy of personal details, one row per physician."""

    @abc.abstractmethod
    def get(self, physician_id: str) -> PracticeInfo | None:
        """The physician's row, or ``None`` (nothing approved yet)."""

    @abc.abstractmethod
    def save(self, info: PracticeInfo, expected_version: int) -> None:
        """Insert (``expected_version`` 0) or replace a row; the stored version (0 when absent)
        must equal ``expected_version``, here and at commit."""


class AssessmentRepository(Repository[Assessment]):
    """Periodic assessment results (reference data)."""

    @abc.abstractmethod
    def for_physician(self, physician_id: str) -> tuple[Assessment, ...]:
        """Every result of one physician, oldest first (indexed)."""


class DeadlineRepository(abc.ABC):
    """Legal deadlines (:mod:`mdreg.domain.deadlines`), with optimistic concurrency on ``version``.

    Queries return rows ordered by ``(due, id)`` unless stated otherwise; "open" means status
    ``open``. The open ones are indexed by due date.
    """

    #: Whether a claim skips the rows another open unit has claimed (memory, PostgreSQL with
    #: ``FOR UPDATE SKIP LOCKED``). ``False``: claims are serialized instead — on SQLite a
    #: claim takes the database's single write lock first, so a second one waits for the
    #: first unit to end and then sees what it left.
    concurrent_claims: bool = True

    @abc.abstractmethod
    def get(self, deadline_id: str) -> Deadline | None:
        """The deadline, or ``None``."""

    @abc.abstractmethod
    def add(self, deadline: Deadline) -> None:
        """Store a new deadline (any version). An existing id raises
        :class:`~mdreg.errors.UniquenessConflict` (``deadline_id``); a second open deadline of
        one subject and kind raises it (``open_deadline``) here or at commit."""

    @abc.abstractmethod
    def save(self, deadline: Deadline, expected_version: int) -> None:
        """Replace a deadline whose stored version is ``expected_version`` (checked again at
        commit: :class:`~mdreg.errors.ConcurrencyConflict`)."""

    @abc.abstractmethod
    def for_subject(self, subject_id: str) -> tuple[Deadline, ...]:
        """Every deadline of an application or registration, any status, ordered by
        ``(opened_at, id)`` (indexed by subject)."""

    def count(self, subject_id: str, kind: str) -> int:
        """How many deadlines of ``kind`` (a :class:`~mdreg.domain.deadlines.DeadlineKind` value) the
        subject ever had; a backend answers from an index without loading them."""
        return sum(d.kind.value == kind for d in self.for_subject(subject_id))

    @abc.abstractmethod
    def open_for(self, subject_id: str) -> tuple[Deadline, ...]:
        """The subject's open deadlines (at most one per kind)."""

    @abc.abstractmethod
    def overdue(self, as_of: date) -> tuple[Deadline, ...]:
        """Open deadlines whose last day is before ``as_of``, flagged or not."""

    @abc.abstractmethod
    def due_between(self, start: date, end: date) -> tuple[Deadline, ...]:
        """Open deadlines whose last day is in ``[start, end]``."""

    def provisional(self, since: date) -> tuple[Deadline, ...]:
        """Open provisional deadlines (counted through a year without holiday data) whose
        last day is on or after ``since``, by due date; a backend may select them where they
        are stored."""
        return tuple(d for d in self.due_between(since, date.max) if d.provisional)

    @abc.abstractmethod
    def claim_reminders(self, as_of: date, horizon: date, limit: int,
                        exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        """Lock and return up to ``limit`` open decision deadlines not yet reminded whose last
        day is in ``[as_of, horizon]``, soonest first, skipping those another open unit has
        claimed and those in ``exclude``; the caller marks each reminded before it commits
        (as with :meth:`claim`)."""

    @abc.abstractmethod
    def claim(self, as_of: date, limit: int,
              exclude: Collection[str] = ()) -> tuple[Deadline, ...]:
        """Lock and return up to ``limit`` open, unflagged deadlines whose last day is before
        ``as_of``, oldest due first, skipping those another open unit has claimed and those
        whose id is in ``exclude`` (deadlines the caller cannot handle now).

        The claim lasts until this unit commits or rolls back (or its process dies: the
        database releases the locks). The caller changes every claimed row before it commits
        (fires, closes or flags it), so a later claim does not return it again. Several units
        claiming at once never receive the same row.
        """


@attrs.frozen
class RuleInputs:
    """What the eligibility rules read about one application's physician, institution and
    deciding department (``None``: not found)."""

    physician: Physician | None
    institution: Institution | None
    department: HealthDepartment | None
    registrations: tuple[Registration, ...]
    filings: tuple[Filing, ...]
    legacy: tuple[LegacySite, ...]


@attrs.frozen
class WorkQuery:
    """A page of a work list: the applications routed to one institution (``holder``
    ``"institution"``) or department (``"department"``) in ``states``, of ``types`` (all when
    empty), due on or before ``due_by`` (any when ``None``), ordered by their earliest open
    deadline (none: last) and id, after the ``(due, id)`` key ``after``. A state that closes an
    application (:data:`~mdreg.domain.application.CLOSED_STATES`) lists nothing: no party acts
    on a closed application."""

    holder: str
    party: str
    states: tuple[str, ...]
    limit: int
    types: tuple[str, ...] = ()
    due_by: date | None = None
    after: tuple[date, str] | None = None


#: The due date of an application without an open deadline, for ordering (last).
NO_DUE_DATE = date.max


class SnapshotNeeded(Exception):
    """A unit asked to run one statement (:meth:`UnitOfWork.one_statement`) was asked for a
    second: its caller runs the query again in a unit that opens a transaction."""


class UnitOfWork(abc.ABC):
    """One transaction over every repository; rolls back unless committed."""

    physicians: PhysicianRepository
    institutions: Repository[Institution]
    departments: DepartmentRepository
    registrations: RegistrationRepository
    filings: FilingRepository
    legacy: LegacyRepository
    applications: ApplicationRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    accounts: AccountRepository
    codes: OneTimeCodeRepository
    login_attempts: LoginAttemptRepository
    outbox: OutboxRepository
    notices: NoticeRepository
    personal_changes: PersonalChangeRepository
    practice_info: PracticeInfoRepository
    assessments: AssessmentRepository
    deadlines: DeadlineRepository
    calendar_years: CalendarYearStore
    revisions: RevisionStore

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def one_statement(self) -> bool:
        """Ask a unit that has not run anything yet to run its first statement, a read, outside
        any transaction: one statement reads one moment by itself, so a read-only query that
        needs one statement (a check on PostgreSQL) spares the ``BEGIN`` and the ``ROLLBACK``.
        Any further statement then raises :class:`SnapshotNeeded` instead of running, and the
        caller runs its query again in a fresh unit (:func:`mdreg.service.services.read`).

        Returns:
            whether the unit does so (here: no, every unit reads one moment anyway).
        """
        return False

    def rule_inputs(self, physician_id: str, institution_id: str,
                    department_id: str) -> RuleInputs:
        """The rows the rules read, through the repositories; a backend may fetch them in
        fewer round trips (the SQL one sends them together)."""
        return RuleInputs(
            self.physicians.get(physician_id), self.institutions.get(institution_id),
            self.departments.get(department_id), self.registrations.for_physician(physician_id),
            self.filings.for_physician(physician_id), self.legacy.for_physician(physician_id))

    def work_list(self, query: WorkQuery) -> tuple[tuple[Application, date], ...]:
        """A page of a work list (see :class:`WorkQuery`), each application with its earliest
        open deadline's due date (:data:`NO_DUE_DATE` when it has none); through the
        repositories here, in one statement on SQL backends."""
        found = []
        for state in query.states:
            if state in CLOSED_STATES:
                continue
            for app in self.applications.inbox(state=state, **{f"{query.holder}_id": query.party}):
                if query.types and app.type.value not in query.types:
                    continue
                due = min((d.due for d in self.deadlines.open_for(app.id)), default=NO_DUE_DATE)
                key = (due, app.id)
                if (query.after is None or key > query.after) and (
                        query.due_by is None or due <= query.due_by):
                    found.append((key, app))
        found.sort(key=lambda item: item[0])
        return tuple((app, key[0]) for key, app in found[:query.limit])

    def state_counts(self, holder: str, party: str, states: tuple[str, ...]) -> dict[str, int]:
        """How many applications routed to one institution or department are in each of
        ``states`` (states without any left out)."""
        counts = {state: len(self.applications.inbox(state=state, **{f"{holder}_id": party}))
                  for state in states}
        return {state: n for state, n in counts.items() if n}

    def application_for_rules(self, application_id: str, *, hold: bool = True
                              ) -> Application | None:
        """The application (``None``: not found), read so that :meth:`rule_inputs` for it
        costs nothing more where a backend can read both at once (PostgreSQL: one statement).

        The unit holds the application's physician first (:meth:`hold_physician`), so the
        application and the rows its rules read include everything other holders committed.
        With ``hold`` false (a check or an explanation: nothing is decided) it does not: the
        application and the rows its rules read are read as the unit reads everything, from
        one moment, and no command of the physician waits for the unit, nor it for one."""
        app = self.applications.get(application_id)
        if app is None or not hold:
            return app
        if self.hold_physician(app.physician_id):
            app = self.applications.get(application_id)
        return app

    @abc.abstractmethod
    def hold_physician(self, physician_id: str) -> bool:
        """Serialize this unit with every other unit that holds the same physician, until it
        ends (commit or rollback); reads from now on see what those units committed.

        A rule may read rows beyond the application it decides (the physician's other
        registrations, filings, multi-site records): two commands of one physician that each
        pass alone may not pass together. A command holds the physician before the rules read,
        so the second sees the first's outcome. Holding again is free.

        Returns:
            ``True`` when this call took the hold (rows read before it may be stale).
        """

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
