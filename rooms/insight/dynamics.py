"""Dynamics: rooms whose activity is falling against their own history, members slipping away,
and a readiness score per region. The formulas are written here and in
docs/market-and-insight.md, so an organiser can check them by hand.

Windows: *recent* is the last 28 days; *before* is the 84 days before that (three windows).
- A room is **falling** when it had at least MIN_BASELINE messages per 28 days before
  (baseline = messages before / 3) and its recent messages are below half of that baseline.
- A member is **slipping away** when they were active (message or RSVP) on at least
  MIN_ACTIVE_DAYS different days before and not at all recently.
- **Readiness** of a region, 0-100: 100 x (0.5 A + 0.3 R + 0.2 T), where, over the region's
  members in the scope, A = share active recently, R = share who answered "going" to an event
  recently, T = min(1, recent messages / baseline messages) (1 when there was no baseline
  but there is recent activity, 0 when there is neither). Regions with fewer than SMALL_GROUP
  members get no score, only their count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema import events, memberships, messages, rooms, rsvps, users
from rooms.community.timefmt import utc_iso
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import DAY_MS, activity, in_scope, message_rows

RECENT = 28 * DAY_MS
BEFORE = 3 * RECENT
MIN_BASELINE = 10
FALLING_BELOW = 0.5
MIN_ACTIVE_DAYS = 3


def readiness(active: float, going: float, trend: float) -> int:
    """The score from its three shares, each 0..1. Pure."""
    return round(100 * (0.5 * active + 0.3 * going + 0.2 * trend))


def trend_factor(recent: int, baseline: float) -> float:
    if baseline <= 0:
        return 1.0 if recent > 0 else 0.0
    return min(1.0, recent / baseline)


async def room_trends(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    recent_start, before_start = now - RECENT, now - RECENT - BEFORE
    sub = message_rows(scope, before_start, now).subquery()
    is_recent = sub.c.at >= recent_start
    rows = await conn.execute(
        select(
            sub.c.room_id,
            func.sum(case((is_recent, 1), else_=0)),
            func.count(),
        ).group_by(sub.c.room_id)
    )
    names = dict(
        (
            await conn.execute(select(rooms.c.id, rooms.c.name).where(in_scope(rooms.c.id, scope)))
        ).all()
    )
    out = []
    for room_id, recent, total in rows:
        recent = int(recent or 0)
        baseline = (total - recent) / 3
        falling = baseline >= MIN_BASELINE and recent < FALLING_BELOW * baseline
        out.append(
            {
                "room_id": room_id,
                "name": names.get(room_id, ""),
                "recent": recent,
                "baseline": round(baseline, 1),
                "change": None if baseline == 0 else round(recent / baseline - 1, 2),
                "falling": falling,
            }
        )
    out.sort(key=lambda row: (not row["falling"], row["change"] or 0, row["room_id"]))
    return out


async def slipping(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    """Members active on MIN_ACTIVE_DAYS days before the recent window and silent in it."""
    recent_start = now - RECENT
    act = activity(scope, recent_start - BEFORE, now)
    day = act.c.at // DAY_MS
    recent_days = func.count(func.distinct(case((act.c.at >= recent_start, day))))
    query = (
        select(
            act.c.user_id,
            func.count(func.distinct(day)).label("days"),
            recent_days.label("recent_days"),
            func.max(act.c.at).label("last_at"),
        )
        .group_by(act.c.user_id)
        .subquery()
    )
    rows = await conn.execute(
        select(query, users.c.display_name)
        .join(users, users.c.id == query.c.user_id)
        .where(query.c.recent_days == 0, query.c.days >= MIN_ACTIVE_DAYS)
        .order_by(query.c.last_at.desc(), query.c.user_id)
        .limit(500)
    )
    return [
        {
            "user_id": row.user_id,
            "name": row.display_name,
            "active_days_before": row.days,
            "last_active": utc_iso(row.last_at),
        }
        for row in rows
    ]


async def regions(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    """Readiness per region (the members' province and city as they wrote them, until the
    region reference data lands)."""
    recent_start, before_start = now - RECENT, now - RECENT - BEFORE
    region = func.trim(users.c.province + " / " + users.c.city)
    people = (
        select(users.c.id.label("user_id"), region.label("region"))
        .where(
            users.c.id.in_(
                select(memberships.c.user_id).where(in_scope(memberships.c.room_id, scope))
            )
        )
        .subquery("people")
    )
    members: dict[str, int] = dict(
        (await conn.execute(select(people.c.region, func.count()).group_by(people.c.region))).all()
    )
    act = activity(scope, recent_start, now)
    active = await _per_region(
        conn, people, select(act.c.user_id.label("user_id")).distinct().subquery()
    )
    going = await _per_region(
        conn,
        people,
        select(rsvps.c.user_id.label("user_id"))
        .join(events, events.c.id == rsvps.c.event_id)
        .where(
            rsvps.c.response == "going",
            rsvps.c.updated_at >= recent_start,
            in_scope(events.c.room_id, scope),
        )
        .distinct()
        .subquery(),
    )
    posted = message_rows(scope, before_start, now).add_columns(messages.c.author_id).subquery()
    volume = await conn.execute(
        select(
            people.c.region,
            func.sum(case((posted.c.at >= recent_start, 1), else_=0)),
            func.count(),
        )
        .join(people, people.c.user_id == posted.c.author_id)
        .group_by(people.c.region)
    )
    volumes = {row[0]: (int(row[1] or 0), int(row[2])) for row in volume}
    out = []
    for name, count in sorted(members.items(), key=lambda item: (-item[1], item[0])):
        row: dict[str, Any] = {"region": name or "?", "members": count}
        if count < SMALL_GROUP:
            row.update(small_group=True, score=None, active=None, going=None, trend=None)
        else:
            recent, total = volumes.get(name, (0, 0))
            shares = (
                active.get(name, 0) / count,
                going.get(name, 0) / count,
                trend_factor(recent, (total - recent) / 3),
            )
            row.update(
                small_group=False,
                score=readiness(*shares),
                active=round(shares[0], 3),
                going=round(shares[1], 3),
                trend=round(shares[2], 3),
            )
        out.append(row)
    return out


async def _per_region(conn: AsyncConnection, people: Any, who: Any) -> dict[str, int]:
    rows = await conn.execute(
        select(people.c.region, func.count())
        .join(who, who.c.user_id == people.c.user_id)
        .group_by(people.c.region)
    )
    return {region: n for region, n in rows}
