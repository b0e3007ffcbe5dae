"""Where live meetings are: the meetings of this node (`MeetingRegistry`) and the node that hosts
each meeting (`Placement`), with one in-process implementation of each for a single node.

A meeting's state lives in one node's memory, tied to that node's SFU, so every participant of a
meeting must reach the same node: placement decides which. On a single node the answer is
always "here". A cluster would keep the claims in a shared store (Redis, say), renewed by each
node for the meetings its registry lists and expiring when a node stops, and route sockets to
the claimed node; server/wiring.py is the one place that chooses the implementations.

Ids that leave a node (participant ids reach other participants, logs and TURN usernames)
carry the node's id, so two nodes never hand out the same one.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any, NewType, Protocol

from rooms.meeting.events import PresenceListener
from rooms.meeting.meeting import Meeting, ParticipantId
from rooms.meeting.stage import Stage

NodeId = NewType("NodeId", str)


def new_node_id() -> NodeId:
    # Random at every start: 32 bits make a clash between two nodes of one cluster about as
    # likely as one in a billion, and a restarted node never reuses its old participant ids.
    return NodeId(secrets.token_hex(4))


class MeetingRegistry(Protocol):
    """The live meetings of this node; a meeting exists while someone is in it or waiting."""

    node: NodeId

    def find(self, name: str) -> Meeting | None: ...

    def open(self, name: str, stage: Stage | None = None) -> Meeting:
        """The meeting `name`, started now if nobody is in it yet (from `stage` when it
        moved here from another node)."""
        ...

    def leave(self, name: str, participant_id: ParticipantId, reason: str) -> None:
        """Remove someone from the meeting and its lobby; an empty meeting ends."""
        ...

    def meetings(self) -> list[Meeting]:
        """A snapshot: callers may change meetings while they walk it."""
        ...

    @property
    def participant_count(self) -> int: ...

    def new_participant_id(self) -> ParticipantId:
        """An id no node of the cluster hands out again."""
        ...


class Placement(Protocol):
    async def claim(self, meeting: str) -> NodeId:
        """The node hosting `meeting`, claimed for a node when nobody hosts it."""
        ...

    async def address(self, node: NodeId) -> str | None:
        """The URL another node reaches `node` on (sockets are carried there), or None
        when it is not known to be alive."""
        ...

    def drain(self) -> None:
        """This node shuts down: place no new meeting here (server/drain.py)."""
        ...

    async def gone(self, node: NodeId) -> None:
        """`node` refused a connection, so it is not running: forget it now rather than when
        its heartbeat expires, so that its meetings move at the next `hello`."""
        ...

    async def successor(self) -> NodeId | None:
        """Another live node that takes new meetings: where the meetings of this draining
        node can move (server/drain.py). None when there is none (a single node, or every
        node drains, as the workers of one machine do together)."""
        ...

    async def release(self, meeting: str, stage: dict[str, Any]) -> bool:
        """Give up this node's claim on `meeting` at once, so that the next `hello` places it
        on a live node, and leave its stage state (rooms/meeting/handover.py) to the node
        that opens it next. False when the claim was not this node's."""
        ...

    async def handed_over(self, meeting: str) -> Any:
        """The stage state a draining node left for `meeting`, None when there is none."""
        ...

    async def handover_taken(self, meeting: str) -> None:
        """`meeting` was opened here from its handed-over state: nobody needs it again."""
        ...


class LocalMeetingRegistry:
    def __init__(self, node: NodeId, on_presence: PresenceListener | None = None) -> None:
        self.node = node
        self._on_presence = on_presence  # told of every arrival and departure in its meetings
        self._meetings: dict[str, Meeting] = {}
        self._participant_numbers = itertools.count(1)

    def find(self, name: str) -> Meeting | None:
        return self._meetings.get(name)

    def open(self, name: str, stage: Stage | None = None) -> Meeting:
        meeting = self._meetings.get(name)
        if meeting is None:
            meeting = self._meetings[name] = Meeting(name, self._on_presence, stage)
        return meeting

    def leave(self, name: str, participant_id: ParticipantId, reason: str) -> None:
        meeting = self._meetings.get(name)
        if meeting is None:
            return
        meeting.leave(participant_id, reason)
        meeting.leave_lobby(participant_id)
        if not meeting.participants and not meeting.waiting:
            del self._meetings[name]
            meeting.close()

    def meetings(self) -> list[Meeting]:
        return list(self._meetings.values())

    @property
    def participant_count(self) -> int:
        # HLS viewers cost the node a socket, no media: max_participants does not count them.
        return sum(
            1
            for meeting in self._meetings.values()
            for participant in meeting.participants.values()
            if not participant.watching
        )

    def new_participant_id(self) -> ParticipantId:
        # A counter keeps ids short in logs; the node's id keeps them apart from other nodes'
        # and from this node's before a restart.
        return ParticipantId(f"p{next(self._participant_numbers)}-{self.node}")


class LocalPlacement:
    """One node hosts every meeting."""

    def __init__(self, node: NodeId) -> None:
        self._node = node

    async def claim(self, meeting: str) -> NodeId:
        return self._node

    async def address(self, node: NodeId) -> str | None:
        return None  # no other node

    def drain(self) -> None:
        pass  # the only node: new meetings are refused with `draining` (signalling/joining.py)

    async def gone(self, node: NodeId) -> None:
        pass  # there is no other node

    async def successor(self) -> NodeId | None:
        return None  # nowhere to move to: a draining node keeps its meetings

    async def release(self, meeting: str, stage: dict[str, Any]) -> bool:
        return False

    async def handed_over(self, meeting: str) -> Any:
        return None

    async def handover_taken(self, meeting: str) -> None:
        pass
