"""The activity every metric counts, read from the community's daily roll-up
(rooms/community/activity_days.py) instead of every message: a view reads at most one row per
day, room and active member of its window, and refreshes the roll-up's open days first, so
it is exact up to the moment it is asked.

A member is *active* on a day when they posted a message, answered an RSVP or attended a
meeting in a room of the scope. Messages, RSVPs, questions asked in town halls and meeting
minutes are also counted on their own. Windows are whole UTC days ending with today.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.activity_days import DAY_MS, day_of
from rooms.community.schema.accounts import users
from rooms.community.schema.activity import activity_days, first_activity, room_days
from rooms.insight.access import Scope

PERIODS = {"day": DAY_MS, "week": 7 * DAY_MS, "month": 28 * DAY_MS}


def in_scope(column: Any, scope: Scope) -> Any:
    if scope.room_ids is None:
        return literal(True)
    return column.in_(sorted(scope.room_ids))


def in_region(user_column: Any, scope: Scope) -> Any:
    """Members of the scope's region, or everyone (rooms/market/listings.py's prefix rule)."""
    if not scope.region:
        return literal(True)
    code = users.c.region_code
    within = or_(code == scope.region, code.startswith(scope.region + ".", autoescape=True))
    return user_column.in_(select(users.c.id).where(within))


def end_day(now: int) -> int:
    """The first day after every window: tomorrow (UTC)."""
    return day_of(now) + 1


def member_days(scope: Scope, first_day: int, until_day: int) -> Any:
    """activity_days rows of the scope in [first_day, until_day)."""
    return select(activity_days).where(
        activity_days.c.day >= first_day,
        activity_days.c.day < until_day,
        in_scope(activity_days.c.room_id, scope),
        in_region(activity_days.c.user_id, scope),
    )


def room_day_rows(scope: Scope, first_day: int, until_day: int) -> Any:
    return select(room_days).where(
        room_days.c.day >= first_day,
        room_days.c.day < until_day,
        in_scope(room_days.c.room_id, scope),
    )


def newcomers(scope: Scope, since_day: int) -> Any:
    """(user_id, first_day) of the members whose first activity in the scope was on or after
    since_day: the new ones of a window starting then."""
    first_at = func.min(first_activity.c.first_at)
    return (
        select(first_activity.c.user_id, (first_at // DAY_MS).label("first_day"))
        .where(
            in_scope(first_activity.c.room_id, scope), in_region(first_activity.c.user_id, scope)
        )
        .group_by(first_activity.c.user_id)
        .having(first_at >= since_day * DAY_MS)
        .subquery("newcomers")
    )


async def for_analysis(conn: AsyncConnection) -> None:
    """PostgreSQL settings for this transaction's analytic reads: hash the window's rows in
    memory (the default 4 MB of work_mem spilled 800,000 rows to disk and sorted them there),
    and no JIT (its compile time exceeded the queries' own)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET LOCAL work_mem = '64MB'"))
        await conn.execute(text("SET LOCAL jit = off"))
