"""Recruitment reports: sign-ups over time, how many became active within 7 and 30 days, a
leaderboard of recruiters and a breakdown by the new members' regions, for one campaign, one
region or one recruiter.

"Active" means the new member posted in a room, answered an event's RSVP or attended a
meeting within that many days of signing up. The whole report is one statement: the sign-ups
in scope joined with each member's first activity (the community's daily roll-up keeps it:
rooms/community/activity_days.py; refresh it first), then the totals, days, recruiters and
regions grouped from that in a UNION ALL, so the database reads each sign-up once and does the
counting, not Python. On PostgreSQL, 99,000 sign-ups and 1,000,000 messages:
docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.regions import regions
from rooms.community.schema import member_first_activity, referrals, users
from rooms.community.timefmt import utc_iso

DAY_MS = 24 * 3_600_000
LEADERBOARD_SIZE = 20
REGION_LEVEL_CHARS = 5  # "32.73": the breakdown is by regency or city


@dataclass(frozen=True)
class Scope:
    """Which sign-ups a report covers: any combination of these, all when None."""

    campaign_id: int | None = None
    region_code: str | None = None  # the new member's region, or any region inside it
    recruiter_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.campaign_id is not None:
            conditions.append(referrals.c.campaign_id == self.campaign_id)
        if self.recruiter_id is not None:
            conditions.append(referrals.c.recruiter_id == self.recruiter_id)
        if self.region_code:
            conditions.append(
                or_(
                    users.c.region_code == self.region_code,
                    users.c.region_code.like(self.region_code + ".%"),
                )
            )
        return conditions


def _signups(scope: Scope) -> Any:
    """One row per sign-up in scope, with its member's first activity anywhere (a post, an
    RSVP or a meeting attended), from the community's roll-up (member_first_activity:
    rooms/community/activity_days.py) joined once, instead of probing the message and RSVP
    tables per sign-up."""
    first = member_first_activity
    query = select(
        referrals.c.recruiter_id,
        (referrals.c.created_at // DAY_MS).label("day"),
        func.substr(users.c.region_code, 1, REGION_LEVEL_CHARS).label("area"),
        case((referrals.c.flags != "", 1), else_=0).label("flagged"),
        referrals.c.created_at,
        first.c.first_at,
    ).select_from(
        referrals.join(users, users.c.id == referrals.c.user_id).outerjoin(
            first, first.c.user_id == referrals.c.user_id
        )
    )
    where = scope.where()
    return (query.where(and_(*where)) if where else query).cte("signups")


def _figures(signups: Any, kind: str, key: Any) -> Any:
    """count, flagged, active within 7 and 30 days, grouped by `key` (or all, for None)."""

    def active(days: int) -> Any:
        began = signups.c.first_at < signups.c.created_at + days * DAY_MS
        return func.coalesce(func.sum(case((began, 1), else_=0)), 0)

    int_key = key if kind in ("day", "recruiter") else literal(None, Integer)
    text_key = key if kind == "area" else literal(None, String)
    query = select(
        literal(kind).label("kind"),
        int_key.label("int_key"),
        text_key.label("text_key"),
        func.count().label("signups"),
        func.coalesce(func.sum(signups.c.flagged), 0).label("flagged"),
        active(7).label("active_7d"),
        active(30).label("active_30d"),
    ).select_from(signups)
    return query.group_by(key) if key is not None else query


async def recruitment_report(
    conn: AsyncConnection, scope: Scope, target: int = 0
) -> dict[str, Any]:
    """The report, in one statement; the regions index must be loaded when members have
    region codes, and the activity roll-up refreshed (activity_days.refresh)."""
    if conn.dialect.name == "postgresql":
        # PostgreSQL's JIT compiles this plan (its cost estimate is high) for 0.4-2 s on the
        # 2-core machine, more than the query then runs: off for this transaction only.
        await conn.execute(text("SET LOCAL jit = off"))
    signups = _signups(scope)
    rows = (
        await conn.execute(
            union_all(
                _figures(signups, "all", None),
                _figures(signups, "day", signups.c.day),
                _figures(signups, "recruiter", signups.c.recruiter_id),
                _figures(signups, "area", signups.c.area),
            )
        )
    ).all()
    by_kind: dict[str, list[Any]] = {"all": [], "day": [], "recruiter": [], "area": []}
    for row in rows:
        by_kind[row.kind].append(row)
    [total] = by_kind["all"]
    leaders = sorted(
        by_kind["recruiter"], key=lambda r: (-(int(r.signups) - int(r.flagged)), r.int_key)
    )[:LEADERBOARD_SIZE]
    names = dict(
        (
            await conn.execute(
                select(users.c.id, users.c.display_name).where(
                    users.c.id.in_([row.int_key for row in leaders])
                )
            )
        ).all()
    )
    signup_count = int(total.signups)
    return {
        "signups": signup_count,
        "flagged": int(total.flagged),
        "active_7d": int(total.active_7d),
        "active_30d": int(total.active_30d),
        "target": target,
        "progress": round(signup_count / target, 4) if target else None,
        "per_day": [
            {"day": utc_iso(int(row.int_key) * DAY_MS), "signups": int(row.signups)}
            for row in sorted(by_kind["day"], key=lambda r: r.int_key)
        ],
        "leaderboard": [
            {
                "recruiter": {"id": row.int_key, "display_name": names.get(row.int_key, "")},
                "signups": int(row.signups),
                "flagged": int(row.flagged),
                "active_7d": int(row.active_7d),
            }
            for row in leaders
        ],
        "by_region": [
            {
                "code": row.text_key or "",
                "name": regions().get(row.text_key).name if row.text_key else "",
                "signups": int(row.signups),
                "active_7d": int(row.active_7d),
            }
            for row in sorted(by_kind["area"], key=lambda r: (-int(r.signups), r.text_key or ""))
        ],
    }
