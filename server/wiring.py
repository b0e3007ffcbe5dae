"""The one place that chooses what stands behind the seams a cluster would replace: the
community event bus, the registry of this node's meetings and the placement of meetings on
nodes. One process with no Redis is the embedded default; with `redis_url` the community bus
crosses nodes through Redis (rooms/community/redis_bus.py, docs/cluster.md) and meetings still
live whole on the node that holds them (README, "Seams for a cluster")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from rooms.community.bus import Bus, LocalBus
from rooms.community.community import Community
from rooms.community.redis_bus import RedisBus
from rooms.meeting.events import Presence
from rooms.meeting.meeting_access import attendee
from rooms.meeting.redis_placement import RedisPlacement
from rooms.meeting.registry import (
    LocalMeetingRegistry,
    LocalPlacement,
    MeetingRegistry,
    NodeId,
    Placement,
    new_node_id,
)
from signalling.events import encode


class Attendance:
    """The seam between live meetings and the community's attendance record
    (rooms/community/attendance.py): the meetings report arrivals and departures here, and
    those of members in community rooms' meetings are recorded once the community is open
    (server/app.py sets `community`). The community never learns of the meeting itself."""

    def __init__(self) -> None:
        self.community: Community | None = None

    def __call__(self, presence: Presence) -> None:
        member = attendee(presence.meeting, presence.identity)
        if member is None or self.community is None:
            return
        record = self.community.attendance
        (record.joined if presence.joined else record.left)(*member)


@dataclass(frozen=True)
class Seams:
    node: NodeId
    bus: Bus
    meetings: MeetingRegistry
    placement: Placement
    attendance: Attendance = field(default_factory=Attendance)

    async def running(self) -> AsyncIterator[None]:
        """Connections the seams hold for as long as the server runs (an aiohttp cleanup
        context: started before the community opens, closed after it closes)."""
        if isinstance(self.bus, RedisBus):
            await self.bus.start()
        if isinstance(self.placement, RedisPlacement):
            await self.placement.start()
        try:
            yield
        finally:
            if isinstance(self.placement, RedisPlacement):
                await self.placement.close()
            if isinstance(self.bus, RedisBus):
                await self.bus.close()


def single_node() -> Seams:
    node = new_node_id()
    attendance = Attendance()
    return Seams(
        node=node,
        bus=LocalBus(encode),
        meetings=LocalMeetingRegistry(node, on_presence=attendance),
        placement=LocalPlacement(node),
        attendance=attendance,
    )


def seams_for(redis_url: str, node_url: str) -> Seams:
    """Single-node seams; with `redis_url`, the community bus and the placement of meetings
    go through Redis (each meeting still lives whole on one node, reached at `node_url`)."""
    seams = single_node()
    if not redis_url:
        return seams
    bus = RedisBus(redis_url, seams.node, encode)
    placement = RedisPlacement(redis_url, seams.meetings, node_url)
    return Seams(
        node=seams.node,
        bus=bus,
        meetings=seams.meetings,
        placement=placement,
        attendance=seams.attendance,
    )
