"""Every statement the repositories run, built once per dialect (SQLAlchemy caches their
compiled form; building a ``select()`` per call costs more than the indexed lookup itself)."""

from __future__ import annotations

import functools
from typing import Any

import attrs
from sqlalchemy import (
    BigInteger,
    Delete,
    Insert,
    Integer,
    Select,
    Table,
    Text,
    TextClause,
    Update,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from mdreg.adapters.sql import mapping, tables

Statement = Select[Any] | Insert | Update | Delete


def _insert(table: Table, dialect: str) -> postgresql.Insert | sqlite.Insert:
    return sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)


def upsert(table: Table, dialect: str) -> Insert:
    """Insert a row, or replace every non-key column of the row with the same primary key."""
    stmt = _insert(table, dialect)
    keys = list(table.primary_key.columns)
    changes = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
    return stmt.on_conflict_do_update(index_elements=keys, set_=changes)


@functools.cache
def insert_new(table: Table, dialect: str) -> Insert:
    """Insert a row unless its primary key exists (rowcount 0 then). One statement per table
    and dialect for the process, so its compiled plan is found again by every unit of work."""
    return _insert(table, dialect).on_conflict_do_nothing(
        index_elements=list(table.primary_key.columns)).execution_options(preserve_rowcount=True)


def by_key(mapper: mapping.RowMapper[Any]) -> Select[Any]:
    """The entity with primary key ``:key``."""
    (key,) = mapper.table.primary_key.columns
    return select(*mapper.selected).where(key == bindparam("key"))


@attrs.frozen
class Keyed:
    """Get and put for a table keyed by one column, and its rows per physician if it has any."""

    get: Select[Any]
    put: Insert
    of_physician: Select[Any] | None = None
    #: the order of :attr:`of_physician`'s rows (field names)
    order: tuple[str, ...] = ("id",)

    @classmethod
    def build(cls, mapper: mapping.RowMapper[Any], dialect: str,
              order: tuple[str, ...] = ("id",)) -> Keyed:
        table = mapper.table
        of_physician = None
        if "physician_id" in mapper.column_names:
            of_physician = (select(*mapper.selected)
                            .where(table.c.physician_id == bindparam("physician_id"))
                            .order_by(*(table.c[name] for name in order)))
        return cls(by_key(mapper), upsert(table, dialect), of_physician, order)


@attrs.frozen
class Versioned:
    """Get, add and a version-checked save for an aggregate with a ``version`` column."""

    get: Select[Any]
    version: Select[Any]
    add: Insert
    save: Update

    @classmethod
    def build(cls, mapper: mapping.RowMapper[Any], dialect: str) -> Versioned:
        table = mapper.table
        (key,) = table.primary_key.columns
        return cls(
            get=by_key(mapper),
            version=select(table.c.version).where(key == bindparam("key")),
            add=insert_new(table, dialect),
            save=update(table).where(key == bindparam("key"),
                                     table.c.version == bindparam("expected")),
        )


def _rows(mapper: mapping.RowMapper[Any], *conditions: Any, order: tuple[str, ...] = ()
          ) -> Select[Any]:
    table = mapper.table
    return (select(*mapper.selected).where(*conditions)
            .order_by(*(table.c[name] for name in order)))


def _latest_code() -> Select[Any]:
    """Newest by ``issued_at``; on a tie not superseded, then active, then the greater id."""
    codes = tables.one_time_codes
    return _rows(mapping.ONE_TIME_CODES, codes.c.account_id == bindparam("account_id"),
                 codes.c.purpose == bindparam("purpose")).order_by(
        codes.c.issued_at.desc(),
        case((codes.c.status == literal_column("'superseded'"), 0), else_=1).desc(),
        case((codes.c.status == literal_column("'active'"), 1), else_=0).desc(),
        codes.c.id.desc(),
    ).limit(1)


