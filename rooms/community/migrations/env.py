"""Alembic environment: migrations run on the connection rooms.community.database hands over."""

from __future__ import annotations

from alembic import context

from rooms.community.schema import metadata
from rooms.community.search import is_search_table

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; Alembic rebuilds the table instead.
# The search index differs by database (rooms/community/search.py) and is not declared there.
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_name=lambda name, kind, _parents: kind != "table" or not is_search_table(name),
)
with context.begin_transaction():
    context.run_migrations()
