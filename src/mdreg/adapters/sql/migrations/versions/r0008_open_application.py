"""One open application per physician, type and target counts every state but the four outcomes
that close an application, so a state a later state machine adds is open too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = "state NOT IN ('approved', 'not_accepted', 'rejected', 'withdrawn')"
BEFORE = ("state IN ('draft', 'needs_correction', 'pending_acceptance', 'pending_institution', "
          "'returned', 'under_review')")
COLUMNS = ["physician_id", "type", "target"]


def _index(where: str) -> None:
    op.drop_index("open_application", table_name="applications")
    op.create_index("open_application", "applications", COLUMNS, unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    _index(OPEN)


def downgrade() -> None:
    _index(BEFORE)
