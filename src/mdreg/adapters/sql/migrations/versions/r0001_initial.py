"""Registry (physicians, departments, institutions, registrations, filings, legacy sites),
applications, audit events and idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Literal predicates, frozen here: a later change to the open states is a new migration.
VALID = "status = 'valid'"
VALID_ASSISTANT = "status = 'valid' AND level = 'assistant'"
ACTIVE = "status = 'active'"
FILED = "status = 'filed'"
OPEN = ("state IN ('draft', 'needs_correction', 'pending_acceptance', 'pending_institution', "
        "'returned', 'under_review')")
TIMESTAMP = sa.DateTime(timezone=True)


def _key(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _doc() -> sa.Column[str]:
    return sa.Column("doc", sa.Text(), nullable=False)


def _partial_unique(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(name, table, columns, unique=True, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade() -> None:
    op.create_table(
        "physicians", _key(), _text("id_number"), _text("name"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_physicians"),
    )
    op.create_index("physician_id_number", "physicians", ["id_number"], unique=True)
    op.create_table(
        "departments", _key(), _text("name"), _text("division"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
    )
    op.create_table(
        "institutions", _key(), _text("name"), _text("division"), _text("kind"),
        _text("approved_by"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_institutions"),
    )
    op.create_table(
        "registrations", _key(), _text("physician_id"), _text("qualification_no"),
        _text("level"), _text("category"), _text("location"), _text("primary_institution_id"),
        _text("approved_by"), sa.Column("approved_on", sa.Date(), nullable=False),
        _text("certificate_no"), _text("status"), sa.Column("ended_on", sa.Date(), nullable=True),
        _text("application_id", nullable=True), sa.Column("filed_on", sa.Date(), nullable=True),
        _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_registrations"),
    )
    op.create_index("ix_registrations_physician_id", "registrations", ["physician_id", "id"])
    _partial_unique("registration_location", "registrations", ["physician_id", "location"], VALID)
    _partial_unique("assistant_single_registration", "registrations", ["physician_id"],
                    VALID_ASSISTANT)
    op.create_index("ix_registrations_filed_on", "registrations", ["filed_on"],
                    sqlite_where=sa.text(FILED), postgresql_where=sa.text(FILED))
    op.create_table(
        "filings", _key(), _text("registration_id"), _text("physician_id"),
        _text("institution_id"), sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False), _text("approved_by"), _text("status"),
        sa.Column("ended_on", sa.Date(), nullable=True), _text("application_id", nullable=True),
        _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_filings"),
    )
    op.create_index("ix_filings_physician_id", "filings", ["physician_id", "id"])
    _partial_unique("active_filing", "filings", ["registration_id", "institution_id"], ACTIVE)
    op.create_table(
        "legacy_sites", _key(), _text("physician_id"), _text("registration_id"),
        _text("institution_id"), sa.Column("started_on", sa.Date(), nullable=False),
        _text("status"), sa.Column("ended_on", sa.Date(), nullable=True), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_legacy_sites"),
    )
    op.create_index("ix_legacy_sites_physician_id", "legacy_sites", ["physician_id", "id"])
    op.create_table(
        "applications", _key(), _text("type"), _text("physician_id"), _text("institution_id"),
        _text("department_id"), _text("target"), _text("state"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("application_date", sa.Date(), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("accepted_at", TIMESTAMP, nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        _text("batch_id", nullable=True), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_applications"),
    )
    op.create_index("ix_applications_physician_id", "applications", ["physician_id", "id"])
    op.create_index("ix_applications_institution_inbox", "applications",
                    ["institution_id", "state", "id"])
    op.create_index("ix_applications_department_inbox", "applications",
                    ["department_id", "state", "id"])
    _partial_unique("open_application", "applications", ["physician_id", "type", "target"], OPEN)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _text("aggregate_id"), sa.Column("seq", sa.Integer(), nullable=False), _text("event"),
        _text("from_state"), _text("to_state"), sa.Column("at", TIMESTAMP, nullable=False),
        _text("policy"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("audit_seq", "audit_events", ["aggregate_id", "seq"], unique=True)
    op.create_table(
        "idempotency_keys", _key("key"), _text("fingerprint"),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "audit_events", "applications", "legacy_sites",
                  "filings", "registrations", "institutions", "departments", "physicians"):
        op.drop_table(table)
