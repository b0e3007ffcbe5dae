"""The background sweeps that delete abandoned uploads (rooms/community/attachments.py and
rooms/market/photos.py expire_orphans, rooms/community/resumable.py expire): photos and videos
uploaded but never sent in a message, resumable uploads never finished, and listing photos never
put in a listing, would otherwise stay on disk forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from aiohttp import web

from rooms.community.attachments import EXPIRY_BATCH
from rooms.community.community import Community
from rooms.market.market import Market
from server.api.contexts import CONTEXTS_KEY
from signalling.ws import SERVICES_KEY

log = logging.getLogger(__name__)

UPLOAD_EXPIRY_INTERVAL = 600.0  # seconds between sweeps: uploads live 24 h give or take this
Pause = Callable[[float], Awaitable[None]]


class HasCommunity(Protocol):
    community: Community | None


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(_sweeping)


async def _sweeping(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES_KEY]
    holder = app[CONTEXTS_KEY]
    tasks = [
        asyncio.create_task(expire_uploads_forever(services, services.clock)),
        asyncio.create_task(expire_listing_photos_forever(holder, services.clock)),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def expire_uploads_forever(
    services: HasCommunity,
    clock: Callable[[], float],
    interval: float = UPLOAD_EXPIRY_INTERVAL,
    pause: Pause = asyncio.sleep,
) -> None:
    """Every `interval` seconds, a round; `pause` is the wait between rounds (a test's own,
    tests/sweep_pauses.py, so that it needs no real time)."""
    while True:
        await pause(interval)
        community = services.community
        if community is None:
            continue
        try:
            while await community.attachments.expire_orphans(int(clock() * 1000)) == EXPIRY_BATCH:
                pass  # a backlog: the next batch at once, each in its own short transaction
            # Resumable uploads never finished (rooms/community/resumable.py), or finished
            # and past their lifetime.
            while await community.resumable.expire(int(clock() * 1000)) == EXPIRY_BATCH:
                pass
        except Exception:  # a database hiccup must not end the sweep for good
            log.exception("expiring abandoned uploads failed")


class HasMarket(Protocol):
    market: Market | None


async def expire_listing_photos_forever(
    holder: HasMarket, clock: Callable[[], float], interval: float = UPLOAD_EXPIRY_INTERVAL
) -> None:
    while True:
        await asyncio.sleep(interval)
        market = holder.market
        if market is None:
            continue
        try:
            photos = market.listings.photos
            while await photos.expire_orphans(int(clock() * 1000)) == EXPIRY_BATCH:
                pass
        except Exception:  # a database hiccup must not end the sweep for good
            log.exception("expiring abandoned listing photos failed")
