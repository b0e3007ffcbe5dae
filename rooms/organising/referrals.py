"""Recruitment by referral: every member's personal code, and who brought each new member in,
how (a link, a QR code, a room invitation) and for which campaign.

A new member who registers through a link is recorded in the same transaction that puts them
into the campaign's rooms, so a report never counts a member who is not in the rooms, nor the
reverse. Fraud rules (rooms/organising/fraud.py) flag or refuse; nothing is dropped silently.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.bus import Bus, user_topic
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.events import RoomMember
from rooms.community.schema.accounts import users
from rooms.community.schema.activity import member_first_activity
from rooms.community.schema.organising import referral_codes, referrals
from rooms.community.schema.rooms import invites, memberships
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import NotFound, RateLimited
from rooms.organising import fraud
from rooms.organising.campaigns import active_campaign, campaign_room_ids

Channel = Literal["link", "qr", "room_invite"]
CHANNELS: tuple[Channel, ...] = ("link", "qr", "room_invite")
CODE_BYTES = 6  # 8 URL-safe characters: 2^48 codes, short enough to type from a poster
# A room invitation counts as recruitment when the account is this new: the invitation was
# what brought the person in, not something they came across years later.
NEW_ACCOUNT_MS = 3_600_000


def join_path(code: str, campaign_id: int | None = None, via: str = "link") -> str:
    """The client route a referral opens: registration, then the campaign's rooms."""
    query = [f"via={via}"] if via != "link" else []
    if campaign_id is not None:
        query.append(f"campaign={campaign_id}")
    return f"/#/join/{code}" + ("?" + "&".join(query) if query else "")


def signup_facts(user_id: int) -> dict[str, Any]:
    """The member's region and first activity as the referral keeps them for reports (later
    changes: a trigger and the activity roll-up, rooms/community/schema/organising.py
    `referrals`)."""
    return {
        "region_code": select(users.c.region_code).where(users.c.id == user_id).scalar_subquery(),
        "first_at": select(member_first_activity.c.first_at)
        .where(member_first_activity.c.user_id == user_id)
        .scalar_subquery(),
    }


