"""The agenda: events and RSVPs, what a town hall kept of its questions and comments, and who
attended which live meeting.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    Index(None, "updated_at"),  # the activity roll-up, as for messages (chat.py)
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
    Index(None, "asked_at"),  # the activity roll-up, as for messages (chat.py)
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
