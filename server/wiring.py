"""The one place that chooses what stands behind the seams a cluster would replace: the
community event bus, the registry of this node's meetings and the placement of meetings on
nodes. Today one process is the whole cluster; a multi-node deployment adds a second set of
implementations here and nowhere else (README, "Seams for a cluster")."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.community.bus import Bus, LocalBus
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


def single_node() -> Seams:
    node = new_node_id()
    return Seams(
        node=node,
        bus=LocalBus(encode),
        meetings=LocalMeetingRegistry(node),
        placement=LocalPlacement(node),
    )
