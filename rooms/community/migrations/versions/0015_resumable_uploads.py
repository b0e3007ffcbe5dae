"""Resumable uploads (tus 1.0) of large videos

Revision ID: 0015_resumable_uploads
Revises: 0014_insight_rollup
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_resumable_uploads"
down_revision = "0014_insight_rollup"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_resumable_uploads_{column}_{target}",
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "resumable_uploads",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        _fk("user_id", "users", "CASCADE"),
        _fk("room_id", "rooms", "CASCADE"),
        _fk("attachment_id", "attachments", "SET NULL"),
        sa.PrimaryKeyConstraint("token", name="pk_resumable_uploads"),
    )
    op.create_index("ix_resumable_uploads_expires_at", "resumable_uploads", ["expires_at"])
    op.create_index("ix_resumable_uploads_user_id", "resumable_uploads", ["user_id"])


def downgrade() -> None:
    op.drop_table("resumable_uploads")
