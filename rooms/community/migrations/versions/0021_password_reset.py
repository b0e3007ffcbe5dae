"""Password reset codes, members' requests for one, and the audit log

Revision ID: 0021_password_reset
Revises: 0020_account_erasure
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_password_reset"
down_revision = "0020_account_erasure"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "password_reset_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        _fk("password_reset_codes", "user_id", "CASCADE"),
        _fk("password_reset_codes", "issued_by", "SET NULL"),
        sa.PrimaryKeyConstraint("code_hash", name="pk_password_reset_codes"),
    )
    op.create_index("ix_password_reset_codes_expires_at", "password_reset_codes", ["expires_at"])
    op.create_index("ix_password_reset_codes_user_id", "password_reset_codes", ["user_id"])
    op.create_table(
        "password_reset_requests",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=False),
        _fk("password_reset_requests", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_password_reset_requests"),
    )
    op.create_index(
        "ix_password_reset_requests_requested_at", "password_reset_requests", ["requested_at"]
    )
    op.create_table(
        "password_reset_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        _fk("password_reset_audit", "actor_id", "SET NULL"),
        _fk("password_reset_audit", "target_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_password_reset_audit"),
    )
    op.create_index("ix_password_reset_audit_at", "password_reset_audit", ["at"])


def downgrade() -> None:
    op.drop_table("password_reset_audit")
    op.drop_table("password_reset_requests")
    op.drop_table("password_reset_codes")
