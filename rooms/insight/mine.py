"""What a member sees of themselves (UU 27/2022: the right to know what is kept): how many of
their rows Kamar holds, and their own activity in each of the last twelve weeks (messages,
RSVP answers, meetings attended and their minutes), from the same daily roll-up the
organisers' views read, so they see what is counted about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from rooms.community import activity_days as rollup
from rooms.community.accounts import User
from rooms.community.activity_days import DAY_MS
from rooms.community.database import Database
from rooms.community.schema.activity import activity_days
from rooms.community.schema.agenda import event_questions, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.market import listings
from rooms.community.schema.rooms import memberships
from rooms.community.timefmt import utc_iso
from rooms.insight.activity import end_day
from rooms.insight.participation import period_start

WEEKS = 12
# What deleting the account does to each kind of row counted in `kept` (rooms/community/
# erasure.py; the profile is erased too): the member sees it before they decide.
ON_DELETION = {
    "removed": ["rooms", "rsvps", "listings", "meetings_attended", "activity_days"],
    "kept_as_deleted_member": ["messages", "questions"],
}


async def about_me(db: Database, user: User, now: int) -> dict[str, Any]:
    counts = {
        "rooms": select(func.count()).where(memberships.c.user_id == user.id),
        "messages": select(func.count()).where(
            messages.c.author_id == user.id, messages.c.deleted.is_(False)
        ),
        "rsvps": select(func.count()).where(rsvps.c.user_id == user.id),
        "questions": select(func.count()).where(event_questions.c.identity == f"user-{user.id}"),
        "listings": select(func.count()).where(listings.c.seller_id == user.id),
        "meetings_attended": select(func.count()).where(meeting_attendance.c.user_id == user.id),
        "activity_days": select(func.count()).where(activity_days.c.user_id == user.id),
    }
    await rollup.catch_up(db, now)
    async with db.read() as conn:
        kept = {name: int((await conn.execute(q)).scalar_one()) for name, q in counts.items()}
        weeks = await _weeks(conn, user.id, now)
    return {
        "profile": user.own(),
        "kept": kept,
        "derived_data_stored": True,
        "weeks": weeks,
        "on_deletion": ON_DELETION,
    }


async def _weeks(conn: Any, user_id: int, now: int) -> list[dict[str, Any]]:
    start = period_start(end_day(now) - 1, 7) - (WEEKS - 1) * 7  # Monday weeks, as insight's
    week = (activity_days.c.day - start) // 7
    rows = [
        {
            "start": utc_iso((start + 7 * n) * DAY_MS),
            "active_days": 0,
            "messages": 0,
            "rsvps": 0,
            "meeting_minutes": 0,
        }
        for n in range(WEEKS)
    ]
    found = await conn.execute(
        select(
            week,
            func.count(func.distinct(activity_days.c.day)),
            func.sum(activity_days.c.messages),
            func.sum(activity_days.c.rsvps),
            func.sum(activity_days.c.meeting_seconds),
        )
        .where(activity_days.c.user_id == user_id, activity_days.c.day >= start)
        .group_by(week)
    )
    for index, days, posted, answered, seconds in found:
        rows[int(index)].update(
            active_days=int(days),
            messages=int(posted or 0),
            rsvps=int(answered or 0),
            meeting_minutes=int(seconds or 0) // 60,
        )
    return rows
