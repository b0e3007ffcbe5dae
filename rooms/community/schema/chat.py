"""What is said in a room: messages, their photos, videos and files (uploaded whole or
resumably, and shown again by forwards), read marks and polls.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from rooms.community.schema.base import metadata

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
