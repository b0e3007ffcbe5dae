"""Rooms (kamar) and who is in them: memberships, invites, mutes, and the direct
conversations between two members, which are rooms too, with their blocks and reports.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from rooms.community.schema.base import metadata

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("visibility", String(10), nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Sorting the room list by activity without scanning messages.
    Column("last_activity_at", BigInteger, nullable=False),
    # The place a room is for (a branch, a village, an RT): a Kemendagri code and RT/RW.
    Column("region_code", String(13), nullable=False, server_default=""),
    Column("rt_rw", String(20), nullable=False, server_default=""),
    # Announcements and reports pick rooms by region: codes nest, so a prefix is a subtree.
    Index(None, "region_code"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    Column("last_read_message_id", BigInteger, nullable=False, server_default="0"),
    Index(None, "user_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("max_uses", Integer),
    Column("uses", Integer, nullable=False, server_default="0"),
)

# Direct messages (rooms/community/direct.py): a one-to-one conversation is a room of kind
# "direct" whose two members are named here, lowest account id first, so one pair has one
# room. Chat, receipts, typing, uploads and the feed then work as in every room.
direct_chats = Table(
    "direct_chats",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_low", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("user_high", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("user_low", "user_high"),
    Index(None, "user_high"),
)

# Who does not want to hear from whom: the blocked member cannot start or continue a direct
# conversation with the blocker, whose room list no longer shows it.
blocks = Table(
    "blocks",
    metadata,
    Column("blocker_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("blocked_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

# A member's report of a direct conversation (and, optionally, one message in it) for the
# server's administrators: a direct room has no moderators of its own.
direct_reports = Table(
    "direct_reports",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("reporter_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", BigInteger),
    Column("reason", String(500), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Open while NULL; then "hidden" or "dismissed" by an administrator.
    Column("closed_at", BigInteger),
    Column("outcome", String(10)),
)

# Rooms a member muted: no push for their messages, except those that mention the member.
room_mutes = Table(
    "room_mutes",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)
