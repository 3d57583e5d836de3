"""Departments looked up by division code (routing of prevention institutions).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_departments_division", "departments", ["division", "id"])


def downgrade() -> None:
    op.drop_index("ix_departments_division", table_name="departments")
