"""Forwarded messages: the message forwarded, and the files shown by reference

Revision ID: 0012_forwarding
Revises: 0011_read_times
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_forwarding"
down_revision = "0011_read_times"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, which SQLite does in place: rebuilding `messages` (Alembic's batch
    # mode) would copy every message of a large server for one nullable column.
    op.add_column("messages", sa.Column("forwarded_from", sa.BigInteger(), nullable=True))
    op.create_table(
        "attachment_refs",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_attachment_refs_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name="fk_attachment_refs_attachment_id_attachments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "attachment_id", name="pk_attachment_refs"),
    )
    op.create_index("ix_attachment_refs_attachment_id", "attachment_refs", ["attachment_id"])


def downgrade() -> None:
    op.drop_table("attachment_refs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("forwarded_from")
