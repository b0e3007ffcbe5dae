"""The background sweep that deletes abandoned uploads (rooms/community/attachments.py
expire_orphans): photos and videos uploaded but never sent in a message would otherwise stay on
disk forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from aiohttp import web

from rooms.community.attachments import EXPIRY_BATCH
from rooms.community.community import Community
from signalling.ws import SERVICES_KEY

log = logging.getLogger(__name__)

UPLOAD_EXPIRY_INTERVAL = 600.0  # seconds between sweeps: uploads live 24 h give or take this


class HasCommunity(Protocol):
    community: Community | None


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(_sweeping)


async def _sweeping(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES_KEY]
    task = asyncio.create_task(expire_uploads_forever(services, services.clock))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def expire_uploads_forever(
    services: HasCommunity,
    clock: Callable[[], float],
    interval: float = UPLOAD_EXPIRY_INTERVAL,
) -> None:
    while True:
        await asyncio.sleep(interval)
        community = services.community
        if community is None:
            continue
        try:
            while await community.attachments.expire_orphans(int(clock() * 1000)) == EXPIRY_BATCH:
                pass  # a backlog: the next batch at once, each in its own short transaction
        except Exception:  # a database hiccup must not end the sweep for good
            log.exception("expiring abandoned uploads failed")