def _lock_destination(dialect: str) -> Select[Any]:
    """Run as a locking read (after the unit's write lock is taken): on PostgreSQL a
    transaction-scoped advisory lock on the destination's hash; on SQLite the write lock itself
    (``BEGIN IMMEDIATE``) serializes every writer, so the statement only has to be harmless."""
    if dialect == "sqlite":
        return select(literal_column("1"))
    key = func.hashtextextended(bindparam("destination", type_=Text()), literal_column("0"))
    return select(func.pg_advisory_xact_lock(key))


def _physician_key(physician_id: Any) -> Any:
    """The advisory-lock key of a physician (PostgreSQL): a hash of ``mdreg.physician:<id>``;
    two physicians sharing a hash only wait for each other."""
    return func.hashtextextended(literal_column("'mdreg.physician:'").op("||")(physician_id),
                                 literal_column("0"))


def _hold_physician(dialect: str) -> Select[Any]:
    """Run as a locking read: on PostgreSQL a transaction-scoped advisory lock on the physician;
    on SQLite the write lock (``BEGIN IMMEDIATE``) already serializes every writer."""
    if dialect == "sqlite":
        return select(literal_column("1"))
    return select(func.pg_advisory_xact_lock(
        _physician_key(bindparam("physician_id", type_=Text()))))


def _hold_applicant() -> Select[Any]:
    """PostgreSQL: the advisory lock on the physician of application ``application_id``."""
    apps = tables.applications
    return select(func.pg_advisory_xact_lock(_physician_key(apps.c.physician_id))).where(
        apps.c.id == bindparam("application_id"))


@attrs.frozen
class PortalStatements:
    """The personal portal's statements: accounts, codes, changes, practice info (the outbox's
    are in :mod:`mdreg.adapters.sql.outbox`)."""

    accounts: Versioned
    account_by_login: Select[Any]
    account_of_physician: Select[Any]
    codes: Versioned
    latest_code: Select[Any]
    codes_sent_since: Select[Any]
    lock_destination: Select[Any]
    changes: Versioned
    pending_change: Select[Any]
    changes_of: Select[Any]
    change_inbox: Select[Any]
    practice_info: Versioned
    assessments: Keyed

    @classmethod
    def build(cls, dialect: str) -> PortalStatements:
        acc, codes, changes = tables.accounts, tables.one_time_codes, tables.personal_changes
        by_time = ("created_at", "id")
        return cls(
            accounts=Versioned.build(mapping.ACCOUNTS, dialect),
            account_by_login=_rows(mapping.ACCOUNTS, acc.c.login_key == bindparam("key")),
            account_of_physician=_rows(mapping.ACCOUNTS,
                                       acc.c.physician_id == bindparam("physician_id")),
            codes=Versioned.build(mapping.ONE_TIME_CODES, dialect),
            latest_code=_latest_code(),
            codes_sent_since=select(func.count()).select_from(codes).where(
                codes.c.destination == bindparam("destination"),
                codes.c.issued_at > bindparam("since", type_=codes.c.issued_at.type)),
            lock_destination=_lock_destination(dialect),
            changes=Versioned.build(mapping.PERSONAL_CHANGES, dialect),
            pending_change=_rows(mapping.PERSONAL_CHANGES,
                                 changes.c.physician_id == bindparam("physician_id"),
                                 changes.c.kind == bindparam("kind"),
                                 text(tables.PENDING_CHANGE)),
            changes_of=_rows(mapping.PERSONAL_CHANGES,
                             changes.c.physician_id == bindparam("physician_id"), order=by_time),
            change_inbox=_rows(mapping.PERSONAL_CHANGES,
                               changes.c.institution_id == bindparam("institution_id"),
                               changes.c.state == bindparam("state"), order=by_time),
            practice_info=Versioned.build(mapping.PRACTICE_INFO, dialect),
            assessments=Keyed.build(mapping.ASSESSMENTS, dialect, order=("assessed_on", "id")),
        )


