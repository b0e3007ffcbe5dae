"""Region codes (Kemendagri) on members' profiles and on rooms, and RT/RW on rooms

Revision ID: 0006_region_codes
Revises: 0006_market_and_insight
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_region_codes"
down_revision = "0006_market_and_insight"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_code", sa.String(length=13), server_default="", nullable=False)
        )
        batch_op.create_index("ix_users_region_code", ["region_code"], unique=False)
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_code", sa.String(length=13), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rt_rw", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.create_index("ix_rooms_region_code", ["region_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_rooms_region_code")
        batch_op.drop_column("rt_rw")
        batch_op.drop_column("region_code")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_region_code")
        batch_op.drop_column("region_code")
