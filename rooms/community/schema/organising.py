"""Organising's tables (rooms/organising/): recruitment by referral and campaigns, announcements
to many rooms with their comments, reactions and media, and saved lists of rooms.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from rooms.community.schema.base import metadata

# Each member's personal referral code, made the first time they ask for their link.
referral_codes = Table(
    "referral_codes",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("region_code", String(13), nullable=False, server_default=""),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("target", Integer, nullable=False, server_default="0"),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# The rooms a campaign's new members join.
campaign_rooms = Table(
    "campaign_rooms",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "room_id"),
)

# Who brought each member in, how and for which campaign; one row per recruited member.
# address_key and device_key are keyed hashes (HMAC with the server secret) of the registering
# connection's address and the browser's device id: equal values can be counted, the address
# itself is not kept. `flags` lists what looked wrong ("same_device,same_address"), "" if nothing.
referrals = Table(
    "referrals",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("recruiter_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(12), nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="SET NULL")),
    Column("created_at", BigInteger, nullable=False),
    Column("address_key", String(16), nullable=False, server_default=""),
    Column("device_key", String(16), nullable=False, server_default=""),
    Column("flags", String(60), nullable=False, server_default=""),
    # Copies kept for recruitment reports, so that they read this table alone instead of
    # joining 100,000 members and their first activities per report (docs/benchmarks.md):
    # the member's region (users.region_code, kept equal by a trigger: migration
    # 0017_signup_facts) and first activity (member_first_activity, kept by the roll-up:
    # rooms/community/activity_days.py), NULL until they first post, answer or attend.
    Column("region_code", String(13), nullable=False, server_default=""),
    Column("first_at", BigInteger),
    Index(None, "recruiter_id", "created_at"),
    Index(None, "campaign_id", "created_at"),
    Index(None, "device_key", "created_at"),
    Index(None, "address_key", "created_at"),
)

# One announcement to many rooms (rooms/organising/announcements.py): it is posted as one
# message in each room (announcement_rooms.message_id, pinned there by the client) and its
# comments, from whichever room, are gathered in one thread.
announcements = Table(
    "announcements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    # Shown at /a/<id> with Open Graph tags to anyone (no sign-in) when true.
    Column("public", Boolean, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
)

announcement_rooms = Table(
    "announcement_rooms",
    metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", BigInteger, nullable=False),
    Index(None, "room_id", "announcement_id"),
)

announcement_comments = Table(
    "announcement_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), nullable=False),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "announcement_id", "id"),
)

# What an announcement carries beside its text (rooms/organising/announcement_media.py): its
# photos and video, uploaded once and shown by reference in every room's post (no copy per
# room), and the agenda event it points to. The files also reach the public page /a/<id>
# through this table, for a public announcement only.
announcement_files = Table(
    "announcement_files",
    metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("attachment_id", ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)

announcement_events = Table(
    "announcement_events",
    metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
)

# Saved lists of rooms an organiser announces to often (rooms/organising/room_lists.py): the
# web client ticks a list's rooms in the announcement form.
room_lists = Table(
    "room_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "owner_id"),
)

room_list_rooms = Table(
    "room_list_rooms",
    metadata,
    Column("list_id", ForeignKey("room_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)

# Reactions to an announcement, gathered across its rooms like its comments: one row per member
# and emoji (the room it came from is kept, as a comment's is), counted per emoji.
announcement_reactions = Table(
    "announcement_reactions",
    metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("emoji", String(16), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
