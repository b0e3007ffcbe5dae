"""A meeting lives on one node: a hello for a meeting placed on another node is refused before
anything joins (rooms/meeting/registry.py, Placement)."""

from __future__ import annotations

import json
from typing import Any

from rooms.meeting import grants
from rooms.meeting.registry import LocalMeetingRegistry, LocalPlacement, NodeId
from sfu.peer import PeerSettings
from signalling.peers import WebRtcPeers
from signalling.session import Services, Session

SECRET = "s" * 48
HERE, THERE = NodeId("0000aaaa"), NodeId("0000bbbb")


class _Socket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any] | str] = []
        self.closed: str | None = None

    def send(self, event: dict[str, Any] | str) -> None:
        self.sent.append(event)

    def close(self, reason: str) -> None:
        self.closed = self.closed or reason


class _Elsewhere:
    """Another node claimed every meeting already; `url`: how it is reached (None: gone)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    async def claim(self, meeting: str) -> NodeId:
        return THERE

    async def address(self, node: NodeId) -> str | None:
        return self.url if node == THERE else None

    def drain(self) -> None:
        pass

    async def gone(self, node: NodeId) -> None:
        pass


def _hello(room: str) -> str:
    grant = grants.JoinGrant(room=room, identity="ani", name="Ani", can_subscribe=False)
    return json.dumps({"type": "hello", "v": 1, "token": grants.mint(grant, SECRET, 1_000)})


async def _say_hello(placement: Any) -> tuple[_Socket, LocalMeetingRegistry, Session]:
    registry = LocalMeetingRegistry(HERE)
    services = Services(
        registry=registry,
        placement=placement,
        secret=SECRET,
        peers=WebRtcPeers(PeerSettings()),
        clock=lambda: 1_000.0,
    )
    socket = _Socket()
    session = Session(services, socket.send, socket.close)
    await session.handle_text(_hello("rapat"))
    await session.end("left")
    return socket, registry, session


async def test_a_meeting_on_a_node_that_cannot_be_reached_is_refused_and_nothing_joins() -> None:
    socket, registry, session = await _say_hello(_Elsewhere(url=None))
    assert session.relay_to is None
    assert socket.sent == [
        {
            "type": "error",
            "code": "wrong_node",
            "message": "this meeting runs on another node (0000bbbb); connect again",
        }
    ]
    assert socket.closed == "wrong_node"
    assert registry.meetings() == [] and registry.participant_count == 0


async def test_a_meeting_on_another_live_node_is_relayed_there_and_nothing_joins_here() -> None:
    socket, registry, session = await _say_hello(_Elsewhere(url="http://10.0.0.2:8080"))
    assert session.relay_to == "http://10.0.0.2:8080"  # signalling/ws.py relays the socket
    assert socket.sent == [] and socket.closed is None
    assert registry.meetings() == [] and registry.participant_count == 0


async def test_a_meeting_placed_here_is_joined() -> None:
    socket, _registry, _session = await _say_hello(LocalPlacement(HERE))
    assert isinstance(socket.sent[0], dict) and socket.sent[0]["type"] == "welcome"
    assert socket.sent[0]["participant"]["id"] == "p1-0000aaaa"
    assert socket.closed is None
