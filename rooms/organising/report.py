"""Recruitment reports: sign-ups over time, how many became active within 7 and 30 days, a
leaderboard of recruiters and a breakdown by the new members' regions, for one campaign, one
region or one recruiter.

"Active" means the new member posted in a room, answered an event's RSVP or attended a
meeting within that many days of signing up. The whole report is one statement over the
referrals alone, each with its member's region and first activity (the community's daily
roll-up keeps the latter: rooms/community/activity_days.py; refresh it first): the totals,
days, recruiters, regions and channels grouped in a UNION ALL (GROUPING SETS on PostgreSQL),
so the database does the counting, not Python. On PostgreSQL, 99,000 sign-ups and 1,000,000
messages: docs/benchmarks.md.
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
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.regions import regions
from rooms.community.schema.accounts import users
from rooms.community.schema.organising import referrals
from rooms.community.timefmt import utc_iso
from rooms.organising.referrals import CHANNELS

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
                    referrals.c.region_code == self.region_code,
                    referrals.c.region_code.like(self.region_code + ".%"),
                )
            )
        return conditions


def _signups(scope: Scope) -> Any:
    """One row per sign-up in scope, from the referrals alone: each keeps a copy of its
    member's region and first activity anywhere (a post, an RSVP or a meeting attended; kept
    by a trigger and the community's roll-up: rooms/community/schema/organising.py
    `referrals`), so the report joins neither the members nor their first activities
    (docs/benchmarks.md: the two joins were three quarters of its time)."""
    query = select(
        referrals.c.recruiter_id,
        (referrals.c.created_at // DAY_MS).label("day"),
        func.substr(referrals.c.region_code, 1, REGION_LEVEL_CHARS).label("area"),
        referrals.c.channel,
        case((referrals.c.flags != "", 1), else_=0).label("flagged"),
        referrals.c.created_at,
        referrals.c.first_at,
    )
    where = scope.where()
    return (query.where(and_(*where)) if where else query).cte("signups")


def _counts(signups: Any) -> list[Any]:
    """count, flagged, active within 7 and 30 days: the figures of every grouping."""

    def active(days: int) -> Any:
        began = signups.c.first_at < signups.c.created_at + days * DAY_MS
        return func.coalesce(func.sum(case((began, 1), else_=0)), 0)

    return [
        func.count().label("signups"),
        func.coalesce(func.sum(signups.c.flagged), 0).label("flagged"),
        active(7).label("active_7d"),
        active(30).label("active_30d"),
    ]


def _figures(signups: Any, kind: str, key: Any) -> Any:
    """The figures grouped by `key` (or all, for None), for SQLite's UNION ALL."""
    int_key = key if kind in ("day", "recruiter") else literal(None, Integer)
    text_key = key if kind in ("area", "channel") else literal(None, String)
    query = select(
        literal(kind).label("kind"),
        int_key.label("int_key"),
        text_key.label("text_key"),
        *_counts(signups),
    ).select_from(signups)
    return query.group_by(key) if key is not None else query


# PostgreSQL's GROUPING(day, recruiter_id, area, channel) for each grouping set: a bit per key
# left out, the first key the highest.
GROUPING_KINDS = {15: "all", 7: "day", 11: "recruiter", 13: "area", 14: "channel"}


def _grouping_sets(signups: Any) -> Any:
    """The five groupings in one pass over the sign-ups (PostgreSQL's GROUPING SETS: a third
    less of the database's time than one scan of the sign-ups each, docs/benchmarks.md)."""
    keys = (signups.c.day, signups.c.recruiter_id, signups.c.area, signups.c.channel)
    query = select(func.grouping(*keys).label("grouping"), *keys, *_counts(signups))
    return query.group_by(func.grouping_sets(tuple_(), *keys))


