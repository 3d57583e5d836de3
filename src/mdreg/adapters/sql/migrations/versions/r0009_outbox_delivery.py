"""Outbox delivery: the channel as a column (claims pick channels), attempts, a lease (owner and
expiry), the next attempt time, when a message was parked and its last error; undelivered
messages indexed by age.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "outbox_messages"
TIMESTAMP = sa.DateTime(timezone=True)
UNDELIVERED = "sent_at IS NULL AND parked_at IS NULL"
TIMES = ("lease_until", "next_attempt_at", "parked_at")


def _channel_from_doc(dialect: str) -> str:
    if dialect == "sqlite":
        return "json_extract(doc, '$.channel')"
    return "CAST(doc AS json) ->> 'channel'"


def _channel_into_doc(dialect: str) -> str:
    if dialect == "sqlite":
        return "json_set(doc, '$.channel', channel)"
    return "CAST(CAST(doc AS jsonb) || jsonb_build_object('channel', channel) AS text)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(TABLE, sa.Column("channel", sa.String(), nullable=False, server_default=""))
    op.add_column(TABLE, sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(TABLE, sa.Column("lease_owner", sa.String(), nullable=True))
    for name in TIMES:
        op.add_column(TABLE, sa.Column(name, TIMESTAMP, nullable=True))
    op.add_column(TABLE, sa.Column("last_error", sa.String(), nullable=False, server_default=""))
    op.execute(f"UPDATE {TABLE} SET channel = {_channel_from_doc(dialect)}")  # noqa: S608
    op.create_index("ix_outbox_messages_undelivered", TABLE, ["created_at", "id"],
                    sqlite_where=sa.text(UNDELIVERED), postgresql_where=sa.text(UNDELIVERED))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_outbox_messages_undelivered", table_name=TABLE)
    op.execute(f"UPDATE {TABLE} SET doc = {_channel_into_doc(dialect)}")  # noqa: S608
    for name in ("last_error", *reversed(TIMES), "lease_owner", "attempts", "channel"):
        op.drop_column(TABLE, name)
