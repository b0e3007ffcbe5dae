"""Participation: active members, new and returning, messages, RSVPs and questions per day,
week or month, for the scope or one room; and each room's totals over the last four weeks.

New in a period: active in it, and never active in the scope before it. Returning: active in
it and before it. Attended: was in a meeting in it (rooms/community/attendance.py). Groups
smaller than SMALL_GROUP members are shown as a count only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.activity_days import DAY_MS, final_until
from rooms.community.schema.activity import period_counts
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.timefmt import utc_iso
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import (
    PERIODS,
    end_day,
    in_region,
    in_scope,
    member_days,
    newcomers,
    room_day_rows,
)

GRID_MONDAY = 4  # 1970-01-05, the first Monday after the epoch
WINDOW_DAYS = 28  # the rooms table: the last four weeks
TOTALS: tuple[str, ...] = ("messages", "rsvps", "questions", "meeting_seconds")
TOTALS_OF_MEMBERS: tuple[str, ...] = ("messages", "rsvps", "meeting_seconds")
# PostgreSQL advisory lock around counting past periods (activity_days' roll-up takes 1800).
PERIOD_COUNTS_LOCK_KEY = 1801


async def member_count(conn: AsyncConnection, scope: Scope) -> int:
    query = select(func.count(func.distinct(memberships.c.user_id))).where(
        in_scope(memberships.c.room_id, scope), in_region(memberships.c.user_id, scope)
    )
    return int((await conn.execute(query)).scalar_one())


def period_start(day: int, length: int) -> int:
    """The first day of the period holding `day`, on a fixed grid: weeks (and 28-day months)
    start on Mondays, counted from Monday 1970-01-05 (day 4), so a past period never moves and
    its figures are counted once. Pure."""
    return day - (day - GRID_MONDAY) % length


async def series(
    conn: AsyncConnection, scope: Scope, period: str, count: int, now: int
) -> dict[str, Any]:
    """`count` periods, the last being the one today is in (so far), oldest first."""
    length = PERIODS[period] // DAY_MS
    current = period_start(end_day(now) - 1, length)
    start = current - (count - 1) * length
    members = await member_count(conn, scope)
    if members < SMALL_GROUP:
        return {"members": members, "small_group": True, "rows": []}
    figures = await _cached(conn, scope, period, start, await final_until(conn))
    missing = [n for n in range(count) if start + n * length not in figures]
    if missing:  # the current period, and any past one not counted yet
        figures |= await _active(conn, scope, start + missing[0] * length, end_day(now), length)
    rows = [
        {
            "start": utc_iso((start + n * length) * DAY_MS),
            "active": 0,
            "new": 0,
            "returning": 0,
            "attended": 0,
            "messages": 0,
            "rsvps": 0,
            "questions": None if scope.region else 0,
            "meeting_minutes": 0,
        }
        for n in range(count)
    ]
    for first_day, (active, fresh, attended) in figures.items():
        index = (first_day - start) // length
        if 0 <= index < count:
            rows[index].update(
                active=active, new=fresh, returning=active - fresh, attended=attended
            )
    for index, totals in (await _totals(conn, scope, start, end_day(now), length)).items():
        rows[index].update(totals)
    return {"members": members, "small_group": False, "period": period, "rows": rows}


async def _totals(
    conn: AsyncConnection, scope: Scope, start: int, until: int, length: int
) -> dict[int, dict[str, int | None]]:
    """Messages, RSVP answers, questions and meeting minutes of each period from `start`. For
    a region, from its members' own daily rows: a room's questions (room_days) are not
    anyone's, so a region's are None (not counted, rather than a wrong 0)."""
    if scope.region:
        source, names = member_days(scope, start, until).subquery(), TOTALS_OF_MEMBERS
    else:
        source, names = room_day_rows(scope, start, until).subquery(), TOTALS
    per = (source.c.day - start) // length
    sums = [func.sum(source.c[name]) for name in names]
    out: dict[int, dict[str, int | None]] = {}
    for index, *found in await conn.execute(select(per, *sums).group_by(per)):
        totals = dict(zip(names, (int(t or 0) for t in found), strict=True))
        out[int(index)] = {
            "messages": totals["messages"],
            "rsvps": totals["rsvps"],
            "questions": totals.get("questions"),
            "meeting_minutes": totals["meeting_seconds"] // 60,
        }
    return out


async def _active(
    conn: AsyncConnection, scope: Scope, first: int, until: int, length: int
) -> dict[int, tuple[int, int, int]]:
    """Active, new and attending members of each period from `first` to `until`, by the
    period's first day."""
    act = member_days(scope, first, until).subquery("act")
    # Each member once per period first (a hash of (period, member) pairs), then counted:
    # COUNT(DISTINCT) would sort all the rows of the window instead.
    bucket = ((act.c.day - first) // length).label("bucket")
    once = (
        select(
            bucket,
            act.c.user_id,
            func.max(case((act.c.meeting_seconds > 0, 1), else_=0)).label("attended"),
        )
        .group_by(bucket, act.c.user_id)
        .subquery("once")
    )
    new = newcomers(scope, first)
    is_new = (new.c.first_day - first) // length == once.c.bucket
    found = await conn.execute(
        select(
            once.c.bucket,
            func.count(),
            func.sum(case((is_new, 1), else_=0)),
            func.sum(once.c.attended),
        )
        .outerjoin(new, new.c.user_id == once.c.user_id)
        .group_by(once.c.bucket)
    )
    counted = {first + n * length: (0, 0, 0) for n in range((until - first + length - 1) // length)}
    for index, active, fresh, attended in found:
        counted[first + int(index) * length] = (int(active), int(fresh or 0), int(attended or 0))
    return counted


async def _cached(
    conn: AsyncConnection, scope: Scope, period: str, start: int, final: int
) -> dict[int, tuple[int, int, int]]:
    """The organisation's past periods already counted (none for a scope of some rooms or a
    region: their rows are few enough to count each time)."""
    if scope.room_ids is not None or scope.region:
        return {}
    found = await conn.execute(
        select(
            period_counts.c.start_day,
            period_counts.c.active,
            period_counts.c.new,
            period_counts.c.attended,
        ).where(
            period_counts.c.period == period,
            period_counts.c.start_day >= start,
            period_counts.c.start_day < final,
        )
    )
    return {row[0]: (row[1], row[2], row[3]) for row in found}


async def count_past_periods(
    conn: AsyncConnection, scope: Scope, period: str, count: int, now: int
) -> None:
    """Count and keep the organisation's periods of the view that are wholly before the
    roll-up's mark and not kept yet: their days are final, so their figures are too. Run in
    the write transaction before the view reads (a past period is counted once, ever)."""
    if scope.room_ids is not None or scope.region:
        return
    if conn.dialect.name == "postgresql":
        # Two nodes (or `--workers`) counting the same new period at once would both insert
        # it and the second would fail on the primary key: the second waits, then finds it kept.
        await conn.execute(text(f"SELECT pg_advisory_xact_lock({PERIOD_COUNTS_LOCK_KEY})"))
    length = PERIODS[period] // DAY_MS
    start = period_start(end_day(now) - 1, length) - (count - 1) * length
    final = await final_until(conn)
    kept = await _cached(conn, scope, period, start, final)
    todo = [
        start + n * length
        for n in range(count)
        if start + (n + 1) * length <= final and start + n * length not in kept
    ]
    if not todo:
        return
    counted = await _active(conn, scope, todo[0], todo[-1] + length, length)
    await conn.execute(
        delete(period_counts).where(
            period_counts.c.period == period, period_counts.c.start_day.in_(todo)
        )
    )
    await conn.execute(
        insert(period_counts),
        [
            {"period": period, "start_day": day, "active": a, "new": n, "attended": m}
            for day, (a, n, m) in counted.items()
            if day in todo
        ],
    )


async def room_table(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    """Each room of the scope over the last four weeks, busiest first; small rooms as a count."""
    since, until = end_day(now) - WINDOW_DAYS, end_day(now)
    counts: dict[int, int] = dict(
        (
            await conn.execute(
                select(memberships.c.room_id, func.count())
                .where(in_scope(memberships.c.room_id, scope))
                .group_by(memberships.c.room_id)
            )
        ).all()
    )
    act = member_days(scope, since, until).subquery()
    # (room, member) pairs once, then counted: cheaper than COUNT(DISTINCT), which sorts.
    pairs = select(act.c.room_id, act.c.user_id).distinct().subquery("pairs")
    active: dict[int, int] = dict(
        (await conn.execute(select(pairs.c.room_id, func.count()).group_by(pairs.c.room_id))).all()
    )
    per_room = room_day_rows(scope, since, until).subquery()
    totals = {
        row[0]: [int(t or 0) for t in row[1:]]
        for row in await conn.execute(
            select(per_room.c.room_id, *(func.sum(per_room.c[n]) for n in TOTALS)).group_by(
                per_room.c.room_id
            )
        )
    }
    names = dict(
        (
            await conn.execute(select(rooms.c.id, rooms.c.name).where(in_scope(rooms.c.id, scope)))
        ).all()
    )
    out = []
    for room_id, name in names.items():
        members = counts.get(room_id, 0)
        small = members < SMALL_GROUP
        messages, answers, questions, seconds = totals.get(room_id, [0, 0, 0, 0])
        out.append(
            {
                "room_id": room_id,
                "name": name,
                "members": members,
                "small_group": small,
                "active": None if small else active.get(room_id, 0),
                "messages": None if small else messages,
                "rsvps": None if small else answers,
                "questions": None if small else questions,
                "meeting_minutes": None if small else seconds // 60,
            }
        )
    out.sort(key=lambda row: (-(row["messages"] or 0), -row["members"], row["room_id"]))
    return out
