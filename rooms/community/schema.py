"""Tables of the community data: accounts, rooms (kamar), chat, attachments, agenda.

SQLAlchemy Core, portable between SQLite and PostgreSQL: times are integer milliseconds since
the epoch (UTC), so neither database's date handling leaks into the domain. Alembic migrations
in rooms/community/migrations create exactly these tables; tests/rooms/test_store.py checks
they stay equal.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), unique=True),
    Column("phone", String(16), unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("organisation", String(120), nullable=False, server_default=""),
    Column("province", String(80), nullable=False, server_default=""),
    Column("city", String(80), nullable=False, server_default=""),
    Column("rt_rw", String(20), nullable=False, server_default=""),
    # Kemendagri code of the member's region (rooms/community/regions), "" for none; province
    # and city above then hold its names.
    Column("region_code", String(13), nullable=False, server_default=""),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    # Sessions issued before this (ms since the epoch) no longer count: password changes and
    # "sign out everywhere" set it.
    Column("sessions_valid_after", BigInteger, nullable=False, server_default="0"),
    # Calendar links carry the generation they were made in; making a new link (rooms/
    # calendar_links.py) counts up, and links of older generations stop opening the feed.
    Column("calendar_generation", Integer, nullable=False, server_default="0"),
    # When the account was deleted (rooms/community/erasure.py), NULL while it exists. The row
    # stays, emptied of everything personal, so the messages it wrote keep an author ("deleted
    # member"); nothing can sign in as it or find it.
    Column("erased_at", BigInteger),
    Index(None, "region_code"),
)

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

messages = Table(
    "messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("reply_to", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("edited_at", BigInteger),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    # Chosen by the sending client once per message and sent again on every retry, so a retry
    # after a lost answer finds the message instead of posting it twice.
    Column("client_id", String(64)),
    # The message this one forwards (rooms/community/forward.py); never shown, it may be in a
    # room the readers of this one cannot see. Its files are shared through attachment_refs.
    Column("forwarded_from", BigInteger),
    # History pages and unread counts walk one room's messages by id.
    Index(None, "room_id", "id"),
    Index(None, "author_id", "client_id", unique=True),
    # A member's first post: recruitment reports' "active within 7 days" (rooms/organising).
    Index(None, "author_id", "created_at"),
    # The activity roll-up re-reads only the days not yet final (rooms/community/activity_days.py).
    Index(None, "created_at"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("uploader_id", ForeignKey("users.id"), nullable=False),
    Column("message_id", BigInteger, index=True),
    Column("kind", String(10), nullable=False),
    Column("mime", String(40), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("path", String(200), nullable=False),
    Column("thumbnail_path", String(200)),
    Column("width", Integer),
    Column("height", Integer),
    Column("created_at", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("kind", String(20), nullable=False),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("location", String(200), nullable=False, server_default=""),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("reminded", Boolean, nullable=False, server_default="0"),
    # Shown at /e/<id> to anyone (server/event_page.py); off unless the organiser says so.
    Column("public", Boolean, nullable=False, server_default="0"),
    Index(None, "room_id", "starts_at"),
    Index(None, "reminded", "starts_at"),
)

rsvps = Table(
    "rsvps",
    metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("response", String(10), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Recruitment reports ask "did this new member answer any RSVP" (rooms/organising/report.py).
    Index(None, "user_id", "updated_at"),
    Index(None, "updated_at"),  # the activity roll-up, as for messages
)

# Town halls: what was asked and said, kept with the agenda event
# (rooms/community/townhall_record.py).
# `stage` tells apart the runs of one event's meeting (it may empty and start again), whose
# question numbers each start at 1.
event_questions = Table(
    "event_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("number", Integer, nullable=False),
    Column("identity", String(128), nullable=False),
    Column("name", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("votes", Integer, nullable=False, server_default="0"),
    Column("answered", Boolean, nullable=False, server_default="0"),
    Column("hidden", Boolean, nullable=False, server_default="0"),
    Column("asked_at", BigInteger, nullable=False),
    UniqueConstraint("event_id", "stage", "number"),
    Index(None, "asked_at"),  # the activity roll-up, as for messages
)

event_comments = Table(
    "event_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Index(None, "event_id", "id"),
)

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

# Member insight (rooms/insight/): who besides administrators may see it, and every view of
# personal data it answered (UU 27/2022: accountability for processing).
insight_grants = Table(
    "insight_grants",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("granted_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("granted_at", BigInteger, nullable=False),
)

insight_audit = Table(
    "insight_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("viewer_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("view", String(40), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)

# What administrators did to other members' accounts (deleting one, for now): who, what, whom,
# when. The target is the emptied account row (users.erased_at), so no name is kept here.
admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("admin_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(40), nullable=False),
    Column("target_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)


# Organising (rooms/organising/): recruitment by referral and campaigns. The tables live here
# with the rest, so one metadata and one migration chain describe the whole database.

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

# Polls in any room (rooms/community/polls.py). Votes are kept per member even in anonymous
# polls, so a member can change their vote and never vote twice; anonymous ones never show
# who chose what.
polls = Table(
    "polls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("question", String(300), nullable=False),
    Column("multiple", Boolean, nullable=False, server_default="0"),
    Column("anonymous", Boolean, nullable=False, server_default="0"),
    Column("closes_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Whether its closing was announced to the room's feed (rooms/community/polls.py
    # announce_closed: every node sweeps, each poll is claimed once).
    Column("close_announced", Boolean, nullable=False, server_default="0"),
    Index(None, "room_id", "id"),
    Index(None, "close_announced", "closes_at"),
)

poll_options = Table(
    "poll_options",
    metadata,
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("text", String(100), nullable=False),
)

poll_votes = Table(
    "poll_votes",
    metadata,
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    # Counts by option and each option's first voters read this index alone (polls.render).
    Index(None, "poll_id", "position", "created_at", "user_id"),
)

# Who attended which live meeting of a room, from when to when (rooms/community/attendance.py;
# the meeting reports joins and leaves through server/wiring.py). event_id: the agenda event
# the meeting was for (a town hall's own meeting, or the room's meeting during an event).
meeting_attendance = Table(
    "meeting_attendance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", ForeignKey("events.id", ondelete="SET NULL")),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    Column("left_at", BigInteger, nullable=False),
    Index(None, "joined_at"),
    Index(None, "user_id", "joined_at"),
    Index(None, "event_id"),
)

# The daily roll-up of activity that member insight and recruitment reports read instead of
# every message (rooms/community/activity_days.py): derived from the rows above, rebuilt for
# the days not yet final, and gone with the account or room (CASCADE). day: days since
# 1970-01-01 UTC.
activity_days = Table(
    "activity_days",
    metadata,
    Column("day", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("messages", Integer, nullable=False),
    Column("rsvps", Integer, nullable=False),
    Column("going", Integer, nullable=False),
    Column("meeting_seconds", Integer, nullable=False),
    Index(None, "user_id", "day"),
)

# Per room and day: what activity_days holds summed, and town-hall questions (guests ask too).
room_days = Table(
    "room_days",
    metadata,
    Column("day", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("messages", Integer, nullable=False),
    Column("rsvps", Integer, nullable=False),
    Column("questions", Integer, nullable=False),
    Column("meeting_seconds", Integer, nullable=False),
)

# Each member's first activity in each room (ms): "new or returning", "active within 7 days".
first_activity = Table(
    "first_activity",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("first_at", BigInteger, nullable=False),
)

# Each member's first activity anywhere (ms): recruitment reports' "active within 7 days" join
# it once per sign-up (rooms/organising/report.py).
member_first_activity = Table(
    "member_first_activity",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("first_at", BigInteger, nullable=False),
)

# How far the roll-up is final: days before until_day are never rebuilt.
rollup_marks = Table(
    "rollup_marks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("until_day", Integer, nullable=False),
    Column("refreshed_at", BigInteger, nullable=False),
)

# Each member's activity over the windows member insight's dynamics read, organisation-wide,
# as of the roll-up's mark (recent: the 28 days before it; before: the 84 days before those),
# rebuilt once a day when the mark moves (rooms/community/activity_days.py).
member_windows = Table(
    "member_windows",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("recent_days", Integer, nullable=False),
    Column("before_days", Integer, nullable=False),
    Column("last_day", Integer, nullable=False),
    Column("recent_messages", Integer, nullable=False),
    Column("before_messages", Integer, nullable=False),
    Column("going", Integer, nullable=False),
)

# Organisation-wide active, new and attending members of whole past periods (weeks, 28-day
# months, days on a fixed grid): a past period's figures never change, so each is counted once.
period_counts = Table(
    "period_counts",
    metadata,
    Column("period", String(8), primary_key=True),
    Column("start_day", Integer, primary_key=True),
    Column("active", Integer, nullable=False),
    Column("new", Integer, nullable=False),
    Column("attended", Integer, nullable=False),
)

# When each member's read marker moved, and to which message (rooms/community/readers.py):
# "who read this, and when" is the first move to it or past it. memberships.last_read_message_id
# stays the marker itself; markers moved before this table existed have no time.
read_marks = Table(
    "read_marks",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", BigInteger, primary_key=True),
    Column("read_at", BigInteger, nullable=False),
    # A message's readers: the marks at or past it in its room.
    Index(None, "room_id", "message_id"),
)

# Photos and videos a forwarded message shows without copying them (rooms/community/forward.py):
# the files stay their first message's, and go when that message is deleted.
attachment_refs = Table(
    "attachment_refs",
    metadata,
    Column(
        "message_id", BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("attachment_id", ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    # Who may open a file through a forward: its references by attachment.
    Index(None, "attachment_id"),
)

# Web Push (RFC 8030) subscriptions of members' browsers (rooms/community/push_subscriptions.py):
# the push service's endpoint and the browser's keys the payload is encrypted to (RFC 8291).
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("endpoint", String(1000), nullable=False, unique=True),
    Column("p256dh", String(100), nullable=False),
    Column("auth", String(40), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "user_id"),
)

# Rooms a member muted: no push for their messages, except those that mention the member.
room_mutes = Table(
    "room_mutes",
    metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

# Resumable uploads (tus 1.0, rooms/community/resumable.py) still arriving or just finished:
# `received` bytes of `length` are safely on disk; a finished one names its attachment so a
# client whose last answer was lost can still learn it. Deleted at `expires_at`.
resumable_uploads = Table(
    "resumable_uploads",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("kind", String(10)),
    Column("attachment_id", ForeignKey("attachments.id", ondelete="SET NULL")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Index(None, "user_id"),
)

# "Forgot password" without e-mail (rooms/community/password_reset.py): an administrator or a
# room organiser makes a one-time code for a member and passes it on in person or by phone.
# Only the code's SHA-256 is kept; one live code per member (a new one replaces it).
password_reset_codes = Table(
    "password_reset_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("issued_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("used_at", BigInteger),
    Index(None, "user_id"),
)

# "Please reset my password", sent by username or phone from the sign-in page: shown to those
# who may make the member a code (newest per member; gone when a code is made, or after a week).
password_reset_requests = Table(
    "password_reset_requests",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("requested_at", BigInteger, nullable=False, index=True),
)

# Who made a reset code for whom, and when it was used ("issued" / "used"): kept after the
# code itself is gone, like insight_audit.
password_reset_audit = Table(
    "password_reset_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("actor_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("target_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(10), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)
