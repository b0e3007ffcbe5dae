"""Property-based fuzzing of signalling frames (Hypothesis; docs/security.md).

The invariant, for any frame or sequence of frames: an `error` answer or a drop, never an
exception that escapes, never an answer the socket cannot carry, and afterwards the session (or
the real socket, with its writer) still answers a `ping` unless it was told why it is closed."""

from __future__ import annotations

import asyncio
import json
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.meeting import grants
from rooms.meeting.registry import LocalMeetingRegistry, LocalPlacement, NodeId
from sfu.peer import PeerSettings
from signalling.errors import CLOSING_CODES, ProtocolError
from signalling.events import encode
from signalling.messages import MESSAGE_FIELDS, parse_client_message
from signalling.peers import WebRtcPeers
from signalling.services import Services
from signalling.session import Session
from tests.conftest import RunningServer
from tests.signalling.test_ws import Client

pytestmark = pytest.mark.fuzz

SECRET = "f" * 48
ROOM = "fuzz"
NODE = NodeId("fuzz0001")
# Text that has broken things before: lone surrogates, NUL, control characters, huge numbers.
_NASTY = ["\ud800", "\udfff", "\ud83d", "\x00", "\x07", "\x1b[2J", "\u2028", "\ufeff", "👍"]

texts = st.one_of(
    st.text(max_size=20),
    st.lists(st.sampled_from(_NASTY) | st.text(max_size=3), max_size=4).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A frame shaped like a client message: a real (or random) type, its fields with values
    of any type, sometimes the right one."""
    kind = draw(st.sampled_from(sorted(MESSAGE_FIELDS)) | texts)
    message: dict[str, Any] = {"type": kind}
    for name in MESSAGE_FIELDS.get(kind, ()):
        if draw(st.integers(0, 4)):
            message[name] = draw(json_values | _plausible(name))
    if draw(st.booleans()):
        message.update(draw(st.dictionaries(texts, json_values, max_size=2)))
    return message


def _plausible(name: str) -> st.SearchStrategy[Any]:
    if name in ("kind",):
        return st.sampled_from(["audio", "video"])
    if name in ("source",):
        return st.sampled_from(["camera", "screen"])
    if name in ("role",):
        return st.sampled_from(["speaker", "audience"])
    if name.endswith("_id") or name in ("v", "width", "height", "revision"):
        return st.integers(min_value=-2, max_value=20_000)
    return texts


frames = st.one_of(
    messages().map(json.dumps),
    json_values.map(json.dumps),
    st.text(alphabet=string.printable, max_size=40),
    texts,
)


@given(frames)
def test_the_parser_answers_any_frame_with_a_message_or_a_protocol_error(frame: str) -> None:
    try:
        message = parse_client_message(frame)
    except ProtocolError as exc:
        assert exc.code and exc.message
        return
    # What parses can be echoed back (ping.id, comment text): it must be encodable.
    encode({"type": "echo", "value": message.__dict__}).encode("utf-8")


class _Socket:
    """What ws.py gives a session: an outbox and a close; the answers are checked as the real
    writer would send them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any] | str] = []
        self.closed: str | None = None

    def send(self, event: dict[str, Any] | str) -> None:
        text = event if isinstance(event, str) else encode(event)
        text.encode("utf-8")  # raises UnicodeEncodeError, which the writer would meet
        self.sent.append(event)

    def close(self, reason: str) -> None:
        self.closed = self.closed or reason


def _token(role: str) -> str:
    grant = grants.JoinGrant(meeting=ROOM, identity=f"fuzz-{role}", name=role, can_subscribe=False)
    grant = grants.JoinGrant(**{**grant.__dict__, "role": role})
    return grants.mint(grant, SECRET, 1_000)


async def _run_session(first_hello: bool, role: str, sequence: list[str]) -> None:
    clock = [1_000.0]
    services = Services(
        registry=LocalMeetingRegistry(NODE),
        placement=LocalPlacement(NODE),
        secret=SECRET,
        peers=WebRtcPeers(PeerSettings()),
        clock=lambda: clock[0],
    )
    socket = _Socket()
    session = Session(services, socket.send, socket.close)
    try:
        if first_hello:
            await session.handle_text(json.dumps({"type": "hello", "v": 1, "token": _token(role)}))
        for frame in sequence:
            clock[0] += 0.01
            await session.handle_text(frame)  # never raises: that is the property
        if socket.closed is not None:
            told = [e for e in socket.sent if isinstance(e, dict) and e["type"] in ("error", "bye")]
            assert told, "closed without saying why"
            return
        clock[0] += 60.0  # every bucket full again
        await session.handle_text('{"type":"ping","id":"alive"}')
        if session.identified:
            assert socket.sent[-1] == {"type": "pong", "id": "alive"}
        else:  # a ping is no way in: refused and closed, with the reason
            assert socket.sent[-1]["code"] == "unauthorized" and socket.closed  # type: ignore[index]
    finally:
        await session.end("disconnected")


# A third of the profile's examples (each runs a session), a hundredth over real sockets.
@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(
    st.booleans(),
    st.sampled_from(["moderator", "speaker", "audience"]),
    st.lists(frames, max_size=12),
)
def test_a_session_answers_any_frames_with_errors_or_drops_and_still_pongs(
    first_hello: bool, role: str, sequence: list[str]
) -> None:
    asyncio.run(_run_session(first_hello, role, sequence))


def _utf8(frame: str) -> bool:
    """Raw lone surrogates cannot go on the wire (text frames are UTF-8); escaped ones can."""
    try:
        frame.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=max(10, settings.default.max_examples // 100))
@given(st.lists(frames.filter(_utf8), min_size=1, max_size=6))
async def test_a_real_socket_survives_any_frames_and_its_writer_still_answers(
    kamar: RunningServer, sequence: list[str]
) -> None:
    client = await Client.connect(kamar)
    try:
        token = kamar.token(ROOM, "fuzzer", role="moderator", can_subscribe=False)
        assert (await client.join(token))["type"] == "welcome"
        for frame in sequence:
            await client.send(frame)
        await client.send({"type": "ping", "id": "alive"})
        while True:
            event = await client.recv()
            # Told why it ends (an error that closes, or bye after leave or end_meeting).
            if event["type"] == "bye" or (
                event["type"] == "error" and event["code"] in CLOSING_CODES
            ):
                await client.closed()
                return
            if event == {"type": "pong", "id": "alive"}:
                return
    finally:
        await client.conn.close()
