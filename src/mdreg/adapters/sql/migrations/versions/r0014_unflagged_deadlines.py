"""A partial index of the open deadlines not flagged yet, the ones a tick claims.

A claim read the open deadlines by due date and skipped those already flagged: every overdue
application not decided yet was stepped over again by every claim of every tick.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UNFLAGGED = "status = 'open' AND flagged_on IS NULL"


def upgrade() -> None:
    op.create_index("ix_deadlines_unflagged_due", "deadlines", ["due", "id"],
                    sqlite_where=sa.text(UNFLAGGED), postgresql_where=sa.text(UNFLAGGED))


def downgrade() -> None:
    op.drop_index("ix_deadlines_unflagged_due", table_name="deadlines")
