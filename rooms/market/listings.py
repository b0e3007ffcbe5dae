"""Listings: create, change, look at, browse and search (by category, region and words), a
seller's other listings, sorted by closeness in the region hierarchy when the buyer says where
they are.

Who sees a listing: its seller; members of any room it is shown in; everyone on the server
when its scope is "organisation". Hidden listings (a moderator's decision) and expired ones
are shown to their seller only. Nothing here moves money: Kamar has no payments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.bus import Bus
from rooms.community.database import Database
from rooms.community.membership import require
from rooms.community.regions.data import loaded_regions
from rooms.community.regions.index import RegionIndex
from rooms.community.schema.accounts import users
from rooms.community.schema.market import listing_photos, listing_rooms, listings
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Forbidden, Invalid, NotFound, RateLimited
from rooms.market.photos import PhotoStore, photo_json
from rooms.market.rules import (
    CATEGORIES,
    CONDITIONS,
    DAY_MS,
    STATUSES,
    ListingForm,
    check_choice,
    check_days,
    check_description,
    check_price,
    check_region,
    check_scope,
    check_title,
    region_prefixes,
    search_words,
)
from rooms.ratelimit import TokenBuckets

PAGE_DEFAULT, PAGE_MAX = 30, 100
# Per seller: a handful of listings at once (a stall putting up its menu), then one every ten
# minutes; enough for any honest seller, too slow to flood a room's market.
LISTING_BURST, LISTINGS_PER_SECOND = 5, 1 / 600


@dataclass(frozen=True)
class Search:
    q: str | None = None
    category: str | None = None
    region: str | None = None  # only listings in this region or below it
    near: str | None = None  # sort by closeness to this region
    seller_id: int | None = None
    status: str | None = None  # default: available and reserved
    limit: int = PAGE_DEFAULT
    offset: int = 0


def visible_to(user_id: int) -> Any:
    """The listings `user_id` may see at all (hidden and expired ones still included)."""
    mine = select(memberships.c.room_id).where(memberships.c.user_id == user_id)
    in_my_rooms = exists().where(
        listing_rooms.c.listing_id == listings.c.id, listing_rooms.c.room_id.in_(mine)
    )
    return or_(listings.c.seller_id == user_id, listings.c.scope == "organisation", in_my_rooms)


class Marketplace(CommunityService):
    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Callable[[], float],
        data_dir: Path,
        rate_limits: bool = True,
    ) -> None:
        super().__init__(db, bus, clock)
        self.photos = PhotoStore(db, data_dir, clock)
        self._listing: TokenBuckets[int] | None = None
        if rate_limits:
            self._listing = TokenBuckets(LISTING_BURST, LISTINGS_PER_SECOND)

    async def create(self, user: User, form: ListingForm) -> dict[str, Any]:
        await loaded_regions()  # for check_region
        columns = form.columns()
        room_ids = check_scope(form.scope, form.rooms)
        photo_ids = list(dict.fromkeys(form.photos))
        now = self._now()
        expires = now + check_days(form.expires_in_days) * DAY_MS
        async with self._db.write() as conn:
            for room_id in room_ids:
                await require(conn, room_id, user.id, "post")
            if self._listing is not None:
                wait = self._listing.take(user.id, self._clock())
                if wait > 0:
                    raise RateLimited(
                        f"too many listings; wait {math.ceil(wait / 60)} min", "title", wait
                    )
            listing_id = (
                await conn.execute(
                    insert(listings)
                    .values(
                        **columns,
                        seller_id=user.id,
                        status="available",
                        created_at=now,
                        updated_at=now,
                        expires_at=expires,
                    )
                    .returning(listings.c.id)
                )
            ).scalar_one()
            if room_ids:
                await conn.execute(
                    insert(listing_rooms),
                    [{"listing_id": listing_id, "room_id": r} for r in room_ids],
                )
            await _claim_photos(conn, user.id, listing_id, photo_ids)
            [listing] = await render(conn, user, [listing_id], now)
        return listing

    async def update(self, user: User, listing_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """The seller changes what was given: text, price, category, condition, region,
        status (available, reserved, sold) or a new expiry counted from now."""
        await loaded_regions()  # for check_region
        now = self._now()
        async with self._db.write() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id != user.id:
                raise Forbidden("only the seller can change a listing")
            values = _changed_columns(row, changes)
            if changes.get("expires_in_days") is not None:
                values["expires_at"] = now + check_days(changes["expires_in_days"]) * DAY_MS
            if values:
                values["updated_at"] = now
                await conn.execute(
                    update(listings).where(listings.c.id == listing_id).values(**values)
                )
            [listing] = await render(conn, user, [listing_id], now)
        return listing

    async def get(self, user: User, listing_id: int) -> dict[str, Any]:
        now = self._now()
        async with self._db.read() as conn:
            row = await _listing_row(conn, user.id, listing_id)
            if row.seller_id != user.id and (row.hidden or row.expires_at <= now):
                if not await is_moderator(conn, user, listing_id):
                    raise NotFound("no such listing", "listing_id")
            [listing] = await render(conn, user, [listing_id], now)
        return listing

    async def browse(self, user: User, search: Search) -> list[dict[str, Any]]:
        if not 1 <= search.limit <= PAGE_MAX:
            raise Invalid(f"limit must be 1-{PAGE_MAX}", "limit")
        await loaded_regions()  # for check_region
        now = self._now()
        own = search.seller_id == user.id
        query = select(listings.c.id).where(visible_to(user.id))
        if not own:  # a seller's own page shows their hidden and expired listings too
            query = query.where(listings.c.hidden.is_(False), listings.c.expires_at > now)
        if search.status is not None:
            query = query.where(
                listings.c.status == check_choice(search.status, STATUSES, "status")
            )
        elif not own:
            query = query.where(listings.c.status != "sold")
        if search.category is not None:
            query = query.where(
                listings.c.category == check_choice(search.category, CATEGORIES, "category")
            )
        if search.region is not None:
            query = query.where(_within(check_region(search.region)))
        if search.seller_id is not None:
            query = query.where(listings.c.seller_id == search.seller_id)
        for word in search_words(search.q):
            query = query.where(
                or_(
                    func.lower(listings.c.title).contains(word, autoescape=True),
                    func.lower(listings.c.description).contains(word, autoescape=True),
                )
            )
        order: list[Any] = []
        if search.near is not None:
            order.append(_closeness(check_region(search.near)).desc())
        order.append(listings.c.id.desc())
        query = query.order_by(*order).limit(search.limit).offset(search.offset)
        async with self._db.read() as conn:
            ids = list((await conn.execute(query)).scalars())
            return await render(conn, user, ids, now)

    async def photo(self, user: User, photo_id: int, thumbnail: bool) -> tuple[Path, str]:
        """A photo's file for someone who may see its listing (or who uploaded it)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(listing_photos).where(listing_photos.c.id == photo_id))
            ).one_or_none()
            if row is None:
                raise NotFound("no such photo", "photo_id")
            if row.uploader_id != user.id:
                if row.listing_id is None:
                    raise NotFound("no such photo", "photo_id")
                await self.get(user, row.listing_id)
        return self.photos.file_of(row, thumbnail)


