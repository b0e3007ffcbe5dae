"""The marketplace's tables (rooms/market/): listings, the rooms they are seen in, their photos,
reports and the chats with their sellers.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from rooms.community.schema.base import metadata

# The marketplace (rooms/market/): what members sell to each other. A listing is seen in the
# rooms named in listing_rooms, or by every account on this server when its scope is
# "organisation" (a Kamar server belongs to one organisation).
listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seller_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(120), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("pricing", String(10), nullable=False),  # fixed, nego or free
    Column("price", BigInteger),  # whole Rupiah; none when free
    Column("category", String(20), nullable=False),
    Column("condition", String(20), nullable=False),
    # The official region code (Kemendagri: "32", "32.73", "32.73.01", "32.73.01.1001"); the
    # hierarchy is in the dots, so "in this city" is a prefix match.
    Column("region", String(16), nullable=False),
    Column("scope", String(12), nullable=False),  # rooms or organisation
    Column("status", String(10), nullable=False),  # available, reserved or sold
    Column("hidden", Boolean, nullable=False, server_default="0"),  # by a moderator
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index(None, "seller_id", "id"),
    Index(None, "category", "expires_at"),
    Index(None, "region"),
    Index(None, "expires_at"),
)

listing_rooms = Table(
    "listing_rooms",
    metadata,
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "room_id"),
)

# A listing's photos follow the chat's upload rules (rooms/community/attachments.py) but belong
# to the listing, not to a room's message: `listing_id` is empty until the listing is saved.
listing_photos = Table(
    "listing_photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uploader_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE")),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("mime", String(40), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("path", String(200), nullable=False),
    Column("thumbnail_path", String(200), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "listing_id"),
    Index(None, "created_at"),
)

listing_reports = Table(
    "listing_reports",
    metadata,
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("reporter_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Open while NULL; then "hidden" or "dismissed" by a moderator (rooms/community/reports.py).
    Column("closed_at", BigInteger),
    Column("outcome", String(10)),
)

# "Chat with the seller": a two-member, invite-only room per listing and buyer, so chat, unread
# counts and the live feed work as in every room (docs/market-and-insight.md).
listing_chats = Table(
    "listing_chats",
    metadata,
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("buyer_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)
