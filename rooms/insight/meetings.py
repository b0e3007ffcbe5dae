"""RSVPs against actual attendance: each agenda event of the scope that began in the last 28
days (and has begun), with how many said "going", how many members came (a recorded stay in
its meeting: rooms/community/attendance.py), how many of those who said "going" came, and
the minutes spent in it. Events of rooms smaller than SMALL_GROUP show no figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.activity_days import DAY_MS
from rooms.community.schema.agenda import events, meeting_attendance, rsvps
from rooms.community.schema.rooms import memberships
from rooms.community.timefmt import utc_iso
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import in_scope

WINDOW_MS = 28 * DAY_MS
MAX_EVENTS = 500


async def attendance(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    recent = (
        select(events.c.id, events.c.room_id, events.c.title, events.c.kind, events.c.starts_at)
        .where(
            events.c.starts_at >= now - WINDOW_MS,
            events.c.starts_at <= now,
            in_scope(events.c.room_id, scope),
        )
        .order_by(events.c.starts_at.desc())
        .limit(MAX_EVENTS)
        .subquery("recent")
    )
    going = (
        select(rsvps.c.event_id, rsvps.c.user_id)
        .where(rsvps.c.response == "going", rsvps.c.event_id.in_(select(recent.c.id)))
        .subquery("going")
    )
    came = (
        select(
            meeting_attendance.c.event_id,
            meeting_attendance.c.user_id,
            func.sum(meeting_attendance.c.left_at - meeting_attendance.c.joined_at).label("ms"),
        )
        .where(meeting_attendance.c.event_id.in_(select(recent.c.id)))
        .group_by(meeting_attendance.c.event_id, meeting_attendance.c.user_id)
        .subquery("came")
    )
    said = await _per_event(conn, select(going.c.event_id, func.count()).group_by(going.c.event_id))
    present = {
        event_id: (int(people), int(ms or 0))
        for event_id, people, ms in await conn.execute(
            select(came.c.event_id, func.count(), func.sum(came.c.ms)).group_by(came.c.event_id)
        )
    }
    kept = await _per_event(
        conn,
        select(came.c.event_id, func.count())
        .join(going, and_(going.c.event_id == came.c.event_id, going.c.user_id == came.c.user_id))
        .group_by(came.c.event_id),
    )
    sizes = await _per_event(
        conn,
        select(memberships.c.room_id, func.count())
        .where(memberships.c.room_id.in_(select(recent.c.room_id)))
        .group_by(memberships.c.room_id),
    )
    rows = await conn.execute(select(recent).order_by(recent.c.starts_at.desc()))
    return [_event_row(row, said, present, kept, sizes) for row in rows]


def _event_row(
    row: Any,
    said: dict[int, int],
    present: dict[int, tuple[int, int]],
    kept: dict[int, int],
    sizes: dict[int, int],
) -> dict[str, Any]:
    """One event's figures; only counts that name nobody when its room is a small group."""
    small = sizes.get(row.room_id, 0) < SMALL_GROUP
    people, ms = present.get(row.id, (0, 0))
    return {
        "event_id": row.id,
        "room_id": row.room_id,
        "title": row.title,
        "kind": row.kind,
        "starts_at": utc_iso(row.starts_at),
        "small_group": small,
        "going": None if small else said.get(row.id, 0),
        "attended": None if small else people,
        "going_and_attended": None if small else kept.get(row.id, 0),
        "meeting_minutes": None if small else ms // 60_000,
    }


async def _per_event(conn: AsyncConnection, query: Any) -> dict[int, int]:
    return {key: int(count) for key, count in await conn.execute(query)}
