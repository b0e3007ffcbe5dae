"""Text with no UTF-8 form (a lone UTF-16 surrogate) or control characters: refused at the door,
and a writer that survives an event it cannot encode (issue #13, item 2)."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from rooms.meeting import grants
from signalling import ws as ws_module
from signalling.errors import ProtocolError
from signalling.messages import parse_client_message
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer
from tests.signalling.test_townhall import close_clients, connect, enter  # noqa: F401
from tests.signalling.test_ws import Client

ROOM = "balai"


async def answers_ping(client: Client, ping_id: str = "still-there") -> None:
    await client.send({"type": "ping", "id": ping_id})
    assert (await client.recv_type("pong"))["id"] == ping_id


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"comment","text":"hi \\ud800"}',
        '{"type":"ping","id":"\\udfff"}',
        '{"type":"ping","id":{"nested":["ok","\\ud83d"]}}',
        '{"type":"\\ud800"}',
        '{"type":"ping","\\ud800":1}',
        '{"type":"hello","v":1,"token":"a\\u0000b"}',
        '{"type":"ask","text":"bel\\u0007"}',
    ],
)
def test_lone_surrogates_and_control_characters_anywhere_are_bad_messages(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(text)
    assert caught.value.code == "bad_message"


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"comment","text":"Hidup buruh! \\ud83d\\udc4d ✊ é"}',  # a surrogate *pair*
        '{"type":"publish_offer","sdp":"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n\\t"}',
    ],
)
def test_real_text_with_emoji_and_line_ends_still_parses(text: str) -> None:
    parse_client_message(text)


def test_join_tokens_never_carry_a_lone_surrogate_or_control_character() -> None:
    # Names are cleaned when minted; a token holding one anyway (signed elsewhere) is refused.
    secret = "s" * 48
    for identity in ("siti\ud800", "siti\x00"):
        with pytest.raises(ValueError):
            grants.mint(grants.JoinGrant(meeting="r", identity=identity, name="Siti"), secret, 0)
    for name, shown in (("Siti \ud800", "Siti \ufffd"), ("Si\x00ti\n", "Siti")):
        token = grants.mint(grants.JoinGrant(meeting="r", identity="siti", name=name), secret, 0)
        assert grants.verify(token, secret, 0).name == shown
    claims = {"room": "r", "sub": "siti", "name": "Siti \ud800", "exp": 100}
    forged = jwt.encode(claims, secret, algorithm=grants.ALGORITHM)
    with pytest.raises(grants.GrantError) as caught:
        grants.verify(forged, secret, 0)
    assert caught.value.code == "unauthorized"


async def test_a_lone_surrogate_in_a_comment_silences_nobody(kamar: RunningServer) -> None:
    """The issue's reproduction: one comment "hi \\ud800", then everyone still talks."""
    speaker = await enter(kamar, "ketua", "speaker")
    audience = await enter(kamar, "warga", "audience")
    await audience.send('{"type":"comment","text":"hi \\ud800"}')
    refused = await audience.recv_type("error")
    assert refused["code"] == "bad_message"
    for client in (speaker, audience):
        await answers_ping(client)
    await audience.send('{"type":"ping","id":"\\ud800"}')
    assert (await audience.recv_type("error"))["code"] == "bad_message"
    await audience.send('{"type":"x\\ud800"}')
    assert (await audience.recv_type("error"))["code"] == "bad_message"
    await answers_ping(audience)
    await speaker.send({"type": "comment", "text": "selamat datang"})
    assert (await audience.recv_type("comment"))["comment"]["text"] == "selamat datang"
    newcomer = await enter(kamar, "baru", "audience")
    await answers_ping(newcomer)


async def test_an_event_that_cannot_be_encoded_costs_one_event_not_the_connection(
    kamar: RunningServer,
) -> None:
    """Should bad text reach room state some other way, the writers live on: a welcome holding
    it is sent with the character replaced, an event that is not JSON at all is skipped."""
    speaker = await enter(kamar, "ketua", "speaker")
    room = kamar.server.app[SERVICES_KEY].registry.find(ROOM)
    assert room is not None
    bad_comment: dict[str, Any] = {"id": 99, "participant_id": "p", "name": "x"}
    bad_comment["text"] = "hi \ud800"
    room.stage.comments.append(bad_comment)
    room.broadcast({"type": "comment", "comment": bad_comment})
    room.broadcast({"type": "comment", "comment": {"not json": {1, 2}}})
    assert (await speaker.recv_type("comment"))["comment"]["text"] == "hi \ufffd"
    await answers_ping(speaker)
    newcomer = await connect(kamar)
    welcome = await newcomer.join(kamar.token(ROOM, "baru", role="audience"))
    assert welcome["type"] == "welcome"
    assert welcome["stage"]["comments"][-1]["text"] == "hi \ufffd"
    await answers_ping(newcomer)
    json.dumps(welcome)  # what arrived is ordinary JSON


async def test_a_writer_that_fails_closes_its_socket_instead_of_going_silent(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaker = await enter(kamar, "ketua", "speaker")
    encoded = ws_module.encoded

    def broken(item: Any) -> str | None:
        if isinstance(item, dict) and item.get("id") == "break":
            raise KeyError("a bug in the writer")
        return encoded(item)

    monkeypatch.setattr(ws_module, "encoded", broken)
    await speaker.send({"type": "ping", "id": "break"})
    await speaker.closed()
    assert speaker.conn.close_reason == "internal"
