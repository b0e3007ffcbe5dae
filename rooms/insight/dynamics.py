"""Dynamics: rooms whose activity is falling against their own history, members slipping away,
and a readiness score per region. The formulas are written here and in
docs/market-and-insight.md, so an organiser can check them by hand.

Windows: *recent* is the 28 whole UTC days up to the roll-up's mark (up to yesterday, today
left out: rooms/community/activity_days.py); *before* is the 84 days before that (three
windows). Organisation-wide, each member's figures over them are kept (`member_windows`,
rebuilt once a day), so these views read one row per member instead of 112 days of rows.
- A room is **falling** when it had at least MIN_BASELINE messages per 28 days before
  (baseline = messages before / 3) and its recent messages are below half of that baseline.
- A member is **slipping away** when they were active (message, RSVP, meeting) on at least
  MIN_ACTIVE_DAYS different days before and not at all recently.
- **Readiness** of a region, 0-100: 100 x (0.5 A + 0.3 R + 0.2 T), where, over the region's
  members in the scope, A = share active recently, R = share who answered "going" to an event
  recently, T = min(1, recent messages / baseline messages) (1 when there was no baseline
  but there is recent activity, 0 when there is neither). Regions with fewer than SMALL_GROUP
  members get no score, only their count. A region's engagement trend is its members'
  messages recently against their baseline, and it is **falling** by the rooms' rule.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.activity_days import BEFORE_DAYS, DAY_MS, RECENT_DAYS, final_until
from rooms.community.regions.data import regions as region_data
from rooms.community.schema.accounts import users
from rooms.community.schema.activity import member_windows
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.timefmt import utc_iso
from rooms.insight.access import SMALL_GROUP, Scope
from rooms.insight.activity import in_scope, member_days, room_day_rows

RECENT = RECENT_DAYS
BEFORE = BEFORE_DAYS
MIN_BASELINE = 10
FALLING_BELOW = 0.5
MIN_ACTIVE_DAYS = 3
REGENCY_CHARS = 5  # "32.73": readiness is per regency or city
CODE = re.compile(r"[0-9]{2}(\.[0-9]{2})?")


def readiness(active: float, going: float, trend: float) -> int:
    """The score from its three shares, each 0..1. Pure."""
    return round(100 * (0.5 * active + 0.3 * going + 0.2 * trend))


def trend_factor(recent: int, baseline: float) -> float:
    if baseline <= 0:
        return 1.0 if recent > 0 else 0.0
    return min(1.0, recent / baseline)


async def room_trends(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    until = await final_until(conn)
    recent_start, before_start = until - RECENT, until - RECENT - BEFORE
    sub = room_day_rows(scope, before_start, until).subquery()
    is_recent = sub.c.day >= recent_start
    rows = await conn.execute(
        select(
            sub.c.room_id,
            func.sum(case((is_recent, sub.c.messages), else_=0)),
            func.sum(sub.c.messages),
        ).group_by(sub.c.room_id)
    )
    names = dict(
        (
            await conn.execute(select(rooms.c.id, rooms.c.name).where(in_scope(rooms.c.id, scope)))
        ).all()
    )
    out = []
    for room_id, recent, total in rows:
        recent, total = int(recent or 0), int(total or 0)
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
    windows = await _windows(conn, scope)
    rows = await conn.execute(
        select(windows, users.c.display_name)
        .join(users, users.c.id == windows.c.user_id)
        .where(windows.c.recent_days == 0, windows.c.before_days >= MIN_ACTIVE_DAYS)
        .order_by(windows.c.last_day.desc(), windows.c.user_id)
        .limit(500)
    )
    return [
        {
            "user_id": row.user_id,
            "name": row.display_name,
            "active_days_before": row.before_days,
            "last_active": utc_iso(row.last_day * DAY_MS),
        }
        for row in rows
    ]


def _code(region: str) -> str:
    return region if CODE.fullmatch(region) else ""


def _region_name(region: str) -> str:
    """A code's name from the region data (loaded by the caller), else the text itself."""
    if not region:
        return "?"
    return region_data().get(region).name if _code(region) else region


