"""The session gets its media connections from the factory it is given (signalling/peers.py)
and its media and stage handlers work on its MeetingContext, not on the session."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rooms.meeting import grants
from rooms.meeting.registry import LocalMeetingRegistry, LocalPlacement, NodeId
from sfu.owner import owner_key
from signalling.context import MeetingContext
from signalling.errors import ProtocolError
from signalling.messages import RaiseHand
from signalling.services import Services
from signalling.session import Session
from signalling.townhall import StageControl

SECRET = "k" * 48
NODE = NodeId("0000cccc")


class _FakePublisher:
    def __init__(self, owner: str, on_layers: Callable[[list[str]], None]) -> None:
        self.owner = owner
        self.on_layers = on_layers
        self.producers: list[Any] = []
        self.closed = False

    async def accept_offer(self, sdp: str) -> str:
        return f"answer to {sdp}"

    async def close(self) -> None:
        self.closed = True


class _Peers:
    """Hands out fake publish connections and records what was asked for."""

    def __init__(self) -> None:
        self.publishers: list[_FakePublisher] = []
        self.subscribers: list[str] = []

    def publisher(
        self, person: str, source: str, on_failed: Callable[[], None], on_layers: Any
    ) -> Any:
        self.publishers.append(_FakePublisher(owner_key(person, source), on_layers))
        return self.publishers[-1]

    def subscriber(self, participant_id: str, send_offer: Any, on_failed: Any, on_off: Any) -> Any:
        self.subscribers.append(participant_id)
        raise AssertionError("a token without subscribe gets no subscribe connection")


async def test_publish_connections_come_from_the_factory_and_close_with_the_session() -> None:
    peers = _Peers()
    services = Services(
        registry=LocalMeetingRegistry(NODE),
        placement=LocalPlacement(NODE),
        secret=SECRET,
        peers=peers,  # type: ignore[arg-type]
        clock=lambda: 1_000.0,
    )
    sent: list[Any] = []
    session = Session(services, sent.append, lambda reason: None)
    grant = grants.JoinGrant(meeting="rapat", identity="ani", name="Ani", can_subscribe=False)
    token = grants.mint(grant, SECRET, 1_000)
    await session.handle_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    await session.handle_text(json.dumps({"type": "publish_offer", "sdp": "v=0"}))
    assert [p.owner for p in peers.publishers] == ["p1-0000cccc"] and peers.subscribers == []
    assert sent[-1] == {"type": "publish_answer", "sdp": "answer to v=0", "source": "camera"}
    assert session.media.publisher is peers.publishers[0]
    peers.publishers[0].on_layers(["q", "h"])  # what the SFU calls when demand changes
    assert sent[-1] == {"type": "publish_layers", "source": "camera", "active": ["q", "h"]}
    await session.end("left")
    assert peers.publishers[0].closed and services.registry.meetings() == []


async def test_stage_handlers_answer_bad_state_before_a_meeting_is_joined() -> None:
    context = MeetingContext(lambda event: None, lambda reason: None, lambda: 0.0, lambda: None)
    handlers = StageControl(context).handlers()
    with pytest.raises(ProtocolError) as caught:
        await handlers[RaiseHand](RaiseHand(raised=True))
    assert (caught.value.code, caught.value.message) == (
        "bad_state",
        "join a meeting with hello first",
    )
