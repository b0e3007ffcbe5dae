"""Graceful shutdown (SIGTERM): stop taking newcomers, let the meetings on this node end, exit.

While draining, `/healthz` answers 503 so a load balancer sends new sockets elsewhere, and a
`hello` that would start a meeting here is refused with `draining` (signalling/session.py);
participants of meetings already live here may still rejoin them. The node exits when its last
participant has left, when `timeout` has passed (meetings have no time limit, so someone must
set one), or at once on a second signal. Moving a live meeting to another node needs the
cascade of docs/cluster.md, which is not built yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from signalling.session import Services

log = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds between looks at the participant count


async def drain(services: Services, stop_now: asyncio.Event, timeout: float) -> None:
    services.draining = True
    services.placement.drain()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    log.info("draining: %d participants still here", services.registry.participant_count)
    while services.registry.participant_count and not stop_now.is_set():
        left = deadline - loop.time()
        if left <= 0:
            log.info("draining: %.0f s passed; ending the meetings still here", timeout)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_now.wait(), min(CHECK_INTERVAL, left))
    log.info("draining: done")
