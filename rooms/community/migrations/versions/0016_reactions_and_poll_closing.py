"""Reactions to announcements, and polls' closing announced once by the sweep every node runs

Revision ID: 0016_reactions_and_poll_closing
Revises: 0015_resumable_uploads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_reactions_and_poll_closing"
down_revision = "0015_resumable_uploads"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "announcement_reactions",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("emoji", sa.String(length=16), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("announcement_reactions", "announcement_id", "announcements"),
        _fk("announcement_reactions", "user_id", "users"),
        _fk("announcement_reactions", "room_id", "rooms"),
        sa.PrimaryKeyConstraint(
            "announcement_id", "user_id", "emoji", name="pk_announcement_reactions"
        ),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("close_announced", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_polls_close_announced_closes_at", ["close_announced", "closes_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_close_announced_closes_at")
        batch_op.drop_column("close_announced")
    op.drop_table("announcement_reactions")
