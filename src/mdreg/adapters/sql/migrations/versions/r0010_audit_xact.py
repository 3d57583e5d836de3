"""The audit tail without a table lock: PostgreSQL stores the id of the transaction that appended
each audit event and orders the tail by it (events already stored get 0, so they come first in
their id order); SQLite leaves the column empty.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TAILED = "xact IS NOT NULL"


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("xact", sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE audit_events SET xact = 0")
    op.create_index("audit_tail", "audit_events", ["xact", "id"], sqlite_where=sa.text(TAILED),
                    postgresql_where=sa.text(TAILED))


def downgrade() -> None:
    op.drop_index("audit_tail", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("xact")
