"""Recruitment reports: sign-ups over time, how many became active within 7 and 30 days, a
leaderboard of recruiters and a breakdown by the new members' regions, for one campaign, one
region or one recruiter.

"Active" means the new member posted in a room or answered an event's RSVP within that many
days of signing up (meeting attendance is not stored: a live meeting keeps no roll). Each
figure is one aggregate query over `referrals` with EXISTS probes into messages and RSVPs, so
the database does the counting, not Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.regions import regions
from rooms.community.schema import messages, referrals, rsvps, users
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


def _active_within(days: int) -> ColumnElement[int]:
    deadline = referrals.c.created_at + days * DAY_MS
    posted = (
        select(messages.c.id)
        .where(messages.c.author_id == referrals.c.user_id, messages.c.created_at < deadline)
        .exists()
    )
    answered = (
        select(rsvps.c.event_id)
        .where(rsvps.c.user_id == referrals.c.user_id, rsvps.c.updated_at < deadline)
        .exists()
    )
    return case((or_(posted, answered), 1), else_=0)


def _flagged() -> ColumnElement[int]:
    return case((referrals.c.flags != "", 1), else_=0)


async def recruitment_report(
    conn: AsyncConnection, scope: Scope, target: int = 0
) -> dict[str, Any]:
    """The report; the regions index must be loaded when members have region codes."""
    joined = referrals.join(users, users.c.id == referrals.c.user_id)
    where = and_(*scope.where()) if scope.where() else None

    def scoped(query: Any) -> Any:
        query = query.select_from(joined)
        return query.where(where) if where is not None else query

    totals = (
        await conn.execute(
            scoped(
                select(
                    func.count(),
                    func.coalesce(func.sum(_flagged()), 0),
                    func.coalesce(func.sum(_active_within(7)), 0),
                    func.coalesce(func.sum(_active_within(30)), 0),
                )
            )
        )
    ).one()
    day = (referrals.c.created_at // DAY_MS).label("day")
    per_day = (
        await conn.execute(scoped(select(day, func.count())).group_by(day).order_by(day))
    ).all()
    by_recruiter = (
        await conn.execute(
            scoped(
                select(
                    referrals.c.recruiter_id,
                    func.count().label("signups"),
                    func.sum(_flagged()).label("flagged"),
                    func.sum(_active_within(7)).label("active_7d"),
                )
            )
            .group_by(referrals.c.recruiter_id)
            .order_by((func.count() - func.sum(_flagged())).desc(), referrals.c.recruiter_id)
            .limit(LEADERBOARD_SIZE)
        )
    ).all()
    names = dict(
        (
            await conn.execute(
                select(users.c.id, users.c.display_name).where(
                    users.c.id.in_([row.recruiter_id for row in by_recruiter])
                )
            )
        ).all()
    )
    area = func.substr(users.c.region_code, 1, REGION_LEVEL_CHARS).label("area")
    by_area = (
        await conn.execute(
            scoped(
                select(
                    area,
                    func.count().label("signups"),
                    func.sum(_active_within(7)).label("active_7d"),
                )
            )
            .group_by(area)
            .order_by(func.count().desc(), area)
        )
    ).all()
    signups, flagged, active_7d, active_30d = (int(value) for value in totals)
    return {
        "signups": signups,
        "flagged": flagged,
        "active_7d": active_7d,
        "active_30d": active_30d,
        "target": target,
        "progress": round(signups / target, 4) if target else None,
        "per_day": [{"day": utc_iso(int(row.day) * DAY_MS), "signups": row[1]} for row in per_day],
        "leaderboard": [
            {
                "recruiter": {
                    "id": row.recruiter_id,
                    "display_name": names.get(row.recruiter_id, ""),
                },
                "signups": int(row.signups),
                "flagged": int(row.flagged),
                "active_7d": int(row.active_7d),
            }
            for row in by_recruiter
        ],
        "by_region": [
            {
                "code": row.area,
                "name": regions().get(row.area).name if row.area else "",
                "signups": int(row.signups),
                "active_7d": int(row.active_7d),
            }
            for row in by_area
        ],
    }
