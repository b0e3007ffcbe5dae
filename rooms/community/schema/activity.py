"""The activity roll-up: per day, member and room counts derived from the chat, agenda and
attendance tables, which member insight and recruitment reports read instead of every row
(rooms/community/activity_days.py writes them).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from rooms.community.schema.base import metadata

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
