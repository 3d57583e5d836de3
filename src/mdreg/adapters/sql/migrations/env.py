"""Alembic environment: runs on the connection :mod:`mdreg.adapters.sql.migrate` provides."""

from __future__ import annotations

from alembic import context

from mdreg.adapters.sql.tables import METADATA

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    version_table=config.attributes["version_table"],
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
