"""The SQL schema: SQLModel table classes on mdreg's own metadata.

One row per aggregate root. Columns hold what a query, an index or a constraint needs; every
other field of the entity lives in ``doc``, a JSON text written by the cattrs converter, so new
payload fields need no migration. Invariants that span rows are partial unique indexes whose
predicates are SQL literals (a bound predicate makes PostgreSQL's generic plan ignore them).

The table classes are never instantiated: the adapter uses their ``__table__`` with SQLAlchemy
Core. They never leave :mod:`mdreg.adapters.sql`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, Integer, MetaData, Table, Text, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from mdreg.adapters.sql.types import UTCDateTime
from mdreg.domain.application import CLOSED_STATES
from mdreg.domain.deadlines import PROVISIONAL
from mdreg.domain.model import FilingStatus, Level, RegistrationStatus
from mdreg.errors import DefinitionError
from mdreg.ports import NO_DUE_DATE

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: mdreg's tables only: a host application's own SQLModel tables stay out of our migrations.
METADATA = MetaData(naming_convention=NAMING_CONVENTION)


def _literal_in(values: frozenset[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


#: Partial-index predicates, as SQL literals.
VALID_REGISTRATION = f"status = '{RegistrationStatus.VALID.value}'"
VALID_ASSISTANT_REGISTRATION = f"{VALID_REGISTRATION} AND level = '{Level.ASSISTANT.value}'"
FILED_REGISTRATION = f"status = '{RegistrationStatus.FILED.value}'"
ACTIVE_FILING = f"status = '{FilingStatus.ACTIVE.value}'"
OPEN_APPLICATION = f"state NOT IN ({_literal_in(CLOSED_STATES)})"


def partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` (literal SQL), on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=True, sqlite_where=text(where),
                 postgresql_where=text(where))


class TableModel(SQLModel, registry=registry(metadata=METADATA)):
    """Base of mdreg's table classes."""


class PhysicianRow(TableModel, table=True):
    __tablename__ = "physicians"
    __table_args__ = (Index("physician_id_number", "id_number", unique=True),)

    id: str = Field(primary_key=True)
    id_number: str
    name: str
    doc: str = Field(sa_type=Text)


class DepartmentRow(TableModel, table=True):
    __tablename__ = "departments"
    __table_args__ = (Index("ix_departments_division", "division", "id"),)

    id: str = Field(primary_key=True)
    name: str
    division: str
    doc: str = Field(sa_type=Text)


class InstitutionRow(TableModel, table=True):
    __tablename__ = "institutions"

    id: str = Field(primary_key=True)
    name: str
    division: str
    kind: str
    approved_by: str
    doc: str = Field(sa_type=Text)


class RegistrationRow(TableModel, table=True):
    __tablename__ = "registrations"
    __table_args__ = (
        Index("ix_registrations_physician_id", "physician_id", "id"),
        partial_unique("registration_location", "physician_id", "location",
                       where=VALID_REGISTRATION),
        partial_unique("assistant_single_registration", "physician_id",
                       where=VALID_ASSISTANT_REGISTRATION),
        Index("ix_registrations_filed_on", "filed_on", sqlite_where=text(FILED_REGISTRATION),
              postgresql_where=text(FILED_REGISTRATION)),
    )

    id: str = Field(primary_key=True)
    physician_id: str
    qualification_no: str
    level: str
    category: str
    location: str
    primary_institution_id: str
    approved_by: str
    approved_on: date
    certificate_no: str
    status: str
    ended_on: date | None = None
    application_id: str | None = None
    filed_on: date | None = None
    doc: str = Field(sa_type=Text)


class FilingRow(TableModel, table=True):
    __tablename__ = "filings"
    __table_args__ = (
        Index("ix_filings_physician_id", "physician_id", "id"),
        partial_unique("active_filing", "registration_id", "institution_id", where=ACTIVE_FILING),
        Index("ix_filings_active_valid_to", "valid_to", "id", sqlite_where=text(ACTIVE_FILING),
              postgresql_where=text(ACTIVE_FILING)),
    )

    id: str = Field(primary_key=True)
    registration_id: str
    physician_id: str
    institution_id: str
    valid_from: date
    valid_to: date
    approved_by: str
    status: str
    ended_on: date | None = None
    application_id: str | None = None
    doc: str = Field(sa_type=Text)


