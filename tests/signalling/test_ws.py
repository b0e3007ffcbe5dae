"""Signalling over a real websocket: every bad input gets a clear error and changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import websockets

from signalling import ws as ws_module
from tests.conftest import RunningServer, eventually


class Client:
    """A bare protocol client: send dicts or raw frames, read parsed events."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, kamar: RunningServer) -> Client:
        return cls(await websockets.connect(kamar.ws_url, max_size=None))

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        await self.conn.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        return event

    async def recv_type(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """Next event of type `kind`, skipping others (e.g. subscribe offers)."""
        deadline = time.monotonic() + timeout
        while True:
            event = await self.recv(max(0.01, deadline - time.monotonic()))
            if event["type"] == kind:
                return event

    async def join(self, token: str, room: str | None = None) -> dict[str, Any]:
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": token}
        if room:
            hello["room"] = room
        await self.send(hello)
        return await self.recv()

    async def closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(self.conn.wait_closed(), timeout)
        code: int | None = self.conn.close_code
        return code


async def joined(kamar: RunningServer, room: str, identity: str, **grant: Any) -> Client:
    client = await Client.connect(kamar)
    welcome = await client.join(kamar.token(room, identity, **grant))
    assert welcome["type"] == "welcome", welcome
    return client


@pytest.mark.parametrize(
    ("hello", "code"),
    [
        ({"type": "hello", "v": 1, "token": "not-a-jwt"}, "unauthorized"),
        ({"type": "hello", "v": 1}, "bad_message"),
        ({"type": "hello", "v": 2, "token": "x"}, "version_unsupported"),
        ({"type": "hello", "v": "1", "token": "x"}, "bad_message"),
        ({"type": "ping"}, "unauthorized"),
        ("{not json", "bad_json"),
    ],
)
async def test_a_bad_first_message_is_refused_and_the_socket_closed(
    kamar: RunningServer, hello: dict[str, Any] | str, code: str
) -> None:
    client = await Client.connect(kamar)
    await client.send(hello)
    error = await client.recv()
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await client.closed()


async def test_an_expired_token_is_refused_with_token_expired(kamar: RunningServer) -> None:
    client = await Client.connect(kamar)
    token = kamar.token("demo", "old", now=int(time.time()) - 100, ttl=10)
    error = await client.join(token)
    assert (error["type"], error["code"]) == ("error", "token_expired")
    await client.closed()


async def test_a_token_signed_with_another_secret_is_refused(kamar: RunningServer) -> None:
    other = RunningServer(server=kamar.server, secret="x" * 48)
    client = await Client.connect(kamar)
    error = await client.join(other.token("demo", "mallory"))
    assert error["code"] == "unauthorized"
    await client.closed()


async def test_a_token_for_another_room_is_refused_with_wrong_room(kamar: RunningServer) -> None:
    client = await Client.connect(kamar)
    error = await client.join(kamar.token("alpha", "siti"), room="beta")
    assert error["code"] == "wrong_room" and "alpha" in error["message"]
    await client.closed()


async def test_welcome_lists_the_others_and_they_hear_of_the_newcomer(
    kamar: RunningServer,
) -> None:
    siti = await joined(kamar, "demo", "siti", name="Siti")
    budi = await Client.connect(kamar)
    welcome = await budi.join(kamar.token("demo", "budi", name="Budi"))
    assert welcome["room"] == "demo" and welcome["v"] == 1
    assert [p["name"] for p in welcome["participants"]] == ["Siti"]
    assert welcome["participant"]["name"] == "Budi"
    event = await siti.recv_type("participant_joined")
    assert event["participant"]["id"] == welcome["participant"]["id"]

    await budi.send({"type": "leave"})
    assert (await budi.recv_type("bye"))["reason"] == "left"
    left = await siti.recv_type("participant_left")
    assert left == {
        "type": "participant_left",
        "participant_id": welcome["participant"]["id"],
        "reason": "left",
    }
    await siti.conn.close()


async def test_a_dropped_connection_is_announced_as_disconnected(kamar: RunningServer) -> None:
    siti = await joined(kamar, "demo", "siti")
    budi = await joined(kamar, "demo", "budi")
    await siti.recv_type("participant_joined")
    await budi.conn.close()
    left = await siti.recv_type("participant_left")
    assert left["reason"] == "disconnected"
    await siti.conn.close()


async def test_rooms_are_isolated(kamar: RunningServer) -> None:
    alpha = await joined(kamar, "alpha", "siti")
    beta = await joined(kamar, "beta", "budi")
    await beta.send({"type": "mute", "kind": "audio", "muted": True})
    await beta.recv_type("participant_updated")
    await alpha.send({"type": "ping", "id": 7})
    # The ping's answer is the first thing alpha receives: nothing from beta came before it.
    assert await alpha.recv() == {"type": "pong", "id": 7}
    await alpha.conn.close()
    await beta.conn.close()


async def test_joining_again_with_the_same_identity_replaces_the_old_connection(
    kamar: RunningServer,
) -> None:
    first = await joined(kamar, "demo", "siti")
    second = await joined(kamar, "demo", "siti")
    assert (await first.recv_type("bye"))["reason"] == "replaced"
    await first.closed()
    await second.send({"type": "ping"})
    assert (await second.recv())["type"] == "pong"
    await second.conn.close()


@pytest.mark.parametrize(
    ("message", "code", "mentions"),
    [
        ("[1, 2]", "bad_json", "object"),
        ("{", "bad_json", "JSON"),
        ({"type": "dance"}, "unknown_type", "dance"),
        ({"type": "mute", "kind": "audio"}, "bad_message", "muted"),
        ({"type": "mute", "kind": "smell", "muted": True}, "bad_message", "kind"),
        ({"type": "publish_offer"}, "bad_message", "sdp"),
        ({"type": "publish_offer", "sdp": "hello"}, "bad_sdp", "SDP"),
        ({"type": "subscribe_answer", "sdp": "v=0", "revision": 1}, "bad_state", "offer"),
        ({"type": "hello", "v": 1, "token": "x"}, "bad_state", "hello"),
        (b"\x00\x01", "binary_unsupported", "text"),
    ],
)
async def test_bad_messages_after_joining_get_an_error_and_the_session_goes_on(
    kamar: RunningServer, message: Any, code: str, mentions: str
) -> None:
    client = await joined(kamar, "demo", "siti")
    await client.send(message)
    error = await client.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert mentions.lower() in error["message"].lower()
    await client.send({"type": "ping", "id": "still-here"})
    assert await client.recv() == {"type": "pong", "id": "still-here"}
    await client.conn.close()


async def test_publishing_without_the_grant_is_forbidden(kamar: RunningServer) -> None:
    client = await joined(kamar, "demo", "viewer", can_publish=False)
    await client.send({"type": "publish_offer", "sdp": "v=0\r\n"})
    error = await client.recv()
    assert error["code"] == "forbidden"
    await client.conn.close()


async def test_an_oversized_frame_closes_the_socket_with_1009(kamar: RunningServer) -> None:
    client = await joined(kamar, "demo", "siti")
    await client.send(json.dumps({"type": "ping", "id": "x" * (600 * 1024)}))
    assert await client.closed() == 1009


async def test_mute_is_announced_to_everyone_including_the_sender(kamar: RunningServer) -> None:
    siti = await joined(kamar, "demo", "siti")
    budi = await joined(kamar, "demo", "budi")
    await budi.send({"type": "mute", "kind": "video", "muted": True})
    for client in (siti, budi):
        update = await client.recv_type("participant_updated")
        assert update["participant"]["video_muted"] is True
        assert update["participant"]["audio_muted"] is False
    await siti.conn.close()
    await budi.conn.close()


async def test_a_socket_that_never_says_hello_is_closed(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws_module, "HELLO_TIMEOUT", 0.2)
    client = await Client.connect(kamar)
    error = await client.recv()
    assert error["code"] == "hello_timeout"
    await client.closed()


async def test_healthz_counts_rooms_and_participants(kamar: RunningServer) -> None:
    import aiohttp

    siti = await joined(kamar, "demo", "siti")
    async with aiohttp.ClientSession() as http:
        async with http.get(kamar.base_url + "/healthz") as response:
            assert response.status == 200
            services = kamar.server.app[ws_module.SERVICES_KEY]
            node = services.registry.node
            assert await response.json() == {
                "status": "ok",
                "rooms": 1,
                "participants": 1,
                "node": node,
            }
    await siti.conn.close()
    await eventually(lambda: not kamar.server.app[ws_module.SERVICES_KEY].live_sessions)
