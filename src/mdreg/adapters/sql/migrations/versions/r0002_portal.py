"""Personal portal: accounts, one-time codes, outbox, personal changes, practice info, assessments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
PENDING = "state = 'pending'"
UNSENT = "sent_at IS NULL"


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, TIMESTAMP, nullable=nullable)


def _doc() -> sa.Column[str]:
    return sa.Column("doc", sa.Text(), nullable=False)


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), nullable=False)


def _partial(name: str, table: str, columns: list[str], where: str, *,
             unique: bool = False) -> None:
    op.create_index(name, table, columns, unique=unique, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade() -> None:
    op.create_table(
        "accounts", _text("id"), _text("physician_id"), _text("login_name"), _text("login_key"),
        _text("state"), _version(), _time("created_at"), _time("updated_at"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    op.create_index("account_login_name", "accounts", ["login_key"], unique=True)
    op.create_index("account_physician", "accounts", ["physician_id"], unique=True)
    op.create_table(
        "one_time_codes", _text("id"), _text("account_id"), _text("purpose"),
        _text("destination"), _time("issued_at"), _time("expires_at"), _text("status"),
        _version(), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_codes"),
    )
    op.create_index("ix_one_time_codes_account", "one_time_codes",
                    ["account_id", "purpose", "issued_at"])
    op.create_index("ix_one_time_codes_destination", "one_time_codes",
                    ["destination", "issued_at"])
    op.create_table(
        "outbox_messages", _text("id"), _text("template"), _text("aggregate_id"),
        _time("created_at"), _time("sent_at", nullable=True), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    _partial("ix_outbox_messages_unsent", "outbox_messages", ["created_at", "id"], UNSENT)
    op.create_table(
        "personal_changes", _text("id"), _text("physician_id"), _text("kind"),
        _text("institution_id"), _text("state"), _version(), _time("created_at"),
        _time("updated_at"), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_personal_changes"),
    )
    op.create_index("ix_personal_changes_physician", "personal_changes",
                    ["physician_id", "created_at", "id"])
    op.create_index("ix_personal_changes_inbox", "personal_changes",
                    ["institution_id", "state", "created_at", "id"])
    _partial("pending_personal_change", "personal_changes", ["physician_id", "kind"], PENDING,
             unique=True)
    op.create_table(
        "practice_info", _text("physician_id"), _version(), _doc(),
        sa.PrimaryKeyConstraint("physician_id", name="pk_practice_info"),
    )
    op.create_table(
        "assessments", _text("id"), _text("physician_id"), _text("cycle"), _text("result"),
        sa.Column("assessed_on", sa.Date(), nullable=False), _doc(),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
    )
    op.create_index("ix_assessments_physician", "assessments",
                    ["physician_id", "assessed_on", "id"])


def downgrade() -> None:
    for table in ("assessments", "practice_info", "personal_changes", "outbox_messages",
                  "one_time_codes", "accounts"):
        op.drop_table(table)
