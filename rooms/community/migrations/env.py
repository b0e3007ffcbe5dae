"""Alembic environment: migrations run on the connection rooms.community.database hands over."""

from __future__ import annotations

from alembic import context

from rooms.community.schema import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; Alembic rebuilds the table instead.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
