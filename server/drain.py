"""Graceful shutdown (SIGTERM): stop taking newcomers, let the meetings on this node end, exit.

While draining, `/healthz` answers 503 so a load balancer sends new sockets elsewhere, and a
`hello` that would start a meeting here is refused with `draining` (signalling/session.py);
participants of meetings already live here may still rejoin them. The node exits when its last
participant has left and the last socket it carries to another node has closed (a carried
participant, who came in through this node, would otherwise be cut off from a meeting that goes
on: with `--workers`, SIGTERM drains every worker at once and most sockets are carried), when
`timeout` has passed (meetings have no time limit, so someone must set one), or at once on a
second signal. Moving a live meeting to another node is not built (docs/cluster.md).
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
    log.info(
        "draining: %d participants still here, %d carried to other nodes",
        services.registry.participant_count,
        carried_sockets(services),
    )
    while (
        services.registry.participant_count or carried_sockets(services)
    ) and not stop_now.is_set():
        left = deadline - loop.time()
        if left <= 0:
            log.info("draining: %.0f s passed; ending the meetings still here", timeout)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_now.wait(), min(CHECK_INTERVAL, left))
    log.info("draining: done")


def carried_sockets(services: Services) -> int:
    """Sockets this node carries to the node hosting their meeting (signalling/cascade/
    tunnel.py)."""
    return sum(1 for session in services.live_sessions if session.relay_to is not None)