class Recruitment(CommunityService):
    def __init__(self, db: Database, bus: Bus, clock: Callable[[], float], secret: str) -> None:
        super().__init__(db, bus, clock)
        self._secret = secret

    async def my_code(self, user: User) -> str:
        """The member's personal code, made on first use."""
        async with self._db.read() as conn:
            code = await _code_of(conn, user.id)
        if code is not None:
            return code
        try:
            async with self._db.write() as conn:
                new = secrets.token_urlsafe(CODE_BYTES)
                await conn.execute(
                    insert(referral_codes).values(user_id=user.id, code=new, created_at=self._now())
                )
                return new
        except IntegrityError:  # a second request of the same member's won the race
            async with self._db.read() as conn:
                existing = await _code_of(conn, user.id)
            assert existing is not None
            return existing

    async def recruiter(self, code: str) -> User:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(users)
                    .join(referral_codes, referral_codes.c.user_id == users.c.id)
                    .where(referral_codes.c.code == code)
                )
            ).one_or_none()
        if row is None:
            raise NotFound("this invitation link is not valid", "code")
        return user_from_row(row)

    async def preview(self, code: str, campaign_id: int | None) -> dict[str, Any]:
        """What the join page shows before registering: who invites, and to which campaign."""
        recruiter = await self.recruiter(code)
        async with self._db.read() as conn:
            campaign = await active_campaign(conn, campaign_id, self._now())
        return {
            "recruiter": {"display_name": recruiter.display_name},
            "campaign": None if campaign is None else {"id": campaign.id, "name": campaign.name},
        }

    async def check_device(self, device: str) -> None:
        """RateLimited when this device has made too many accounts today (before registering,
        so a refused person has no half-made account)."""
        key = fraud.private_key(self._secret, "device", device)
        if not key:
            return
        async with self._db.read() as conn:
            count = await _recent(conn, referrals.c.device_key, key, self._now() - fraud.DAY_MS)
        if fraud.device_refused(count):
            raise RateLimited(
                "too many new accounts from this device today; try again tomorrow",
                "device",
                retry_after=fraud.DAY_MS / 1000,
            )

    async def record(
        self,
        member: User,
        recruiter: User,
        channel: Channel,
        campaign_id: int | None,
        address: str,
        device: str,
    ) -> dict[str, Any]:
        """Record who brought `member` in and put them into the campaign's rooms (when the
        campaign is running). Returns {campaign, rooms, flags}."""
        now = self._now()
        address_key = fraud.private_key(self._secret, "address", address)
        device_key = fraud.private_key(self._secret, "device", device)
        async with self._db.write() as conn:
            campaign = await active_campaign(conn, campaign_id, now)
            flags = fraud.flags_for(
                await _recent(conn, referrals.c.device_key, device_key, now - fraud.DAY_MS)
                if device_key
                else 0,
                await _recent(conn, referrals.c.address_key, address_key, now - fraud.HOUR_MS)
                if address_key
                else 0,
            )
            await conn.execute(
                insert(referrals).values(
                    user_id=member.id,
                    recruiter_id=recruiter.id,
                    channel=channel,
                    campaign_id=campaign.id if campaign else None,
                    created_at=now,
                    address_key=address_key,
                    device_key=device_key,
                    flags=",".join(flags),
                    **signup_facts(member.id),
                )
            )
            room_ids = await campaign_room_ids(conn, campaign.id) if campaign else []
            for room_id in room_ids:
                await conn.execute(
                    insert(memberships).values(
                        room_id=room_id, user_id=member.id, role="member", joined_at=now
                    )
                )
        for room_id in room_ids:
            self._announce_member(room_id, member)
        return {
            "campaign": None if campaign is None else {"id": campaign.id, "name": campaign.name},
            "rooms": room_ids,
            "flags": flags,
        }

    async def record_room_invite(self, member: User, code: str, address: str, device: str) -> bool:
        """Credit a room invitation's maker with a member it brought in: only for an account
        made within the last hour that nobody has been credited with yet. True if recorded."""
        now = self._now()
        async with self._db.read() as conn:
            created_at = (
                await conn.execute(select(users.c.created_at).where(users.c.id == member.id))
            ).scalar_one()
            maker = (
                await conn.execute(select(invites.c.created_by).where(invites.c.code == code))
            ).scalar_one_or_none()
            credited = (
                await conn.execute(
                    select(referrals.c.user_id).where(referrals.c.user_id == member.id)
                )
            ).first()
        if maker is None or credited is not None or now - created_at > NEW_ACCOUNT_MS:
            return False
        if maker == member.id:
            return False
        address_key = fraud.private_key(self._secret, "address", address)
        device_key = fraud.private_key(self._secret, "device", device)
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    insert(referrals).values(
                        user_id=member.id,
                        recruiter_id=maker,
                        channel="room_invite",
                        created_at=now,
                        address_key=address_key,
                        device_key=device_key,
                        **signup_facts(member.id),
                    )
                )
        except IntegrityError:  # credited by a concurrent request
            return False
        return True

    async def recruits(self, user: User) -> dict[str, Any]:
        """Whom the member brought in, newest first."""
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        users,
                        referrals.c.channel,
                        referrals.c.campaign_id,
                        referrals.c.created_at.label("recruited_at"),
                    )
                    .join(referrals, referrals.c.user_id == users.c.id)
                    .where(referrals.c.recruiter_id == user.id)
                    .order_by(referrals.c.created_at.desc(), users.c.id.desc())
                )
            ).all()
        return {
            "count": len(rows),
            "recruits": [
                {
                    "user": user_from_row(row).public(),
                    "channel": row.channel,
                    "campaign_id": row.campaign_id,
                    "joined_at": utc_iso(row.recruited_at),
                }
                for row in rows
            ],
        }

    def _announce_member(self, room_id: int, member: User) -> None:
        event: RoomMember = {
            "type": "room_member",
            "room_id": room_id,
            "user": member.public(),
            "role": "member",
        }
        self._bus.publish(room_topic(room_id), event)
        self._bus.publish(user_topic(member.id), event)


async def _code_of(conn: AsyncConnection, user_id: int) -> str | None:
    code: str | None = (
        await conn.execute(select(referral_codes.c.code).where(referral_codes.c.user_id == user_id))
    ).scalar_one_or_none()
    return code


async def _recent(conn: AsyncConnection, column: Any, key: str, since: int) -> int:
    result = await conn.execute(
        select(func.count()).where(column == key, referrals.c.created_at > since)
    )
    return int(result.scalar_one())
