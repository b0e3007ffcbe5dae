"""Participation: active members, new and returning, messages, RSVPs and questions per day,
week or month, for the scope or one room; and each room's totals over the last four weeks.

New in a period: active in it, and never active in the scope before it. Returning: active in
it and before it. Groups smaller than SMALL_GROUP members are shown as a count only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema import memberships, rooms
from rooms.community.timefmt import utc_iso
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import (
    PERIODS,
    activity,
    in_scope,
    message_rows,
    question_rows,
    rsvp_rows,
)

WINDOW = PERIODS["month"]  # the rooms table: the last four weeks


async def member_count(conn: AsyncConnection, scope: Scope) -> int:
    query = select(func.count(func.distinct(memberships.c.user_id))).where(
        in_scope(memberships.c.room_id, scope)
    )
    return int((await conn.execute(query)).scalar_one())


async def series(
    conn: AsyncConnection, scope: Scope, period: str, count: int, now: int
) -> dict[str, Any]:
    """`count` periods ending now, oldest first."""
    length = PERIODS[period]
    start = now - count * length
    members = await member_count(conn, scope)
    if members < SMALL_GROUP:
        return {"members": members, "small_group": True, "rows": []}
    act = activity(scope, 0, now)
    first = (
        select(act.c.user_id, func.min(act.c.at).label("first_at"))
        .group_by(act.c.user_id)
        .subquery("first")
    )
    bucket = (act.c.at - start) // length
    newcomer = case(((first.c.first_at - start) // length == bucket, act.c.user_id))
    active_rows = await conn.execute(
        select(
            bucket.label("bucket"),
            func.count(func.distinct(act.c.user_id)),
            func.count(func.distinct(newcomer)),
        )
        .join(first, first.c.user_id == act.c.user_id)
        .where(act.c.at >= start)
        .group_by(bucket)
    )
    rows = [
        {
            "start": utc_iso(start + n * length),
            "active": 0,
            "new": 0,
            "returning": 0,
            "messages": 0,
            "rsvps": 0,
            "questions": 0,
        }
        for n in range(count)
    ]
    for index, active, new in active_rows:
        rows[int(index)].update(active=active, new=new, returning=active - new)
    for name, source in (
        ("messages", message_rows(scope, start, now)),
        ("rsvps", rsvp_rows(scope, start, now)),
        ("questions", question_rows(scope, start, now)),
    ):
        sub = source.subquery()
        per = (sub.c.at - start) // length
        for index, total in await conn.execute(select(per, func.count()).group_by(per)):
            rows[int(index)][name] = total
    return {"members": members, "small_group": False, "period": period, "rows": rows}


async def room_table(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    """Each room of the scope over the last four weeks, busiest first; small rooms as a count."""
    since = now - WINDOW
    counts: dict[int, int] = dict(
        (
            await conn.execute(
                select(memberships.c.room_id, func.count())
                .where(in_scope(memberships.c.room_id, scope))
                .group_by(memberships.c.room_id)
            )
        ).all()
    )
    act = activity(scope, since, now)
    active: dict[int, int] = dict(
        (
            await conn.execute(
                select(act.c.room_id, func.count(func.distinct(act.c.user_id))).group_by(
                    act.c.room_id
                )
            )
        ).all()
    )
    totals: dict[str, dict[int, int]] = {}
    for name, source in (
        ("messages", message_rows(scope, since, now)),
        ("rsvps", rsvp_rows(scope, since, now)),
        ("questions", question_rows(scope, since, now)),
    ):
        sub = source.subquery()
        totals[name] = dict(
            (await conn.execute(select(sub.c.room_id, func.count()).group_by(sub.c.room_id))).all()
        )
    names = dict(
        (
            await conn.execute(select(rooms.c.id, rooms.c.name).where(in_scope(rooms.c.id, scope)))
        ).all()
    )
    out = []
    for room_id, name in names.items():
        members = counts.get(room_id, 0)
        small = members < SMALL_GROUP
        out.append(
            {
                "room_id": room_id,
                "name": name,
                "members": members,
                "small_group": small,
                "active": None if small else active.get(room_id, 0),
                "messages": None if small else totals["messages"].get(room_id, 0),
                "rsvps": None if small else totals["rsvps"].get(room_id, 0),
                "questions": None if small else totals["questions"].get(room_id, 0),
            }
        )
    out.sort(key=lambda row: (-(row["messages"] or 0), -row["members"], row["room_id"]))
    return out
