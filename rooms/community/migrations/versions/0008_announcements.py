"""One announcement to many rooms, with its comments in one thread

Revision ID: 0008_announcements
Revises: 0007_recruitment
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_announcements"
down_revision = "0007_recruitment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name="fk_announcements_author_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_table(
        "announcement_rooms",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_rooms_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name="fk_announcement_rooms_room_id_rooms",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "room_id", name="pk_announcement_rooms"),
    )
    op.create_index(
        "ix_announcement_rooms_room_id_announcement_id",
        "announcement_rooms",
        ["room_id", "announcement_id"],
    )
    op.create_table(
        "announcement_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_comments_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name="fk_announcement_comments_room_id_rooms",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name="fk_announcement_comments_author_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_announcement_comments"),
    )
    op.create_index(
        "ix_announcement_comments_announcement_id_id",
        "announcement_comments",
        ["announcement_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("announcement_comments")
    op.drop_table("announcement_rooms")
    op.drop_table("announcements")
