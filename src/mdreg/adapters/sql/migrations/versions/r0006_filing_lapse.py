"""Active filings by their last day, for the tick that closes filings whose period ended.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = "status = 'active'"


def upgrade() -> None:
    op.create_index("ix_filings_active_valid_to", "filings", ["valid_to", "id"],
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index("ix_filings_active_valid_to", table_name="filings")
