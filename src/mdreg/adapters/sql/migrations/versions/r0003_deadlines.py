"""Deadlines: legal time limits as rows, open ones indexed by due date.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def _day(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Date(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deadlines", _text("id"), _text("kind"), _text("subject_id"), _text("physician_id"),
        _day("start"), _day("due"), _text("source"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        _text("status"), sa.Column("version", sa.Integer(), nullable=False),
        _day("closed_on", nullable=True), _day("flagged_on", nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
    )
    op.create_index("ix_deadlines_subject", "deadlines", ["subject_id", "opened_at", "id"])
    op.create_index("open_deadline", "deadlines", ["subject_id", "kind"], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("ix_deadlines_open_due", "deadlines", ["due", "id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_table("deadlines")
