"""When each member read up to which message: "who read this message" with times

Revision ID: 0011_read_times
Revises: 0010_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_read_times"
down_revision = "0010_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_marks",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_read_marks_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_read_marks_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "user_id", "message_id", name="pk_read_marks"),
    )
    op.create_index("ix_read_marks_room_id_message_id", "read_marks", ["room_id", "message_id"])


def downgrade() -> None:
    op.drop_table("read_marks")
