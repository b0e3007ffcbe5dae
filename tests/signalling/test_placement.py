"""A meeting lives on one node: a hello for a meeting placed on another node is refused before
anything joins (rooms/meeting/registry.py, Placement)."""

from __future__ import annotations

import json
from typing import Any

from rooms.meeting import grants, handover
from rooms.meeting.registry import LocalMeetingRegistry, LocalPlacement, NodeId
from rooms.meeting.stage import MeetingRole, Stage
from sfu.peer import PeerSettings
from signalling.peers import WebRtcPeers
from signalling.services import Services
from signalling.session import Session
from tests.conftest import eventually

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


def _hello(room: str, identity: str = "ani", role: MeetingRole | None = None) -> str:
    grant = grants.JoinGrant(
        meeting=room, identity=identity, name=identity.title(), can_subscribe=False, role=role
    )
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
    assert session.joining.carry_to is None
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
    assert session.joining.carry_to == "http://10.0.0.2:8080"  # signalling/ws.py relays the socket
    assert socket.sent == [] and socket.closed is None
    assert registry.meetings() == [] and registry.participant_count == 0


async def test_a_meeting_placed_here_is_joined() -> None:
    socket, _registry, _session = await _say_hello(LocalPlacement(HERE))
    assert isinstance(socket.sent[0], dict) and socket.sent[0]["type"] == "welcome"
    assert socket.sent[0]["participant"]["id"] == "p1-0000aaaa"
    assert socket.closed is None


class _HandedOver(LocalPlacement):
    """This node claims every meeting; a draining node left `state` for them."""

    def __init__(self, state: Any) -> None:
        super().__init__(HERE)
        self.state = state
        self.taken: list[str] = []

    async def handed_over(self, meeting: str) -> Any:
        return self.state

    async def handover_taken(self, meeting: str) -> None:
        self.taken.append(meeting)


def _moved_stage() -> Stage:
    stage = Stage()
    stage.locked = True
    stage.roles_given["ani"] = "speaker"
    stage.ask("budi", "Budi", "Kapan mogok?", 10.0)
    return stage


async def test_a_meeting_moved_here_starts_from_the_stage_its_old_node_left() -> None:
    moved = _moved_stage()
    placement = _HandedOver(handover.stage_state(moved, ["ani"]))
    registry = LocalMeetingRegistry(HERE)
    services = Services(registry, placement, SECRET, WebRtcPeers(PeerSettings()), lambda: 1_000.0)
    socket = _Socket()
    session = Session(services, socket.send, socket.close)
    # An audience token: on stage, as a moderator made Ani, and let in though it is locked.
    await session.handle_text(_hello("rapat", role="audience"))
    welcome = socket.sent[0]
    assert isinstance(welcome, dict) and welcome["type"] == "welcome", welcome
    assert welcome["participant"]["role"] == "speaker"
    assert [q["text"] for q in welcome["stage"]["questions"]] == ["Kapan mogok?"]
    room = registry.find("rapat")
    assert room is not None and room.stage.key == moved.key and room.stage.locked
    await eventually(lambda: placement.taken == ["rapat"], what="the handover dropped")
    await session.end("left")


async def test_a_raised_hand_is_up_again_after_a_reconnect() -> None:
    registry = LocalMeetingRegistry(HERE)
    services = Services(
        registry, LocalPlacement(HERE), SECRET, WebRtcPeers(PeerSettings()), lambda: 1_000.0
    )
    first, again = _Socket(), _Socket()
    keeper = Session(services, _Socket().send, _Socket().close)
    await keeper.handle_text(_hello("rapat", "ketua", "moderator"))  # keeps the meeting open
    session = Session(services, first.send, first.close)
    await session.handle_text(_hello("rapat", role="audience"))
    await session.handle_text('{"type": "raise_hand", "raised": true}')
    await session.end("disconnected")
    session = Session(services, again.send, again.close)
    await session.handle_text(_hello("rapat", role="audience"))
    welcome = again.sent[0]
    assert isinstance(welcome, dict) and welcome["participant"]["hand"] == 1
    for each in (session, keeper):
        await each.end("left")


async def test_a_node_whose_meetings_moved_away_takes_no_more_sockets() -> None:
    registry = LocalMeetingRegistry(HERE)
    services = Services(
        registry, _Elsewhere("http://10.0.0.2:8080"), SECRET, WebRtcPeers(PeerSettings()),
        lambda: 1_000.0, draining=True, moved_out=True,
    )  # fmt: skip
    socket = _Socket()
    session = Session(services, socket.send, socket.close)
    await session.handle_text(_hello("rapat"))
    assert session.joining.carry_to is None  # not carried: that would keep this node running
    assert socket.closed == "draining"
