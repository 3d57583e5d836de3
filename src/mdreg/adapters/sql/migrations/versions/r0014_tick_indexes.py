"""Partial indexes of the open deadlines a tick looks for: those not flagged yet (it claims
them) and the provisional ones (it counts them again when a year's holiday data arrives).

A claim read the open deadlines by due date and skipped those already flagged: every overdue
application not decided yet was stepped over again by every claim of every tick. The
provisional ones were found by reading every open deadline due this year or later.

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
PROVISIONAL = "status = 'open' AND source = 'fallback'"


def upgrade() -> None:
    op.create_index("ix_deadlines_unflagged_due", "deadlines", ["due", "id"],
                    sqlite_where=sa.text(UNFLAGGED), postgresql_where=sa.text(UNFLAGGED))
    op.create_index("ix_deadlines_provisional_due", "deadlines", ["due", "id"],
                    sqlite_where=sa.text(PROVISIONAL), postgresql_where=sa.text(PROVISIONAL))


def downgrade() -> None:
    op.drop_index("ix_deadlines_provisional_due", table_name="deadlines")
    op.drop_index("ix_deadlines_unflagged_due", table_name="deadlines")
