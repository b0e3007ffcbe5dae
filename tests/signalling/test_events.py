"""Server events: one encoder, byte-for-byte the wire format of docs/protocol.md, and every
event type the code can send is documented there (and nothing else is)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rooms.community.bus import LocalBus
from rooms.community.events import CommunityEvent
from rooms.meeting.events import bye
from rooms.meeting.meeting import Meeting, Participant, ParticipantId
from rooms.meeting.stage import Stage
from signalling.errors import ProtocolError, error_event
from signalling.events import ServerEvent, encode, wire_types

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_encode_is_compact_and_keeps_non_ascii_text() -> None:
    text = encode({"type": "comment", "comment": {"id": 1, "text": "Grüße ✓ 🌱", "n": [1, 2]}})
    assert text == '{"type":"comment","comment":{"id":1,"text":"Grüße ✓ 🌱","n":[1,2]}}'
    assert json.loads(text)["comment"]["text"] == "Grüße ✓ 🌱"


def _joined_room() -> tuple[Meeting, list[ServerEvent]]:
    room = Meeting("rapat")
    seen: list[ServerEvent] = []
    for pid, name in (("p1-0a0b0c0d", "Ani"), ("p2-0a0b0c0d", "Budi")):
        room.join(Participant(ParticipantId(pid), name.lower(), name, seen.append, print))
    return room, seen


def test_meeting_events_keep_their_bytes() -> None:
    room, seen = _joined_room()
    room.set_muted(ParticipantId("p2-0a0b0c0d"), "audio", True)
    room.leave(ParticipantId("p2-0a0b0c0d"), "left")
    room.stage.locked = True
    stage = Stage()
    events: list[ServerEvent] = [
        *seen,
        room.lobby_event(),
        room.stage_event(),
        {"type": "comment", "comment": stage.comment("p1-x", "Ani", " halo ", 12.5)},
        bye("replaced"),
        error_event(ProtocolError("denied", "a moderator did not let you in")),
        error_event(ProtocolError("bad_state", "send auth first"), "typing"),
        error_event(RuntimeError("secret details")),
    ]
    budi = (
        '{"id":"p2-0a0b0c0d","identity":"budi","name":"Budi","can_publish":true,'
        '"audio_muted":%s,"video_muted":false,"role":"speaker","hand":null,"screen":false,'
        '"watching":false}'
    )
    assert [encode(event) for event in events] == [
        '{"type":"participant_joined","participant":' + budi % "false" + "}",
        '{"type":"participant_updated","participant":' + budi % "true" + "}",
        '{"type":"participant_updated","participant":' + budi % "true" + "}",
        '{"type":"participant_left","participant_id":"p2-0a0b0c0d","reason":"left"}',
        '{"type":"lobby","waiting":[]}',
        '{"type":"meeting_state","locked":true,"lobby":false}',
        '{"type":"comment","comment":{"id":1,"participant_id":"p1-x","name":"Ani",'
        '"text":"halo","at":12.5}}',
        '{"type":"bye","reason":"replaced"}',
        '{"type":"error","code":"denied","message":"a moderator did not let you in"}',
        '{"type":"error","code":"bad_state","message":"send auth first","in_reply_to":"typing"}',
        '{"type":"error","code":"internal",'
        '"message":"the server failed to handle this message; it has been logged"}',
    ]


def test_the_bus_sends_feeds_what_the_one_encoder_makes() -> None:
    bus = LocalBus(encode)
    texts: list[str] = []
    bus.subscribe("room:1", lambda text, _event: texts.append(text))
    event: CommunityEvent = {
        "type": "typing",
        "room_id": 1,
        "user": {"id": 3, "display_name": 'Ana "A" 🌱'},
    }
    bus.publish("room:1", event)
    assert texts == [
        '{"type":"typing","room_id":1,"user":{"id":3,"display_name":"Ana \\"A\\" 🌱"}}'
    ]


def _documented_server_types() -> set[str]:
    """Every `type` the server sends, as docs/protocol.md lists them: the headings under
    "Server → client messages" and the rows of each "Server → client" table."""
    documented: set[str] = set()
    section = ""
    for line in PROTOCOL.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("### "):
            heading = re.fullmatch(r"### `(\w+)`", line)
            if heading and section == "messages":
                documented.add(heading.group(1))
                continue
            if line == "## Server → client messages":
                section = "messages"
            elif line == "### Server → client":
                section = "table"
            else:
                section = ""
        elif section == "table" and (row := re.match(r"\| `(\w+)` \|", line)):
            documented.add(row.group(1))
    return documented


def test_every_server_event_type_is_documented_and_nothing_else() -> None:
    assert _documented_server_types() == wire_types()


@pytest.mark.parametrize("reason", ["left", "replaced", "shutdown", "removed", "banned", "ended"])
def test_every_bye_reason_is_documented(reason: Any) -> None:
    bye_section = PROTOCOL.read_text(encoding="utf-8").split("### `bye`")[1].split("###")[0]
    assert f"`{reason}`" in bye_section and encode(bye(reason)) == (
        f'{{"type":"bye","reason":"{reason}"}}'
    )


def _builds_bye(path: Path) -> bool:
    """Whether the file writes a `{"type": "bye", ...}` literal of its own."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            if any(
                isinstance(key, ast.Constant)
                and key.value == "type"
                and isinstance(value, ast.Constant)
                and value.value == "bye"
                for key, value in pairs
            ):
                return True
    return False


def test_bye_is_built_in_one_place(tmp_path: Path) -> None:
    """Every `bye` comes from rooms/meeting/events.py's `bye()` (it was built in five places)."""
    root = PROTOCOL.parents[1]
    sources = [
        p
        for package in ("server", "signalling", "rooms", "sfu")
        for p in (root / package).rglob("*.py")
    ]
    assert [p for p in sources if _builds_bye(p)] == [root / "rooms" / "meeting" / "events.py"]
    probe = tmp_path / "probe.py"
    probe.write_text('send({"type": "bye", "reason": "left"})\n', encoding="utf-8")
    assert _builds_bye(probe)
