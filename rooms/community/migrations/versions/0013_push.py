"""Web Push subscriptions and per-room mutes

Revision ID: 0013_push
Revises: 0012_forwarding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_push"
down_revision = "0012_forwarding"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("push_subscriptions", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscriptions"),
        sa.UniqueConstraint("endpoint", name="uq_push_subscriptions_endpoint"),
    )
    op.create_index("ix_push_subscriptions_user_id", "push_subscriptions", ["user_id"])
    op.create_table(
        "room_mutes",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("room_mutes", "room_id", "rooms"),
        _fk("room_mutes", "user_id", "users"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_room_mutes"),
    )


def downgrade() -> None:
    op.drop_table("room_mutes")
    op.drop_table("push_subscriptions")