@attrs.frozen
class Statements:
    """The prepared statements of one dialect."""

    physicians: Keyed
    physician_by_id_number: Select[Any]
    departments_by_division: Select[Any]
    departments: Keyed
    institutions: Keyed
    registrations: Keyed
    registrations_filed: Select[Any]
    filings: Keyed
    filings_lapsed: Select[Any]
    legacy_sites: Keyed
    applications: Versioned
    open_applications: Select[Any]
    institution_inbox: Select[Any]
    department_inbox: Select[Any]
    applications_of_type: Select[Any]
    applications_of_physician: Select[Any]
    append_audit: Insert
    last_seq: Select[Any]
    audit_of: Select[Any]
    audit_count: Select[Any]
    #: SQLite: events after an id; PostgreSQL: after an event, in the tail's order, each row
    #: led by whether the position is an event's (see :func:`_tail_page`)
    audit_since: Select[Any]
    idempotency_get: Select[Any]
    idempotency_put: Insert
    portal: PortalStatements
    #: Serializes the units of one physician (see :meth:`~mdreg.ports.UnitOfWork.hold_physician`)
    hold_physician: Select[Any]
    #: PostgreSQL: the same, for the physician of an application
    hold_applicant: Select[Any] | None = None
    #: PostgreSQL: everything the rules read in one statement (see :func:`rule_inputs`)
    rule_inputs: TextClause | None = None
    #: PostgreSQL: an application and everything the rules read about it, in one statement
    application_rule_inputs: TextClause | None = None
    #: PostgreSQL: :attr:`audit_since` rows start with whether the position is an event's
    tail_checks_position: bool = False

    @classmethod
    def build(cls, dialect: str) -> Statements:
        apps, audit, idem = tables.applications, tables.audit_events, tables.idempotency_keys
        app_columns = mapping.APPLICATIONS.selected
        return cls(
            physicians=Keyed.build(mapping.PHYSICIANS, dialect),
            physician_by_id_number=select(*mapping.PHYSICIANS.selected).where(
                tables.physicians.c.id_number == bindparam("id_number")),
            departments_by_division=select(*mapping.DEPARTMENTS.selected).where(
                tables.departments.c.division == bindparam("division")
            ).order_by(tables.departments.c.id),
            departments=Keyed.build(mapping.DEPARTMENTS, dialect),
            institutions=Keyed.build(mapping.INSTITUTIONS, dialect),
            registrations=Keyed.build(mapping.REGISTRATIONS, dialect),
            registrations_filed=select(*mapping.REGISTRATIONS.selected)
            .where(text(tables.FILED_REGISTRATION),
                   tables.registrations.c.filed_on <= bindparam("on_or_before")),
            filings=Keyed.build(mapping.FILINGS, dialect),
            filings_lapsed=select(*mapping.FILINGS.selected)
            .where(text(tables.ACTIVE_FILING),
                   tables.filings.c.valid_to < bindparam("before"))
            .order_by(tables.filings.c.valid_to, tables.filings.c.id).limit(bindparam("limit")),
            legacy_sites=Keyed.build(mapping.LEGACY_SITES, dialect),
            applications=Versioned.build(mapping.APPLICATIONS, dialect),
            open_applications=select(*app_columns)
            .where(apps.c.physician_id == bindparam("physician_id"),
                   text(tables.OPEN_APPLICATION)).order_by(apps.c.id),
            institution_inbox=select(*app_columns)
            .where(apps.c.institution_id == bindparam("party"), apps.c.state == bindparam("state"))
            .order_by(apps.c.id),
            department_inbox=select(*app_columns)
            .where(apps.c.department_id == bindparam("party"), apps.c.state == bindparam("state"))
            .order_by(apps.c.id),
            applications_of_physician=select(*app_columns)
            .where(apps.c.physician_id == bindparam("physician_id")).order_by(apps.c.id),
            applications_of_type=select(*app_columns)
            .where(apps.c.type == bindparam("type"), apps.c.id > bindparam("after"))
            .order_by(apps.c.id).limit(bindparam("limit", type_=Integer)),
            append_audit=_append_audit(dialect),
            last_seq=select(func.coalesce(func.max(audit.c.seq), 0))
            .where(audit.c.aggregate_id == bindparam("aggregate_id")),
            audit_of=select(*mapping.AUDIT_EVENTS.selected)
            .where(audit.c.aggregate_id == bindparam("aggregate_id")).order_by(audit.c.seq),
            audit_count=select(func.count()).select_from(audit),
            audit_since=_tail_page() if dialect == "postgresql"
            else select(audit.c.id, *mapping.AUDIT_EVENTS.selected)
            .where(audit.c.id > bindparam("position")).order_by(audit.c.id)
            .limit(bindparam("limit")),
            tail_checks_position=dialect == "postgresql",
            idempotency_get=select(idem.c.fingerprint, idem.c.result)
            .where(idem.c.key == bindparam("key")),
            idempotency_put=insert(idem),
            portal=PortalStatements.build(dialect),
            hold_physician=_hold_physician(dialect),
            hold_applicant=_hold_applicant() if dialect == "postgresql" else None,
            rule_inputs=rule_inputs() if dialect == "postgresql" else None,
            application_rule_inputs=(rule_inputs(by_application=True)
                                     if dialect == "postgresql" else None),
        )