async def is_moderator(conn: AsyncConnection, user: User, listing_id: int) -> bool:
    """Administrators moderate every listing; owners and moderators of a room the listing is
    shown in moderate it too."""
    if user.is_admin:
        return True
    found = await conn.execute(
        select(memberships.c.room_id)
        .join(listing_rooms, listing_rooms.c.room_id == memberships.c.room_id)
        .where(
            listing_rooms.c.listing_id == listing_id,
            memberships.c.user_id == user.id,
            memberships.c.role.in_(("owner", "moderator")),
        )
        .limit(1)
    )
    return found.first() is not None


async def _listing_row(conn: AsyncConnection, user_id: int, listing_id: int) -> Any:
    row = (
        await conn.execute(select(listings).where(listings.c.id == listing_id, visible_to(user_id)))
    ).one_or_none()
    if row is None:
        raise NotFound("no such listing", "listing_id")
    return row


def _changed_columns(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.get("title") is not None:
        values["title"] = check_title(changes["title"])
    if changes.get("description") is not None:
        values["description"] = check_description(changes["description"])
    if changes.get("pricing") is not None or changes.get("price") is not None:
        pricing = changes.get("pricing") or row.pricing
        price = changes.get("price")
        if price is None and changes.get("pricing") is None:
            price = row.price
        values["pricing"], values["price"] = pricing, check_price(pricing, price)
    if changes.get("category") is not None:
        values["category"] = check_choice(changes["category"], CATEGORIES, "category")
    if changes.get("condition") is not None:
        values["condition"] = check_choice(changes["condition"], CONDITIONS, "condition")
    if changes.get("region") is not None:
        values["region"] = check_region(changes["region"])
    if changes.get("status") is not None:
        values["status"] = check_choice(changes["status"], STATUSES, "status")
    return values


def _within(code: str) -> Any:
    return or_(listings.c.region == code, listings.c.region.startswith(code + ".", autoescape=True))


def _closeness(code: str) -> Any:
    """How many levels of the region hierarchy a listing shares with `code` (0: none)."""
    prefixes = region_prefixes(code)
    return case(
        *[(_within(prefix), len(prefixes) - n) for n, prefix in enumerate(prefixes)], else_=0
    )


async def _claim_photos(
    conn: AsyncConnection, user_id: int, listing_id: int, photo_ids: Sequence[int]
) -> None:
    for position, photo_id in enumerate(photo_ids):
        claimed = await conn.execute(
            update(listing_photos)
            .where(
                listing_photos.c.id == photo_id,
                listing_photos.c.uploader_id == user_id,
                listing_photos.c.listing_id.is_(None),
            )
            .values(listing_id=listing_id, position=position)
        )
        if claimed.rowcount != 1:  # raising rolls the listing back with it
            raise Invalid("photos must be your own uploads, not yet in a listing", "photos")


async def render(
    conn: AsyncConnection, viewer: User, ids: Sequence[int], now: int
) -> list[dict[str, Any]]:
    """Listings as the viewer sees them, in the order of `ids`: the rooms named are only
    those the viewer is in (an invite-only room's name is not for outsiders)."""
    if not ids:
        return []
    index = await loaded_regions()  # each listing's region named, not only coded
    rows = {r.id: r for r in await conn.execute(select(listings).where(listings.c.id.in_(ids)))}
    sellers = {
        r.id: user_from_row(r)
        for r in await conn.execute(
            select(users).where(users.c.id.in_({row.seller_id for row in rows.values()}))
        )
    }
    photos: dict[int, list[dict[str, Any]]] = {}
    for photo in await conn.execute(
        select(listing_photos)
        .where(listing_photos.c.listing_id.in_(ids))
        .order_by(listing_photos.c.position)
    ):
        photos.setdefault(photo.listing_id, []).append(photo_json(photo))
    shown_in: dict[int, list[dict[str, Any]]] = {}
    mine = select(memberships.c.room_id).where(memberships.c.user_id == viewer.id)
    for link in await conn.execute(
        select(listing_rooms.c.listing_id, rooms.c.id, rooms.c.name)
        .join(rooms, rooms.c.id == listing_rooms.c.room_id)
        .where(listing_rooms.c.listing_id.in_(ids), and_(rooms.c.id.in_(mine)))
        .order_by(rooms.c.id)
    ):
        shown_in.setdefault(link.listing_id, []).append({"id": link.id, "name": link.name})
    return [
        _listing_json(rows[i], sellers[rows[i].seller_id], photos, shown_in, viewer, now)
        | {"region_label": region_label(index, rows[i].region)}
        for i in ids
    ]


def region_label(index: RegionIndex, code: str) -> str:
    """A listing's region by its names ("Sukasari, Kota Bandung, Jawa Barat"); the code
    itself if the region data no longer has it (a newer edition may renumber a village)."""
    try:
        return str(index.describe(code)["label"])
    except (NotFound, Invalid):
        return code


def _listing_json(
    row: Any,
    seller: User,
    photos: dict[int, list[dict[str, Any]]],
    shown_in: dict[int, list[dict[str, Any]]],
    viewer: User,
    now: int,
) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "pricing": row.pricing,
        "price": row.price,
        "category": row.category,
        "condition": row.condition,
        "region": row.region,
        "scope": row.scope,
        "rooms": shown_in.get(row.id, []),
        "status": row.status,
        "hidden": row.hidden,
        "expired": row.expires_at <= now,
        "photos": photos.get(row.id, []),
        "seller": seller.public(),
        "mine": row.seller_id == viewer.id,
        "created_at": utc_iso(row.created_at),
        "updated_at": utc_iso(row.updated_at),
        "expires_at": utc_iso(row.expires_at),
    }
