"""Recruitment by referral: personal codes, campaigns and who recruited whom; RSVPs by member

Revision ID: 0007_recruitment
Revises: 0006_region_codes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_recruitment"
down_revision = "0006_region_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_referral_codes_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_referral_codes"),
        sa.UniqueConstraint("code", name="uq_referral_codes_code"),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region_code", sa.String(length=13), server_default="", nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_campaigns_created_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_table(
        "campaign_rooms",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_rooms_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_campaign_rooms_room_id_rooms", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("campaign_id", "room_id", name="pk_campaign_rooms"),
    )
    op.create_index("ix_campaign_rooms_room_id", "campaign_rooms", ["room_id"])
    op.create_table(
        "referrals",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("address_key", sa.String(length=16), server_default="", nullable=False),
        sa.Column("device_key", sa.String(length=16), server_default="", nullable=False),
        sa.Column("flags", sa.String(length=60), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_referrals_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["users.id"],
            name="fk_referrals_recruiter_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_referrals_campaign_id_campaigns",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_referrals"),
    )
    for columns in (
        ["recruiter_id", "created_at"],
        ["campaign_id", "created_at"],
        ["device_key", "created_at"],
        ["address_key", "created_at"],
    ):
        op.create_index(f"ix_referrals_{'_'.join(columns)}", "referrals", columns)
    # The reports' "posted" and "answered an RSVP" probes go by member and time.
    op.create_index("ix_rsvps_user_id_updated_at", "rsvps", ["user_id", "updated_at"])
    op.create_index("ix_messages_author_id_created_at", "messages", ["author_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_author_id_created_at", "messages")
    op.drop_index("ix_rsvps_user_id_updated_at", "rsvps")
    op.drop_table("referrals")
    op.drop_table("campaign_rooms")
    op.drop_table("campaigns")
    op.drop_table("referral_codes")
