"""Saved lists of rooms to announce to

Revision ID: 0019_room_lists
Revises: 0018_report_outcomes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_room_lists"
down_revision = "0018_report_outcomes"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "room_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("room_lists", "owner_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_room_lists"),
    )
    op.create_index("ix_room_lists_owner_id", "room_lists", ["owner_id"])
    op.create_table(
        "room_list_rooms",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        _fk("room_list_rooms", "list_id", "room_lists"),
        _fk("room_list_rooms", "room_id", "rooms"),
        sa.PrimaryKeyConstraint("list_id", "room_id", name="pk_room_list_rooms"),
    )


def downgrade() -> None:
    op.drop_table("room_list_rooms")
    op.drop_table("room_lists")
