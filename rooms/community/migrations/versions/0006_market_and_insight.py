"""Marketplace listings and member insight

Revision ID: 0006_market_and_insight
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_market_and_insight"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insight_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["users.id"],
            name=op.f("fk_insight_audit_viewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_audit")),
    )
    with op.batch_alter_table("insight_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insight_audit_at"), ["at"], unique=False)

    op.create_table(
        "insight_grants",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_insight_grants_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_insight_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_insight_grants")),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("pricing", sa.String(length=10), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["users.id"],
            name=op.f("fk_listings_seller_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listings_category_expires_at"), ["category", "expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_listings_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_listings_region"), ["region"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_listings_seller_id_id"), ["seller_id", "id"], unique=False
        )

    op.create_table(
        "listing_chats",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["users.id"],
            name=op.f("fk_listing_chats_buyer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_chats_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_listing_chats_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "buyer_id", name=op.f("pk_listing_chats")),
        sa.UniqueConstraint("room_id", name=op.f("uq_listing_chats_room_id")),
    )
    op.create_table(
        "listing_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("thumbnail_path", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_photos_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_listing_photos_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_photos")),
    )
    with op.batch_alter_table("listing_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_photos_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_listing_photos_listing_id"), ["listing_id"], unique=False
        )

    op.create_table(
        "listing_reports",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_reports_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_listing_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "reporter_id", name=op.f("pk_listing_reports")),
    )
    op.create_table(
        "listing_rooms",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_rooms_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_listing_rooms_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "room_id", name=op.f("pk_listing_rooms")),
    )
    with op.batch_alter_table("listing_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_rooms_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("listing_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_rooms_room_id"))

    op.drop_table("listing_rooms")
    op.drop_table("listing_reports")
    with op.batch_alter_table("listing_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_photos_listing_id"))
        batch_op.drop_index(batch_op.f("ix_listing_photos_created_at"))

    op.drop_table("listing_photos")
    op.drop_table("listing_chats")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_seller_id_id"))
        batch_op.drop_index(batch_op.f("ix_listings_region"))
        batch_op.drop_index(batch_op.f("ix_listings_expires_at"))
        batch_op.drop_index(batch_op.f("ix_listings_category_expires_at"))

    op.drop_table("listings")
    op.drop_table("insight_grants")
    with op.batch_alter_table("insight_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_audit_at"))

    op.drop_table("insight_audit")
