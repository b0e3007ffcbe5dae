"""The one place that chooses what stands behind the seams a cluster would replace: the
community event bus, the registry of this node's meetings and the placement of meetings on
nodes. Today one process is the whole cluster; a multi-node deployment adds a second set of
implementations here and nowhere else (README, "Seams for a cluster")."""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.community.bus import Bus, LocalBus
from rooms.community.community import Community
from rooms.meeting.events import Presence
from rooms.meeting.meeting_access import attendee
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