async def _windows(conn: AsyncConnection, scope: Scope) -> Any:
    """Per member of the scope: active days recently and before, last active day, messages
    recently and before, and whether they said "going" recently; the windows end at the
    roll-up's mark (yesterday). Organisation-wide these are kept (member_windows, rebuilt once
    a day); for some rooms they are counted from those rooms' daily rows."""
    if scope.room_ids is None:
        return member_windows
    until = await final_until(conn)
    recent_start = until - RECENT
    act = member_days(scope, recent_start - BEFORE, until).subquery("act")
    # A member's days once (rooms folded), then counted per member.
    days = (
        select(
            act.c.user_id,
            act.c.day,
            func.sum(act.c.messages).label("messages"),
            func.max(act.c.going).label("going"),
        )
        .group_by(act.c.user_id, act.c.day)
        .subquery("days")
    )
    recent = days.c.day >= recent_start
    return (
        select(
            days.c.user_id,
            func.sum(case((recent, 1), else_=0)).label("recent_days"),
            func.sum(case((recent, 0), else_=1)).label("before_days"),
            func.max(days.c.day).label("last_day"),
            func.sum(case((recent, days.c.messages), else_=0)).label("recent_messages"),
            func.sum(case((recent, 0), else_=days.c.messages)).label("before_messages"),
            func.max(case((recent & (days.c.going > 0), 1), else_=0)).label("going"),
        )
        .group_by(days.c.user_id)
        .subquery("windows")
    )


async def regions(conn: AsyncConnection, scope: Scope, now: int) -> list[dict[str, Any]]:
    """Readiness per region: regency or city by code, else the text the member wrote."""
    # The member's regency or city by its code ("32.73"), named from the region data; a member
    # without a code by the province and city they wrote.
    region = case(
        (users.c.region_code != "", func.substr(users.c.region_code, 1, REGENCY_CHARS)),
        else_=func.trim(users.c.province + " / " + users.c.city),
    )
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
    windows = await _windows(conn, scope)
    figures = {
        row[0]: tuple(int(n or 0) for n in row[1:])
        for row in await conn.execute(
            select(
                people.c.region,
                func.sum(case((windows.c.recent_days > 0, 1), else_=0)),
                func.sum(windows.c.going),
                func.sum(windows.c.recent_messages),
                func.sum(windows.c.before_messages),
            )
            .join(people, people.c.user_id == windows.c.user_id)
            .group_by(people.c.region)
        )
    }
    out = []
    for name, count in sorted(members.items(), key=lambda item: (-item[1], item[0])):
        row: dict[str, Any] = {"region": _region_name(name), "code": _code(name), "members": count}
        if count < SMALL_GROUP:
            row.update(dict.fromkeys(REGION_FIGURES), small_group=True)
        else:
            row.update(region_figures(count, *figures.get(name, (0, 0, 0, 0))), small_group=False)
        out.append(row)
    return out


REGION_FIGURES = ("score", "active", "going", "trend", "recent", "baseline", "change", "falling")


def region_figures(
    members: int, active: int, going: int, recent: int, before: int
) -> dict[str, Any]:
    """A region's readiness and its three shares, and its engagement trend as a room's: its
    members' messages recently against their baseline (a 28-day third of the 84 days before),
    falling by the rooms' rule. Pure."""
    baseline = before / 3
    shares = (active / members, going / members, trend_factor(recent, baseline))
    return {
        "score": readiness(*shares),
        "active": round(shares[0], 3),
        "going": round(shares[1], 3),
        "trend": round(shares[2], 3),
        "recent": recent,
        "baseline": round(baseline, 1),
        "change": None if baseline == 0 else round(recent / baseline - 1, 2),
        "falling": baseline >= MIN_BASELINE and recent < FALLING_BELOW * baseline,
    }