async def _grouped(conn: AsyncConnection, signups: Any) -> dict[str, list[Any]]:
    """The figures by kind ("all", "day", "recruiter", "area", "channel"), each row with
    `int_key` (a day or a recruiter) or `text_key` (a region's code or a channel)."""
    by_kind: dict[str, list[Any]] = {
        "all": [],
        "day": [],
        "recruiter": [],
        "area": [],
        "channel": [],
    }
    if conn.dialect.name == "postgresql":
        for row in await conn.execute(_grouping_sets(signups)):
            kind = GROUPING_KINDS[row.grouping]
            by_kind[kind].append(
                Figures(
                    row.day if kind == "day" else row.recruiter_id,
                    row.channel if kind == "channel" else row.area,
                    row.signups,
                    row.flagged,
                    row.active_7d,
                    row.active_30d,
                )
            )
        return by_kind
    statement = union_all(
        _figures(signups, "all", None),
        _figures(signups, "day", signups.c.day),
        _figures(signups, "recruiter", signups.c.recruiter_id),
        _figures(signups, "area", signups.c.area),
        _figures(signups, "channel", signups.c.channel),
    )
    for row in await conn.execute(statement):
        by_kind[row.kind].append(row)
    return by_kind


@dataclass(frozen=True)
class Figures:
    int_key: int | None
    text_key: str | None
    signups: int
    flagged: int
    active_7d: int
    active_30d: int


async def _leaderboard(conn: AsyncConnection, rows: list[Any], offset: int) -> list[Any]:
    """Recruiters by clean sign-ups (then by id, so pages never overlap), a page of
    LEADERBOARD_SIZE from `offset`, each with their rank and display name."""
    ranked = sorted(rows, key=lambda r: (-(int(r.signups) - int(r.flagged)), r.int_key))
    page = ranked[offset : offset + LEADERBOARD_SIZE]
    names = dict(
        (
            await conn.execute(
                select(users.c.id, users.c.display_name).where(
                    users.c.id.in_([row.int_key for row in page])
                )
            )
        ).all()
    )
    return [
        {
            "rank": offset + index + 1,
            "recruiter": {"id": row.int_key, "display_name": names.get(row.int_key, "")},
            "signups": int(row.signups),
            "flagged": int(row.flagged),
            "active_7d": int(row.active_7d),
        }
        for index, row in enumerate(page)
    ]


def _by_channel(rows: list[Any]) -> list[dict[str, Any]]:
    """Every channel in a fixed order, none left out for having no sign-ups."""
    counts = {row.text_key: row for row in rows}
    return [
        {
            "channel": channel,
            "signups": int(counts[channel].signups) if channel in counts else 0,
            "active_7d": int(counts[channel].active_7d) if channel in counts else 0,
        }
        for channel in CHANNELS
    ]


async def recruitment_report(
    conn: AsyncConnection, scope: Scope, target: int = 0, leaderboard_offset: int = 0
) -> dict[str, Any]:
    """The report, in one statement; the regions index must be loaded when members have
    region codes, and the activity roll-up refreshed (activity_days.refresh)."""
    if conn.dialect.name == "postgresql":
        # PostgreSQL's JIT compiles this plan (its cost estimate is high) for 0.4-2 s on the
        # 2-core machine, more than the query then runs: off for this transaction only.
        await conn.execute(text("SET LOCAL jit = off"))
    by_kind = await _grouped(conn, _signups(scope))
    [total] = by_kind["all"]
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
        "recruiters": len(by_kind["recruiter"]),
        "leaderboard_offset": leaderboard_offset,
        "leaderboard": await _leaderboard(conn, by_kind["recruiter"], leaderboard_offset),
        "by_region": [
            {
                "code": row.text_key or "",
                "name": regions().get(row.text_key).name if row.text_key else "",
                "signups": int(row.signups),
                "active_7d": int(row.active_7d),
            }
            for row in sorted(by_kind["area"], key=lambda r: (-int(r.signups), r.text_key or ""))
        ],
        "by_channel": _by_channel(by_kind["channel"]),
    }
