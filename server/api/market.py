"""Marketplace endpoints (docs/api.md "Marketplace"): listings, photos, reports, moderation and
the conversation with the seller. Kamar moves no money: buyer and seller settle between them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import BodyPartReader, web

from rooms.community.reports import ACTIONS
from rooms.errors import Invalid, UnsupportedMedia
from rooms.market.listings import PAGE_MAX, Search
from rooms.market.rules import (
    CATEGORIES,
    CONDITIONS,
    MAX_DAYS,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    MAX_PRICE,
    MAX_REASON,
    MAX_ROOMS,
    MAX_TITLE,
    PRICINGS,
    SCOPES,
    STATUSES,
    ListingForm,
)
from server.api.contexts import market_of
from server.api.fields import Field
from server.api.routing import Call, Route

UPLOAD_CHUNK = 64 * 1024


async def browse(call: Call) -> dict[str, Any]:
    q = call.query
    search = Search(
        q=q["q"],
        category=q["category"],
        region=q["region"],
        near=q["near"],
        seller_id=q["seller_id"],
        status=q["status"],
        limit=q["limit"] or 30,
        offset=q["offset"] or 0,
    )
    return {"listings": await market_of(call).listings.browse(call.me, search)}


async def create(call: Call) -> dict[str, Any]:
    body = call.body
    form = ListingForm(
        title=body["title"],
        description=body["description"] or "",
        pricing=body["pricing"],
        price=body["price"],
        category=body["category"],
        condition=body["condition"] or "none",
        region=body["region"],
        scope=body["scope"] or "rooms",
        rooms=body["rooms"] or [],
        photos=body["photos"] or [],
        expires_in_days=body["expires_in_days"],
    )
    return await market_of(call).listings.create(call.me, form)


async def get(call: Call) -> dict[str, Any]:
    return await market_of(call).listings.get(call.me, call.path["listing_id"])


async def change(call: Call) -> dict[str, Any]:
    return await market_of(call).listings.update(call.me, call.path["listing_id"], call.body)


async def upload_photo(call: Call) -> dict[str, Any]:
    """Streams the `file` part to disk: the app's small body limit does not apply here."""
    if not call.request.content_type.startswith("multipart/"):
        raise UnsupportedMedia("send the photo as multipart/form-data in a part named 'file'")
    reader = await call.request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            raise Invalid("no part named 'file' in the upload", "file")
        if isinstance(part, BodyPartReader) and part.name == "file":
            break
        if isinstance(part, BodyPartReader):
            await part.release()
    return await market_of(call).listings.photos.save(call.me, _chunks(part))


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(UPLOAD_CHUNK):
        yield chunk


async def photo(call: Call) -> web.StreamResponse:
    return await _photo(call, thumbnail=False)


async def photo_thumbnail(call: Call) -> web.StreamResponse:
    return await _photo(call, thumbnail=True)


async def _photo(call: Call, thumbnail: bool) -> web.StreamResponse:
    path, mime = await market_of(call).listings.photo(call.me, call.path["photo_id"], thumbnail)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": mime,
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


async def report(call: Call) -> None:
    await market_of(call).moderation.report(call.me, call.path["listing_id"], call.body["reason"])


async def moderate(call: Call) -> dict[str, Any]:
    return await market_of(call).moderation.set_hidden(
        call.me, call.path["listing_id"], call.body["hidden"]
    )


async def resolve_reports(call: Call) -> dict[str, Any]:
    return await market_of(call).moderation.resolve(
        call.me, call.path["listing_id"], call.body["action"]
    )


async def reported(call: Call) -> dict[str, Any]:
    return {"listings": await market_of(call).moderation.reported(call.me)}


async def chat_with_seller(call: Call) -> dict[str, Any]:
    return await market_of(call).chats.open(call.me, call.path["listing_id"])


_PRICE = Field("price", kind=int, minimum=1, maximum=MAX_PRICE, description="whole Rupiah")
_EDITABLE = (
    Field("title", max_length=MAX_TITLE),
    Field("description", max_length=MAX_DESCRIPTION),
    Field("pricing", choices=PRICINGS),
    _PRICE,
    Field("category", choices=CATEGORIES),
    Field("condition", choices=CONDITIONS),
    Field("region", max_length=16, description="region code, e.g. 32.73"),
    Field("expires_in_days", kind=int, minimum=1, maximum=MAX_DAYS),
)
TAGS = ("market",)

ROUTES = [
    Route(
        "GET",
        "/api/market/listings",
        browse,
        "Listings the caller may see: search by words, category, region; a seller's listings",
        content="none",
        query=(
            Field("q", max_length=200, description="words, all of which must appear"),
            Field("category", choices=CATEGORIES),
            Field("region", max_length=16, description="this region and the ones inside it"),
            Field("near", max_length=16, description="closest in the region hierarchy first"),
            Field("seller_id", kind=int, minimum=1),
            Field("status", choices=STATUSES),
            Field("limit", kind=int, minimum=1, maximum=PAGE_MAX),
            Field("offset", kind=int, minimum=0, maximum=10_000),
        ),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/listings",
        create,
        "Put up a listing (rate-limited per seller)",
        status=201,
        body=(
            Field("title", required=True, max_length=MAX_TITLE),
            Field("description", max_length=MAX_DESCRIPTION),
            Field("pricing", required=True, choices=PRICINGS),
            _PRICE,
            Field("category", required=True, choices=CATEGORIES),
            Field("condition", choices=CONDITIONS),
            Field("region", required=True, max_length=16, description="region code, e.g. 32.73"),
            Field("scope", choices=SCOPES),
            Field("rooms", kind=list, items=int, max_length=MAX_ROOMS),
            Field("photos", kind=list, items=int, max_length=MAX_PHOTOS),
            Field("expires_in_days", kind=int, minimum=1, maximum=MAX_DAYS),
        ),
        tags=TAGS,
    ),
    Route(
        "GET", "/api/market/listings/{listing_id}", get, "One listing", content="none", tags=TAGS
    ),
    Route(
        "PATCH",
        "/api/market/listings/{listing_id}",
        change,
        "The seller changes a listing, its status or its expiry",
        body=(*_EDITABLE, Field("status", choices=STATUSES)),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/photos",
        upload_photo,
        "Upload a photo for a listing (the chat's photo rules)",
        status=201,
        content="multipart",
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/market/photos/{photo_id}",
        photo,
        "A listing photo",
        content="none",
        produces="image/*",
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/market/photos/{photo_id}/thumbnail",
        photo_thumbnail,
        "A listing photo's JPEG thumbnail",
        content="none",
        produces="image/jpeg",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/listings/{listing_id}/report",
        report,
        "Report a listing to its moderators",
        status=204,
        body=(Field("reason", required=True, max_length=MAX_REASON),),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/listings/{listing_id}/moderation",
        moderate,
        "A moderator hides a listing or shows it again",
        body=(Field("hidden", kind=bool, required=True),),
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/market/reports",
        reported,
        "Listings with open reports that the caller moderates, with the reasons",
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/reports/{listing_id}",
        resolve_reports,
        "A moderator hides the reported listing or dismisses its reports; either closes them",
        body=(Field("action", required=True, choices=tuple(ACTIONS)),),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/market/listings/{listing_id}/chat",
        chat_with_seller,
        "Open the buyer's conversation with the seller (a two-member room)",
        tags=TAGS,
    ),
]
