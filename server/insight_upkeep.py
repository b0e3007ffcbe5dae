"""The background job that keeps member insight quick (rooms/insight/insight.py `maintain`):
every few minutes it rolls the day's activity up, counts the organisation's past periods and
redoes its relation analysis before that goes stale, so organisers' views read precomputed
rows instead of every message, and rarely wait for a graph."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from rooms.insight.insight import MAINTAIN_INTERVAL_S
from server.api.contexts import CONTEXTS_KEY, Contexts

log = logging.getLogger(__name__)

# The first run waits this long after the start, so a server that starts and stops at once
# (a test, a migration check) does no analysis; a long first roll-up of an old database then
# runs in the background, not in an organiser's first view.
FIRST_RUN_AFTER_S = 30.0


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(_upkeep)


async def _upkeep(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(maintain_forever(app[CONTEXTS_KEY]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def maintain_forever(
    contexts: Contexts,
    first_after: float = FIRST_RUN_AFTER_S,
    interval: float = MAINTAIN_INTERVAL_S,
) -> None:
    await asyncio.sleep(first_after)
    while True:
        insight = contexts.insight
        if insight is not None:
            try:
                took = await insight.maintain()
                log.info("insight upkeep: %s", ", ".join(f"{k} {v:.2f}" for k, v in took.items()))
            except Exception:  # a database hiccup must not end the job for good
                log.exception("insight upkeep failed")
        await asyncio.sleep(interval)
