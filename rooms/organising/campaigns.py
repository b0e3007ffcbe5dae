"""Campaigns: an organiser's drive to recruit members (a car-free-day stall, a month in one
regency) with a name, a region, the rooms new members join, dates and a target count.

Who is an organiser: an administrator, or someone who may invite people into every room the
campaign fills (a room owner or moderator; rooms/community/permissions.py "invite"). Bringing
members into a room is what an invitation does, so a campaign asks for no more and no less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.direct_pairs import DIRECT
from rooms.community.membership import require
from rooms.community.permissions import may
from rooms.community.regions import check_place
from rooms.community.regions.data import loaded_regions
from rooms.community.schema.organising import campaign_rooms, campaigns
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.service import CommunityService
from rooms.community.timefmt import check_in_range, utc_iso
from rooms.errors import Forbidden, Invalid, NotFound

MAX_NAME = 120
MAX_ROOMS = 20
MAX_TARGET = 10_000_000


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    region_code: str
    starts_at: int
    ends_at: int
    target: int
    created_by: int

    def running(self, now: int) -> bool:
        return self.starts_at <= now < self.ends_at


def check_campaign(
    name: str, starts_at: int, ends_at: int, target: int, room_ids: list[int]
) -> str:
    """The trimmed name, or Invalid naming the field. Pure."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        raise Invalid(f"name must be 1-{MAX_NAME} characters", "name")
    check_in_range(starts_at, "starts_at")
    check_in_range(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise Invalid("ends_at must be after starts_at", "ends_at")
    if not 0 <= target <= MAX_TARGET:
        raise Invalid(f"target must be 0-{MAX_TARGET}", "target")
    if not 0 < len(set(room_ids)) == len(room_ids) <= MAX_ROOMS:
        raise Invalid(f"room_ids must name 1-{MAX_ROOMS} different rooms", "room_ids")
    return name


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        region_code=row.region_code,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        target=row.target,
        created_by=row.created_by,
    )


async def load_campaign(conn: AsyncConnection, campaign_id: int) -> Campaign:
    row = (await conn.execute(select(campaigns).where(campaigns.c.id == campaign_id))).one_or_none()
    if row is None:
        raise NotFound("no such campaign", "campaign_id")
    return _campaign(row)


async def active_campaign(
    conn: AsyncConnection, campaign_id: int | None, now: int
) -> Campaign | None:
    """The campaign if it exists and is running now, else None: a link kept after the campaign
    still brings the person in (credited to the recruiter), just not into its rooms."""
    if campaign_id is None:
        return None
    try:
        campaign = await load_campaign(conn, campaign_id)
    except NotFound:
        return None
    return campaign if campaign.running(now) else None


async def campaign_room_ids(conn: AsyncConnection, campaign_id: int) -> list[int]:
    result = await conn.execute(
        select(campaign_rooms.c.room_id)
        .where(campaign_rooms.c.campaign_id == campaign_id)
        .order_by(campaign_rooms.c.room_id)
    )
    return list(result.scalars())


async def may_organise(conn: AsyncConnection, user: User, campaign: Campaign) -> bool:
    """Administrators, the campaign's maker, and whoever may invite into one of its rooms."""
    if user.is_admin or campaign.created_by == user.id:
        return True
    roles = (
        await conn.execute(
            select(memberships.c.role)
            .join(campaign_rooms, campaign_rooms.c.room_id == memberships.c.room_id)
            .where(campaign_rooms.c.campaign_id == campaign.id, memberships.c.user_id == user.id)
        )
    ).scalars()
    return any(may(role, "invite") for role in roles)


class Campaigns(CommunityService):
    async def create(
        self,
        user: User,
        name: str,
        room_ids: list[int],
        starts_at: int,
        ends_at: int,
        target: int = 0,
        region_code: str = "",
    ) -> dict[str, Any]:
        name = check_campaign(name, starts_at, ends_at, target, room_ids)
        if region_code:
            await loaded_regions()
        region_code = check_place(region_code)["region_code"]
        async with self._db.write() as conn:
            for room_id in room_ids:
                if not user.is_admin:
                    await require(conn, room_id, user.id, "invite")
                elif (
                    # A direct conversation keeps its two members: never a campaign's room.
                    await conn.execute(
                        select(rooms.c.id).where(rooms.c.id == room_id, rooms.c.kind != DIRECT)
                    )
                ).first() is None:
                    raise NotFound("no such room", "room_ids")
            campaign_id = (
                await conn.execute(
                    insert(campaigns)
                    .values(
                        name=name,
                        region_code=region_code,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        target=target,
                        created_by=user.id,
                        created_at=self._now(),
                    )
                    .returning(campaigns.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(campaign_rooms),
                [{"campaign_id": campaign_id, "room_id": room_id} for room_id in room_ids],
            )
            return await self._view(conn, await load_campaign(conn, campaign_id))

    async def get(self, user: User, campaign_id: int) -> dict[str, Any]:
        """A campaign, for anyone who may share its link (a member of one of its rooms)."""
        async with self._db.read() as conn:
            campaign = await load_campaign(conn, campaign_id)
            view = await self._view(conn, campaign)
            mine = (
                await conn.execute(
                    select(memberships.c.room_id).where(
                        memberships.c.user_id == user.id,
                        memberships.c.room_id.in_([room["id"] for room in view["rooms"]]),
                    )
                )
            ).first()
            if mine is None and not await may_organise(conn, user, campaign):
                raise NotFound("no such campaign", "campaign_id")
        return view

    async def list_for(self, user: User) -> list[dict[str, Any]]:
        """Running and coming campaigns in the member's rooms, soonest ending first."""
        now = self._now()
        async with self._db.read() as conn:
            mine = select(memberships.c.room_id).where(memberships.c.user_id == user.id)
            ids = select(campaign_rooms.c.campaign_id).where(campaign_rooms.c.room_id.in_(mine))
            rows = (
                await conn.execute(
                    select(campaigns)
                    .where(campaigns.c.id.in_(ids), campaigns.c.ends_at > now)
                    .order_by(campaigns.c.ends_at, campaigns.c.id)
                )
            ).all()
            return [await self._view(conn, _campaign(row)) for row in rows]

    async def require_organiser(self, user: User, campaign_id: int) -> Campaign:
        async with self._db.read() as conn:
            campaign = await load_campaign(conn, campaign_id)
            if not await may_organise(conn, user, campaign):
                raise Forbidden("only the campaign's organisers see its report")
        return campaign

    async def _view(self, conn: AsyncConnection, campaign: Campaign) -> dict[str, Any]:
        room_rows = (
            await conn.execute(
                select(rooms.c.id, rooms.c.name)
                .join(campaign_rooms, campaign_rooms.c.room_id == rooms.c.id)
                .where(campaign_rooms.c.campaign_id == campaign.id)
                .order_by(rooms.c.id)
            )
        ).all()
        return {
            "id": campaign.id,
            "name": campaign.name,
            "region_code": campaign.region_code,
            "starts_at": utc_iso(campaign.starts_at),
            "ends_at": utc_iso(campaign.ends_at),
            "target": campaign.target,
            "running": campaign.running(self._now()),
            "rooms": [{"id": row.id, "name": row.name} for row in room_rows],
        }