#: The parts of :func:`rule_inputs`, in order: (mapper, key column, parameter).
RULE_INPUT_PARTS: tuple[tuple[mapping.RowMapper[Any], str, str], ...] = (
    (mapping.PHYSICIANS, "id", "physician_id"),
    (mapping.INSTITUTIONS, "id", "institution_id"),
    (mapping.DEPARTMENTS, "id", "department_id"),
    (mapping.REGISTRATIONS, "physician_id", "physician_id"),
    (mapping.FILINGS, "physician_id", "physician_id"),
    (mapping.LEGACY_SITES, "physician_id", "physician_id"),
)


#: The part of :func:`rule_inputs` that holds the physician's portal account (the rules of a
#: submission read its state; a decision's effects read it too).
ACCOUNT_PART = len(RULE_INPUT_PARTS)


def rule_inputs(*, by_application: bool = False) -> TextClause:
    """PostgreSQL: the rows of :data:`RULE_INPUT_PARTS`, and the physician's account as part
    :data:`ACCOUNT_PART`, as ``(part, id, row)``, ``row`` a JSON object of the selected
    columns, ordered by part and then as the per-part queries order them (by ``id``). One
    statement instead of seven: each lookup is still an index probe.

    ``by_application``: the parameter is ``:application_id`` instead; part ``-1`` is the
    application itself and the other parts read the ids from its row."""
    parts = []
    if by_application:
        parts.append(_part(-1, mapping.APPLICATIONS, "id", ":application_id"))
    account = (mapping.ACCOUNTS, "physician_id", "physician_id")
    for number, (mapper, key, parameter) in enumerate((*RULE_INPUT_PARTS, account)):
        value = (f"(SELECT {parameter} FROM applications WHERE id = :application_id)"  # noqa: S608
                 if by_application else f":{parameter}")
        parts.append(_part(number, mapper, key, value))
    return text("\nUNION ALL\n".join(parts) + "\nORDER BY part, n")


def _part(number: int, mapper: mapping.RowMapper[Any], key: str, value: str) -> str:
    table = mapper.table.name
    columns = ", ".join(c.name for c in mapper.selected)
    return (  # names from mdreg's own metadata, values bound
        f"SELECT {number} AS part, t.id AS n, "  # noqa: S608
        f"row_to_json(t) AS row FROM (SELECT {columns} FROM {table} "
        f"WHERE {table}.{key} = {value}) AS t")


