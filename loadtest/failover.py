"""Failover (`townhall --nodes K --failover`): after the measured window, one node that is not
the meeting's home is killed with SIGKILL while a share of the audience came in through it, as
a crashed machine would; each of them connects again through a live node (a load balancer
sends the new socket elsewhere, as the web client's reconnect does) and the figure is the time
from the kill to that member's first video packet again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loadtest.chat_stats import percentile
from loadtest.client import SyntheticParticipant
from loadtest.cluster import LocalCluster

REJOIN_TIMEOUT = 30.0  # seconds a member may take to receive video again before it counts lost
CLOSE_TIMEOUT = 15.0  # seconds for a killed node's sockets to be seen closed


@dataclass
class FailoverFigures:
    killed_node: int
    members: int  # audience members who had come in through it
    rejoined: int  # receiving video again within REJOIN_TIMEOUT
    failover_s_p50: float | None  # kill -> first video packet again
    failover_s_p99: float | None
    failover_s_max: float | None


# Makes the member again (same identity) through node `via`, joins, and returns it.
Rejoin = Callable[[int, int], Awaitable[SyntheticParticipant]]


async def fail_over(
    cluster: LocalCluster,
    audience: list[SyntheticParticipant],
    rejoin: Rejoin,
    progress: Callable[[str], None],
) -> tuple[FailoverFigures, list[SyntheticParticipant]]:
    """Kill the last node; every member of `audience` that came through it (member i came
    through node i mod K) rejoins through the others in turn. Returns the figures and the
    members as they are now (the rejoined ones replace the old), for closing."""
    count = len(cluster.nodes)
    if count < 2:
        raise ValueError("failover needs at least two nodes")
    victim = count - 1
    indices = list(range(victim, len(audience), count))
    killed_at = time.monotonic()
    await cluster.nodes[victim].kill()
    progress(f"killed node {victim}; {len(indices)} audience members reconnect")
    seconds: list[float] = []
    current = list(audience)

    async def come_back(order: int, index: int) -> None:
        old = audience[index]
        await asyncio.wait_for(old.closed.wait(), CLOSE_TIMEOUT)
        await old.close()
        member = await rejoin(index, order % victim)  # through a live node
        current[index] = member
        deadline = killed_at + REJOIN_TIMEOUT
        while not any(kind == "video" for (_who, kind) in member.received.packets):
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.01)  # polling a counter the member's own tasks raise
        seconds.append(time.monotonic() - killed_at)

    results = await asyncio.gather(
        *(come_back(order, index) for order, index in enumerate(indices)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        progress(f"{len(failures)} members did not come back: {failures[0]!r}")

    def rounded(fraction: float) -> float | None:
        value = percentile(seconds, fraction)
        return None if value is None else round(value, 3)

    figures = FailoverFigures(
        killed_node=victim,
        members=len(indices),
        rejoined=len(seconds),
        failover_s_p50=rounded(0.5),
        failover_s_p99=rounded(0.99),
        failover_s_max=round(max(seconds), 3) if seconds else None,
    )
    return figures, current
