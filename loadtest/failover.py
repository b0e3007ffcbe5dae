"""Failover (`townhall --nodes K --failover`): after the measured window, one node that is not
the meeting's home is killed with SIGKILL while a share of the audience came in through it, as
a crashed machine would; each of them connects again through a live node (a load balancer
sends the new socket elsewhere, as the web client's reconnect does) and the figure is the time
from the kill to that member's first video packet again.

With `--drain` instead, the meeting's home (node 0) gets SIGTERM, as in a rolling upgrade: it
moves the meeting to another node (docs/cluster.md, "Moving a live meeting"), so everyone is
told `moved`; the moderator and the speakers come back through node 1 and publish again, each
audience member through a live node, and the figure is the time from SIGTERM to each audience
member's first video packet again, besides the drained node's exit."""

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
EXIT_TIMEOUT = 60.0  # seconds for a drained node to exit


@dataclass
class FailoverFigures:
    killed_node: int
    members: int  # audience members who had to come back (through it; with drain, all)
    rejoined: int  # receiving video again within REJOIN_TIMEOUT
    failover_s_p50: float | None  # kill (or SIGTERM) -> first video packet again
    failover_s_p99: float | None
    failover_s_max: float | None
    signal: str = "SIGKILL"  # SIGTERM with --drain
    exited_s: float | None = None  # with --drain: SIGTERM -> the drained node's exit


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
    back = _Back(audience, rejoin, killed_at)
    await back.all(indices, [order % victim for order in range(len(indices))], progress)
    return back.figures(victim, len(indices)), back.current


async def move_over(
    cluster: LocalCluster,
    audience: list[SyntheticParticipant],
    rejoin: Rejoin,
    restage: Callable[[], Awaitable[None]],
    progress: Callable[[str], None],
) -> tuple[FailoverFigures, list[SyntheticParticipant]]:
    """SIGTERM to node 0, the meeting's home; `restage` brings the moderator and the speakers
    back through node 1; every audience member comes back through the live nodes in turn."""
    count = len(cluster.nodes)
    if count < 2:
        raise ValueError("a drain with somewhere to move needs at least two nodes")
    home = cluster.nodes[0]
    signalled_at = time.monotonic()
    home.drain()
    progress(f"SIGTERM to node 0, the home; {len(audience)} audience members follow the move")
    back = _Back(audience, rejoin, signalled_at)
    indices = list(range(len(audience)))
    await asyncio.gather(
        restage(), back.all(indices, [1 + i % (count - 1) for i in indices], progress)
    )
    await asyncio.wait_for(home.exited(), EXIT_TIMEOUT)
    figures = back.figures(0, len(indices))
    figures.signal, figures.exited_s = "SIGTERM", round(time.monotonic() - signalled_at, 3)
    return figures, back.current


@dataclass
class Cast:
    """Who is in the town hall: `make(identity, role, receiver, via=node)` makes a member
    (loadtest/townhall.py), `on_stage` joins a speaker and publishes; `staff` (the moderator,
    then the speakers) ends as who came back. `receivers`: the moderator's event receiver and
    the first speaker's (the next speakers' follow it)."""

    make: Callable[..., SyntheticParticipant]
    on_stage: Callable[[SyntheticParticipant], Awaitable[None]]
    staff: list[SyntheticParticipant]
    receivers: tuple[int, int]

    async def rejoin(self, index: int, via: int) -> SyntheticParticipant:
        member = self.make(f"audience{index}", "audience", index, via=via)
        await member.join()
        return member

    async def restage(self) -> None:
        """The moderator and the speakers follow a move through node 1."""
        for n, old in enumerate(list(self.staff)):
            await asyncio.wait_for(old.closed.wait(), CLOSE_TIMEOUT)
            await old.close()
            if n == 0:
                self.staff[0] = self.make("moderator", "moderator", self.receivers[0], via=1)
                await self.staff[0].join()
            else:
                receiver = self.receivers[1] + n - 1
                again = self.make(f"speaker{n - 1}", "speaker", receiver, via=1)
                self.staff[n] = again
                await self.on_stage(again)


async def node_goes(
    cluster: LocalCluster,
    drain: bool,
    cast: Cast,
    audience: list[SyntheticParticipant],
    progress: Callable[[str], None],
) -> FailoverFigures:
    """After the measured window a node goes: one that is not the home is killed, or the home
    drains (`drain`). `audience` ends as the members who came back."""
    if drain:
        figures, audience[:] = await move_over(
            cluster, audience, cast.rejoin, cast.restage, progress
        )
    else:
        figures, audience[:] = await fail_over(cluster, audience, cast.rejoin, progress)
    return figures


class _Back:
    """Members coming back after their node went: each waits for its socket to close, joins
    again through a live node and counts the seconds to its first video packet."""

    def __init__(self, audience: list[SyntheticParticipant], rejoin: Rejoin, since: float):
        self._audience = audience
        self._rejoin = rejoin
        self._since = since
        self.current = list(audience)
        self.seconds: list[float] = []

    async def all(
        self, indices: list[int], vias: list[int], progress: Callable[[str], None]
    ) -> None:
        results = await asyncio.gather(
            *(self._one(index, via) for index, via in zip(indices, vias, strict=True)),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            progress(f"{len(failures)} members did not come back: {failures[0]!r}")

    async def _one(self, index: int, via: int) -> None:
        old = self._audience[index]
        await asyncio.wait_for(old.closed.wait(), CLOSE_TIMEOUT)
        await old.close()
        member = await self._rejoin(index, via)
        self.current[index] = member
        deadline = self._since + REJOIN_TIMEOUT
        while not any(kind == "video" for (_who, kind) in member.received.packets):
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.01)  # polling a counter the member's own tasks raise
        self.seconds.append(time.monotonic() - self._since)

    def figures(self, node: int, members: int) -> FailoverFigures:
        seconds = self.seconds

        def rounded(fraction: float) -> float | None:
            value = percentile(seconds, fraction)
            return None if value is None else round(value, 3)

        return FailoverFigures(
            killed_node=node,
            members=members,
            rejoined=len(seconds),
            failover_s_p50=rounded(0.5),
            failover_s_p99=rounded(0.99),
            failover_s_max=round(max(seconds), 3) if seconds else None,
        )