#: PostgreSQL: the writing transaction's id.
CURRENT_XACT = "pg_current_xact_id()::text::bigint"
#: PostgreSQL: the oldest transaction id that may still write this database's tables as seen by
#: the statement's snapshot: every transaction below it has committed or rolled back. That is
#: the snapshot's xmin, except that transactions shown running on another database of the server
#: (``pg_stat_activity``) are passed over — they cannot write here; an id not found there (it
#: ended meanwhile, a prepared transaction, statistics hidden) counts, as does the reader's own.
SETTLED_BELOW = """(SELECT least(coalesce(min(x::text::bigint),
                          pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
                 pg_current_xact_id_if_assigned()::text::bigint)
 FROM pg_snapshot_xip(pg_current_snapshot()) AS x
 WHERE xid(x) NOT IN (SELECT backend_xid FROM pg_stat_activity
                      WHERE backend_xid IS NOT NULL AND datid <> (
                          SELECT oid FROM pg_database WHERE datname = current_database())))"""


def _tail_page() -> Select[Any]:
    """PostgreSQL: events after the one at ``position``, ordered by the appending
    transaction's id and then by id, whose transactions all ended before the statement's
    snapshot.

    An id is taken at insert, so ids do not follow commits: a transaction that took id 9 can
    commit after one that took id 10. Transaction ids do not either, but every transaction still
    in progress — or yet to start — has an id at or above the snapshot's xmin, so no event can
    later join the tail before the events this returns: the tail only grows at its end, without
    a lock that would hold the writers off (transactions on other databases of the server do not
    hold the tail back: :data:`SETTLED_BELOW`).

    One statement tells an empty page from a position no event has: its rows are ``(known,
    id, …columns)``, ``known`` whether the position is 0 or an event's, and a page without
    events is one row whose ``id`` is NULL."""
    audit, at = tables.audit_events, tables.audit_events.alias("at_position")
    position = bindparam("position", type_=BigInteger)
    # position 0: from the start; a position no event has: nothing
    start = func.coalesce(select(at.c.xact).where(at.c.id == position).scalar_subquery(),
                          case((position == 0, -1)))
    after = tuple_(audit.c.xact, audit.c.id) > tuple_(start, position)
    selected = mapping.AUDIT_EVENTS.selected
    page = (select(audit.c.xact, audit.c.id, *selected)
            .where(after, audit.c.xact < literal_column(SETTLED_BELOW))
            .order_by(audit.c.xact, audit.c.id).limit(bindparam("limit", type_=Integer))
            .lateral("page"))
    known = select(start.is_not(None).label("known")).subquery("anchor")
    return (select(known.c.known, page.c.id, *(page.c[c.name] for c in selected))
            .select_from(known.outerjoin(page, true()))
            .order_by(page.c.xact, page.c.id))


def _append_audit(dialect: str) -> Insert:
    """Insert an audit event only if its ``seq`` is the aggregate's next number (rowcount 0
    otherwise); the unique index on (aggregate_id, seq) stops a concurrent writer. PostgreSQL
    also stores the transaction's id, which orders the tail (:func:`_tail_page`)."""
    audit = tables.audit_events
    names = [*mapping.AUDIT_EVENTS.column_names, mapping.DOC]
    values: list[Any] = [bindparam(name, type_=audit.c[name].type) for name in names]
    if dialect == "postgresql":
        names.append("xact")
        values.append(literal_column(CURRENT_XACT))
    last = (select(func.coalesce(func.max(audit.c.seq), 0))
            .where(audit.c.aggregate_id == bindparam("aggregate_id", type_=audit.c.aggregate_id.type))
            .scalar_subquery())
    previous = bindparam("seq", type_=audit.c.seq.type) - literal_column("1")
    return (insert(audit).from_select(names, select(*values).where(last == previous))
            .execution_options(preserve_rowcount=True))
