"""The day a deadline's party was reminded that its last day is near.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("reminded_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("deadlines", "reminded_on")
