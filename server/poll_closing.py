"""The sweep that tells rooms their polls closed (rooms/community/polls.py announce_closed):
every node runs it, and each poll is claimed by one of them, so each closing is one `poll`
event on the feed (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from aiohttp import web

from rooms.community.community import Community
from signalling.ws import SERVICES_KEY

log = logging.getLogger(__name__)

# Seconds between sweeps: a page learns that a poll closed this long after it did at most (its
# buttons already refuse: the server answers a late vote `poll_closed`). One indexed UPDATE
# per node per sweep (polls.close_announced, closes_at).
POLL_CLOSE_INTERVAL = 5.0


class HasCommunity(Protocol):
    community: Community | None


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(_sweeping)


async def _sweeping(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(announce_closed_polls_forever(app[SERVICES_KEY]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def announce_closed_polls_forever(
    services: HasCommunity, interval: float = POLL_CLOSE_INTERVAL
) -> None:
    while True:
        await asyncio.sleep(interval)
        community = services.community
        if community is None:
            continue
        try:
            await community.polls.announce_closed()
        except Exception:  # a database hiccup must not end the sweep for good
            log.exception("announcing closed polls failed")
