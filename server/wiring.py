"""The one place that chooses what stands behind the seams a cluster would replace: the
community event bus, the registry of this node's meetings and the placement of meetings on
nodes. One process with no Redis is the embedded default; with `redis_url` the community bus
crosses nodes through Redis (rooms/community/redis_bus.py, docs/cluster.md) and meetings still
live whole on the node that holds them (README, "Seams for a cluster")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from rooms.community.bus import Bus, LocalBus
from rooms.community.redis_bus import RedisBus
from rooms.meeting.registry import (
    LocalMeetingRegistry,
    LocalPlacement,
    MeetingRegistry,
    NodeId,
    Placement,
    new_node_id,
)
from signalling.events import encode


@dataclass(frozen=True)
class Seams:
    node: NodeId
    bus: Bus
    meetings: MeetingRegistry
    placement: Placement

    async def running(self) -> AsyncIterator[None]:
        """Connections the seams hold for as long as the server runs (an aiohttp cleanup
        context: started before the community opens, closed after it closes)."""
        if isinstance(self.bus, RedisBus):
            await self.bus.start()
        try:
            yield
        finally:
            if isinstance(self.bus, RedisBus):
                await self.bus.close()


def single_node() -> Seams:
    node = new_node_id()
    return Seams(
        node=node,
        bus=LocalBus(encode),
        meetings=LocalMeetingRegistry(node),
        placement=LocalPlacement(node),
    )


def seams_for(redis_url: str) -> Seams:
    """Single-node seams, with the community bus over Redis when `redis_url` is given."""
    seams = single_node()
    if not redis_url:
        return seams
    bus = RedisBus(redis_url, seams.node, encode)
    return Seams(node=seams.node, bus=bus, meetings=seams.meetings, placement=seams.placement)