class LegacySiteRow(TableModel, table=True):
    __tablename__ = "legacy_sites"
    __table_args__ = (Index("ix_legacy_sites_physician_id", "physician_id", "id"),)

    id: str = Field(primary_key=True)
    physician_id: str
    registration_id: str
    institution_id: str
    started_on: date
    status: str
    ended_on: date | None = None
    doc: str = Field(sa_type=Text)


class ApplicationRow(TableModel, table=True):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_physician_id", "physician_id", "id"),
        Index("ix_applications_institution_inbox", "institution_id", "state", "id"),
        Index("ix_applications_department_inbox", "department_id", "state", "id"),
        # work lists: a holder's open applications in the order of their earliest open deadline
        Index("ix_applications_department_work", "department_id", "work_due", "id", "state",
              sqlite_where=text(OPEN_APPLICATION), postgresql_where=text(OPEN_APPLICATION)),
        Index("ix_applications_institution_work", "institution_id", "work_due", "id", "state",
              sqlite_where=text(OPEN_APPLICATION), postgresql_where=text(OPEN_APPLICATION)),
        partial_unique("open_application", "physician_id", "type", "target",
                       where=OPEN_APPLICATION),
    )

    id: str = Field(primary_key=True)
    type: str
    physician_id: str
    institution_id: str
    department_id: str
    target: str
    state: str
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    application_date: date
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    batch_id: str | None = None
    #: the earliest due date of its open deadlines (9999-12-31: none), kept by the database's
    #: triggers on ``deadlines`` (migration 0015); not a field of the entity
    work_due: date = Field(sa_column_kwargs={"server_default": text(f"'{NO_DUE_DATE}'")})
    doc: str = Field(sa_type=Text)


#: the audit events the tail orders by (transaction, id): PostgreSQL's
TAILED = "xact IS NOT NULL"


class AuditEventRow(TableModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("audit_seq", "aggregate_id", "seq", unique=True),
        # the tail's order on PostgreSQL; empty on SQLite, which leaves xact NULL
        Index("audit_tail", "xact", "id", sqlite_where=text(TAILED), postgresql_where=text(TAILED)),
    )

    # INTEGER PRIMARY KEY is SQLite's rowid (no extra index); BIGINT identity on PostgreSQL.
    id: int | None = Field(default=None, primary_key=True,
                           sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    #: PostgreSQL: the id of the transaction that appended the event (0 before migration 0010)
    xact: int | None = Field(default=None, sa_type=BigInteger)
    aggregate_id: str
    seq: int
    event: str
    from_state: str
    to_state: str
    at: datetime = Field(sa_type=UTCDateTime)
    policy: str
    doc: str = Field(sa_type=Text)


# -- the personal portal ----------------------------------------------------------------------

PENDING_CHANGE = "state = 'pending'"
UNSENT = "sent_at IS NULL"
#: Messages a dispatcher may still claim: neither delivered nor parked.
UNDELIVERED = "sent_at IS NULL AND parked_at IS NULL"


class AccountRow(TableModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("account_login_name", "login_key", unique=True),
        Index("account_physician", "physician_id", unique=True),
    )

    id: str = Field(primary_key=True)
    physician_id: str
    login_name: str
    login_key: str  # login_name case-folded in Python (SQL lower() folds differently)
    state: str
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


class OneTimeCodeRow(TableModel, table=True):
    __tablename__ = "one_time_codes"
    __table_args__ = (
        Index("ix_one_time_codes_account", "account_id", "purpose", "issued_at"),
        Index("ix_one_time_codes_destination", "destination", "issued_at"),
    )

    id: str = Field(primary_key=True)
    account_id: str
    purpose: str
    destination: str
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: str
    version: int
    doc: str = Field(sa_type=Text)


class LoginAttemptRow(TableModel, table=True):
    """Failed-login counters; ``key`` is a keyed hash, never a login name or an address."""

    __tablename__ = "login_attempts"

    key: str = Field(primary_key=True)
    last_failure: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


class OutboxMessageRow(TableModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_unsent", "created_at", "id", sqlite_where=text(UNSENT),
              postgresql_where=text(UNSENT)),
        Index("ix_outbox_messages_undelivered", "created_at", "id",
              sqlite_where=text(UNDELIVERED), postgresql_where=text(UNDELIVERED)),
    )

    id: str = Field(primary_key=True)
    channel: str
    template: str
    aggregate_id: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    parked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str
    doc: str = Field(sa_type=Text)


