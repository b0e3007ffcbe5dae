"""An announcement's photos and video (by reference) and its agenda event

Revision ID: 0022_announcement_media
Revises: 0021_password_reset
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_announcement_media"
down_revision = "0021_password_reset"
branch_labels = None
depends_on = None


def _to_announcement(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["announcement_id"],
        ["announcements.id"],
        name=f"fk_{table}_announcement_id_announcements",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # Two new tables rather than a column on `announcements`: no table is rebuilt on SQLite.
    op.create_table(
        "announcement_files",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _to_announcement("announcement_files"),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name="fk_announcement_files_attachment_id_attachments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "attachment_id", name="pk_announcement_files"),
    )
    op.create_table(
        "announcement_events",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        _to_announcement("announcement_events"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name="fk_announcement_events_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", name="pk_announcement_events"),
    )


def downgrade() -> None:
    op.drop_table("announcement_events")
    op.drop_table("announcement_files")
