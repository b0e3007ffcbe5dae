"""Reports and moderation of listings, and "chat with the seller".

Any member who sees a listing may report it once; its moderators (rooms/market/listings.py
is_moderator) see the listings with open reports, and hide them or dismiss the reports (which
closes them), or hide or show a listing again at any time.

"Chat with the seller" is a direct message (rooms/community/direct.py) that starts by quoting
the listing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import Chat
from rooms.community.database import Database
from rooms.community.direct import DirectMessages
from rooms.community.directory import summaries
from rooms.community.reports import check_action, check_reason, file_once
from rooms.community.schema.market import listing_chats, listing_reports, listing_rooms, listings
from rooms.community.schema.rooms import memberships
from rooms.community.service import CommunityService
from rooms.errors import Forbidden, Invalid, NotFound
from rooms.market.listings import _listing_row, is_moderator, render


class Moderation(CommunityService):
    async def report(self, user: User, listing_id: int, reason: str) -> None:
        """Report once per member; reporting again changes nothing."""
        reason = check_reason(reason)
        async with self._db.write() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id == user.id:
                raise Invalid("you cannot report your own listing", "listing_id")
            key = {"listing_id": listing_id, "reporter_id": user.id}
            await file_once(conn, listing_reports, key, reason=reason, created_at=self._now())

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

    async def resolve(self, user: User, listing_id: int, action: str) -> dict[str, Any]:
        """A moderator acts on a listing's open reports (rooms/community/reports.py): `hide`
        hides the listing, `dismiss` leaves it; either closes all of them."""
        outcome = check_action(action)
        now = self._now()
        async with self._db.write() as conn:
            await _listing_row(conn, user.id, listing_id)
            if not await is_moderator(conn, user, listing_id):
                raise Forbidden("only a moderator of the listing's rooms acts on its reports")
            open_reports = (
                listing_reports.c.listing_id == listing_id,
                listing_reports.c.closed_at.is_(None),
            )
            closed = await conn.execute(
                update(listing_reports)
                .where(*open_reports)
                .values(closed_at=now, outcome=outcome)
                .returning(listing_reports.c.reporter_id)
            )
            if closed.first() is None:
                raise NotFound(
                    "this listing has no open report", "listing_id", reason="report_not_found"
                )
            if outcome == "hidden":
                await conn.execute(
                    update(listings).where(listings.c.id == listing_id).values(hidden=True)
                )
            [listing] = await render(conn, user, [listing_id], now)
        return {**listing, "outcome": outcome}

    async def reported(self, user: User) -> list[dict[str, Any]]:
        """Listings with open reports that the caller moderates, most reported first, with
        the reasons."""
        counts = (
            select(listing_reports.c.listing_id, func.count().label("reports"))
            .where(listing_reports.c.closed_at.is_(None))
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
                .where(listing_reports.c.listing_id.in_(ids), listing_reports.c.closed_at.is_(None))
                .order_by(listing_reports.c.created_at)
            ):
                reasons.setdefault(row.listing_id, []).append(row.reason)
        for listing in out:
            listing["reports"] = reasons.get(listing["id"], [])
        return out


class SellerChats(CommunityService):
    """ "Chat with the seller" is the buyer's direct conversation with the seller
    (rooms/community/direct.py), whatever the listing: its first message about a listing quotes
    it. Asking again about the same listing opens the same conversation and quotes nothing
    twice (the quote's client_id is per listing). Conversations made before direct messages
    existed (listing_chats) are opened as they are."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Callable[[], float],
        direct: DirectMessages,
        chat: Chat,
    ) -> None:
        super().__init__(db, bus, clock)
        self._direct = direct
        self._chat = chat

    async def open(self, user: User, listing_id: int) -> dict[str, Any]:
        async with self._db.read() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id == user.id:
                raise Invalid("this is your own listing", "listing_id", reason="own_listing")
            if row.hidden:
                raise NotFound("no such listing", "listing_id")
            earlier = (
                await conn.execute(
                    select(listing_chats.c.room_id).where(
                        listing_chats.c.listing_id == listing_id,
                        listing_chats.c.buyer_id == user.id,
                    )
                )
            ).scalar_one_or_none()
            if earlier is not None:
                [room] = await summaries(conn, user.id, [earlier])
                return {**room, "listing_id": listing_id}
        # The listing is what buyer and seller share: no common room needed, blocks still hold.
        room = await self._direct.open(user, row.seller_id, shared_room=False)
        await self._chat.post(user, room["id"], listing_quote(row), client_id=f"listing-{row.id}")
        async with self._db.read() as conn:
            [room] = await summaries(conn, user.id, [room["id"]])
        return {**room, "listing_id": listing_id}


def listing_quote(listing: Any) -> str:
    """The first message about a listing: its title, price and link, in no one language."""
    if listing.pricing == "free" or listing.price is None:
        price = "Rp 0"
    else:
        price = "Rp " + f"{listing.price:,}".replace(",", ".")  # Indonesian digit grouping
        if listing.pricing == "nego":
            price += " (nego)"
    return f"🛒 {listing.title} · {price}\n#/market/{listing.id}"
