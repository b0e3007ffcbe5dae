"""Reports and moderation of listings, and "chat with the seller".

Any member who sees a listing may report it once; its moderators (rooms/market/listings.py
is_moderator) see the reported listings and hide or show them again.

Kamar has no direct messages yet. "Chat with the seller" opens the smallest honest thing: a
two-member, invite-only room per listing and buyer, with both as plain members (nobody can
invite a third), named after the listing. Chat, photos, unread counts and the live feed then
work as in every room; asking again opens the same room.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.bus import user_topic
from rooms.community.chat import room_topic
from rooms.community.directory import summaries
from rooms.community.events import RoomMember
from rooms.community.schema import (
    listing_chats,
    listing_reports,
    listing_rooms,
    listings,
    memberships,
    rooms,
    users,
)
from rooms.community.service import CommunityService
from rooms.errors import Forbidden, Invalid, NotFound
from rooms.market.listings import _listing_row, is_moderator, render
from rooms.market.rules import MAX_REASON

CHAT_NAME_PREFIX = "Lapak: "  # "stall": what the room list shows for a listing's conversation
MAX_ROOM_NAME = 80


class Moderation(CommunityService):
    async def report(self, user: User, listing_id: int, reason: str) -> None:
        """Report once per member; reporting again changes nothing."""
        reason = reason.strip()
        if not 0 < len(reason) <= MAX_REASON:
            raise Invalid(f"reason must be 1-{MAX_REASON} characters", "reason")
        async with self._db.write() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id == user.id:
                raise Invalid("you cannot report your own listing", "listing_id")
            already = await conn.execute(
                select(listing_reports.c.listing_id).where(
                    listing_reports.c.listing_id == listing_id,
                    listing_reports.c.reporter_id == user.id,
                )
            )
            if already.first() is None:
                await conn.execute(
                    insert(listing_reports).values(
                        listing_id=listing_id,
                        reporter_id=user.id,
                        reason=reason,
                        created_at=self._now(),
                    )
                )

    async def set_hidden(self, user: User, listing_id: int, hidden: bool) -> dict[str, Any]:
        async with self._db.write() as conn:
            await _listing_row(conn, user.id, listing_id)
            if not await is_moderator(conn, user, listing_id):
                raise Forbidden("only a moderator of the listing's rooms can hide it")
            await conn.execute(
                update(listings).where(listings.c.id == listing_id).values(hidden=hidden)
            )
            [listing] = await render(conn, user, [listing_id], self._now())
        return listing

    async def reported(self, user: User) -> list[dict[str, Any]]:
        """Reported listings the caller moderates, most reported first, with the reasons."""
        counts = (
            select(listing_reports.c.listing_id, func.count().label("reports"))
            .group_by(listing_reports.c.listing_id)
            .subquery()
        )
        query = select(counts.c.listing_id).order_by(
            counts.c.reports.desc(), counts.c.listing_id.desc()
        )
        if not user.is_admin:
            moderated = (
                select(listing_rooms.c.listing_id)
                .join(memberships, memberships.c.room_id == listing_rooms.c.room_id)
                .where(
                    memberships.c.user_id == user.id,
                    memberships.c.role.in_(("owner", "moderator")),
                )
            )
            query = query.where(counts.c.listing_id.in_(moderated))
        async with self._db.read() as conn:
            ids = list((await conn.execute(query.limit(100))).scalars())
            out = await render(conn, user, ids, self._now())
            reasons: dict[int, list[str]] = {}
            for row in await conn.execute(
                select(listing_reports.c.listing_id, listing_reports.c.reason)
                .where(listing_reports.c.listing_id.in_(ids))
                .order_by(listing_reports.c.created_at)
            ):
                reasons.setdefault(row.listing_id, []).append(row.reason)
        for listing in out:
            listing["reports"] = reasons.get(listing["id"], [])
        return out


class SellerChats(CommunityService):
    async def open(self, user: User, listing_id: int) -> dict[str, Any]:
        """The buyer's conversation with the seller about a listing (made on first use)."""
        created = False
        async with self._db.write() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id == user.id:
                raise Invalid("this is your own listing", "listing_id")
            if row.hidden:
                raise NotFound("no such listing", "listing_id")
            room_id = (
                await conn.execute(
                    select(listing_chats.c.room_id).where(
                        listing_chats.c.listing_id == listing_id,
                        listing_chats.c.buyer_id == user.id,
                    )
                )
            ).scalar_one_or_none()
            if room_id is None:
                room_id = await self._new_room(conn, row, user)
                created = True
            [room] = await summaries(conn, user.id, [room_id])
            seller = (await conn.execute(select(users).where(users.c.id == row.seller_id))).one()
        if created:
            for member_id, name in ((user.id, user.display_name), (seller.id, seller.display_name)):
                event: RoomMember = {
                    "type": "room_member",
                    "room_id": room_id,
                    "user": {"id": member_id, "display_name": name},
                    "role": "member",
                }
                self._bus.publish(room_topic(room_id), event)
                self._bus.publish(user_topic(member_id), event)
        room["listing_id"] = listing_id
        return room

    async def _new_room(self, conn: AsyncConnection, listing: Any, buyer: User) -> int:
        now = self._now()
        name = (CHAT_NAME_PREFIX + listing.title)[:MAX_ROOM_NAME]
        room_id: int = (
            await conn.execute(
                insert(rooms)
                .values(
                    name=name,
                    kind="other",
                    description=(
                        f"Tentang lapak #{listing.id}; pembayaran tidak lewat Kamar. "
                        f"About listing #{listing.id}; Kamar handles no payments."
                    ),
                    visibility="invite",
                    created_by=buyer.id,
                    created_at=now,
                    last_activity_at=now,
                )
                .returning(rooms.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(memberships),
            [
                {"room_id": room_id, "user_id": buyer.id, "role": "member", "joined_at": now},
                {
                    "room_id": room_id,
                    "user_id": listing.seller_id,
                    "role": "member",
                    "joined_at": now,
                },
            ],
        )
        await conn.execute(
            insert(listing_chats).values(
                listing_id=listing.id, buyer_id=buyer.id, room_id=room_id, created_at=now
            )
        )
        return room_id