class PersonalChangeRow(TableModel, table=True):
    __tablename__ = "personal_changes"
    __table_args__ = (
        Index("ix_personal_changes_physician", "physician_id", "created_at", "id"),
        Index("ix_personal_changes_inbox", "institution_id", "state", "created_at", "id"),
        partial_unique("pending_personal_change", "physician_id", "kind", where=PENDING_CHANGE),
    )

    id: str = Field(primary_key=True)
    physician_id: str
    kind: str
    institution_id: str
    state: str
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


class PracticeInfoRow(TableModel, table=True):
    __tablename__ = "practice_info"

    physician_id: str = Field(primary_key=True)
    version: int
    doc: str = Field(sa_type=Text)


class AssessmentRow(TableModel, table=True):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_physician", "physician_id", "assessed_on", "id"),)

    id: str = Field(primary_key=True)
    physician_id: str
    cycle: str
    result: str
    assessed_on: date
    doc: str = Field(sa_type=Text)


# -- deadlines ---------------------------------------------------------------------------------

OPEN_DEADLINE = "status = 'open'"
#: Open and not flagged yet: what a tick claims. Deadlines flagged and still open (an overdue
#: application not decided yet) stay out of this index, so a claim does not step over them.
UNFLAGGED_DEADLINE = "status = 'open' AND flagged_on IS NULL"
#: Open and counted through a year without holiday data (``source`` 'fallback'): what a tick
#: counts again when a year's schedule arrives, without stepping over the others.
PROVISIONAL_DEADLINE = f"status = 'open' AND source = '{PROVISIONAL}'"


class DeadlineRow(TableModel, table=True):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_subject", "subject_id", "opened_at", "id"),
        partial_unique("open_deadline", "subject_id", "kind", where=OPEN_DEADLINE),
        Index("ix_deadlines_open_due", "due", "id", sqlite_where=text(OPEN_DEADLINE),
              postgresql_where=text(OPEN_DEADLINE)),
        Index("ix_deadlines_unflagged_due", "due", "id", sqlite_where=text(UNFLAGGED_DEADLINE),
              postgresql_where=text(UNFLAGGED_DEADLINE)),
        Index("ix_deadlines_provisional_due", "due", "id",
              sqlite_where=text(PROVISIONAL_DEADLINE), postgresql_where=text(PROVISIONAL_DEADLINE)),
    )

    id: str = Field(primary_key=True)
    kind: str
    subject_id: str
    physician_id: str
    start: date
    due: date
    source: str
    opened_at: datetime = Field(sa_type=UTCDateTime)
    status: str
    version: int
    closed_on: date | None = None
    flagged_on: date | None = None
    reminded_on: date | None = None
    doc: str = Field(sa_type=Text)


class IdempotencyKeyRow(TableModel, table=True):
    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True)
    fingerprint: str
    result: str = Field(sa_type=Text)


class CalendarYearRow(TableModel, table=True):
    __tablename__ = "calendar_years"

    year: int = Field(primary_key=True, sa_type=Integer)
    source: str
    imported_at: datetime = Field(sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


class PolicyRevisionRow(TableModel, table=True):
    __tablename__ = "policy_revisions"

    revision: str = Field(primary_key=True)
    published_at: datetime = Field(sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


class NoticeRow(TableModel, table=True):
    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_subject", "subject_id", "issued_at", "id"),)

    id: str = Field(primary_key=True)
    kind: str
    subject_id: str
    physician_id: str
    issued_at: datetime = Field(sa_type=UTCDateTime)
    doc: str = Field(sa_type=Text)


def table(model: type[TableModel]) -> Table:
    """The Core table of a table class."""
    found = model.__table__  # type: ignore[attr-defined]
    if not isinstance(found, Table):  # pragma: no cover - table=True classes have one
        raise DefinitionError(f"{model.__name__} is not a table class")
    return found


physicians = table(PhysicianRow)
departments = table(DepartmentRow)
institutions = table(InstitutionRow)
registrations = table(RegistrationRow)
filings = table(FilingRow)
legacy_sites = table(LegacySiteRow)
applications = table(ApplicationRow)
audit_events = table(AuditEventRow)
idempotency_keys = table(IdempotencyKeyRow)
accounts = table(AccountRow)
one_time_codes = table(OneTimeCodeRow)
outbox_messages = table(OutboxMessageRow)
login_attempts = table(LoginAttemptRow)
personal_changes = table(PersonalChangeRow)
practice_info = table(PracticeInfoRow)
assessments = table(AssessmentRow)
deadlines = table(DeadlineRow)
calendar_years = table(CalendarYearRow)
policy_revisions = table(PolicyRevisionRow)
notices = table(NoticeRow)
