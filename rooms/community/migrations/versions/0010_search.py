"""Message search: an FTS5 table on SQLite, a tsvector with a GIN index on PostgreSQL

Revision ID: 0010_search
Revises: 0009_direct_and_polls
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rooms.community.search_terms import index_terms

revision = "0010_search"
down_revision = "0009_direct_and_polls"
branch_labels = None
depends_on = None

BATCH = 2000  # messages stemmed per round trip while filling the index


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # The rowid is the message id: no second key to keep in step.
        op.execute("CREATE VIRTUAL TABLE message_search USING fts5(terms, tokenize='unicode61')")
    else:
        op.execute(
            "CREATE TABLE message_search ("
            " message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,"
            " terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_message_search_terms ON message_search USING GIN (terms)")
    _fill(conn)


def _fill(conn: sa.Connection) -> None:
    """Index the messages already there, oldest first, a batch at a time. The stemmer is
    imported from the application: a later change of its rules comes with its own migration
    that fills the index again."""
    last = 0
    sqlite = conn.dialect.name == "sqlite"
    insert = (
        "INSERT INTO message_search (rowid, terms) VALUES (:id, :terms)"
        if sqlite
        else "INSERT INTO message_search (message_id, terms)"
        " VALUES (:id, array_to_tsvector(CAST(:terms AS text[])))"
    )
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, text FROM messages WHERE id > :last AND deleted = :no"
                " ORDER BY id LIMIT :batch"
            ),
            {"last": last, "no": False, "batch": BATCH},
        ).all()
        if not rows:
            return
        values = []
        for message_id, message_text in rows:
            terms = index_terms(message_text)
            if terms:
                values.append({"id": message_id, "terms": terms if sqlite else terms.split()})
        if values:
            conn.execute(sa.text(insert), values)
        last = rows[-1][0]


def downgrade() -> None:
    op.execute("DROP TABLE message_search")
