"""The community feed over /ws: auth, then chat, typing, receipts and membership events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientWebSocketResponse

from tests.server.api_client import Api


async def feed(api: Api, token: str) -> ClientWebSocketResponse:
    ws = await api.client.ws_connect("/ws")
    await ws.send_json({"type": "auth", "token": token})
    authed = await next_event(ws)
    assert authed["type"] == "authed", authed
    return ws


async def next_event(ws: ClientWebSocketResponse, kind: str | None = None) -> dict[str, Any]:
    """The next event (of `kind`, skipping others) within 5 seconds."""
    async with asyncio.timeout(5):
        while True:
            message = await ws.receive()
            assert message.type.name == "TEXT", message
            event: dict[str, Any] = json.loads(message.data)
            if kind is None or event["type"] == kind:
                return event


async def test_a_member_receives_a_message_posted_over_http(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    ws = await feed(api, budi)
    sent = await api.call(
        "POST", f"/api/rooms/{room['id']}/messages", ani, json={"text": "rapat jam 7"}, expect=201
    )
    event = await next_event(ws, "chat_message")
    assert event["room_id"] == room["id"]
    assert event["message"] == sent
    await ws.close()


async def test_auth_lists_the_rooms_followed_and_refuses_a_bad_token(api: Api) -> None:
    ani, user = await api.user("ani")
    room = await api.room(ani)
    ws = await api.client.ws_connect("/ws")
    await ws.send_json({"type": "auth", "token": ani})
    authed = await next_event(ws)
    assert authed == {"type": "authed", "user": authed["user"], "rooms": [room["id"]]}
    assert authed["user"]["id"] == user["id"]
    await ws.close()
    bad = await api.client.ws_connect("/ws")
    await bad.send_json({"type": "auth", "token": "not-a-token"})
    error = await next_event(bad)
    assert error["type"] == "error" and error["code"] == "unauthorized"
    closing = await bad.receive()
    assert closing.type.name in ("CLOSE", "CLOSED", "CLOSING")


async def test_typing_reaches_others_but_not_the_typist_and_is_rate_limited(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    ani_ws, budi_ws = await feed(api, ani), await feed(api, budi)
    for _ in range(3):
        await ani_ws.send_json({"type": "typing", "room_id": room["id"]})
    event = await next_event(budi_ws, "typing")
    assert event["user"] == {"id": ani_user["id"], "display_name": "Ani"}
    # Only the first of three quick typing messages is relayed: a ping answered after them
    # proves nothing else was queued for Budi in between.
    await budi_ws.send_json({"type": "ping", "id": 1})
    assert (await next_event(budi_ws))["type"] == "pong"
    await ani_ws.send_json({"type": "ping", "id": 2})
    assert (await next_event(ani_ws))["type"] == "pong"  # no echo of her own typing
    await ani_ws.close()
    await budi_ws.close()


async def test_a_read_over_the_websocket_answers_unread_and_tells_the_room(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    path = f"/api/rooms/{room['id']}/messages"
    first = await api.call("POST", path, ani, json={"text": "satu"}, expect=201)
    await api.call("POST", path, ani, json={"text": "dua"}, expect=201)
    ani_ws, budi_ws = await feed(api, ani), await feed(api, budi)
    await budi_ws.send_json({"type": "read", "room_id": room["id"], "message_id": first["id"]})
    assert await next_event(budi_ws, "unread") == {
        "type": "unread",
        "room_id": room["id"],
        "unread": 1,
    }
    receipt = await next_event(ani_ws, "read_receipt")
    assert receipt["user_id"] == budi_user["id"] and receipt["message_id"] == first["id"]
    await ani_ws.close()
    await budi_ws.close()


async def test_joining_a_room_starts_its_events_and_leaving_stops_them(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    room = await api.room(ani)
    budi_ws = await feed(api, budi)
    await api.join_by_invite(ani, budi, room["id"])
    joined = await next_event(budi_ws, "room_member")
    assert joined["room_id"] == room["id"] and joined["role"] == "member"
    path = f"/api/rooms/{room['id']}/messages"
    await api.call("POST", path, ani, json={"text": "selamat datang"}, expect=201)
    assert (await next_event(budi_ws, "chat_message"))["message"]["text"] == "selamat datang"
    await api.call("DELETE", f"/api/rooms/{room['id']}/members/{budi_user['id']}", budi, expect=204)
    left = await next_event(budi_ws, "room_member")
    assert left["role"] is None
    await api.call("POST", path, ani, json={"text": "rahasia"}, expect=201)
    await budi_ws.send_json({"type": "ping", "id": "after"})
    assert (await next_event(budi_ws)) == {"type": "pong", "id": "after"}
    await budi_ws.close()


async def test_typing_for_a_room_one_is_not_in_is_refused(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    ws = await feed(api, budi)
    await ws.send_json({"type": "typing", "room_id": room["id"]})
    error = await next_event(ws, "error")
    assert error["code"] == "not_found" and error["in_reply_to"] == "typing"
    await ws.close()


async def test_meeting_messages_need_hello_even_after_auth(api: Api) -> None:
    ani, _ = await api.user("ani")
    ws = await feed(api, ani)
    await ws.send_json({"type": "mute", "kind": "audio", "muted": True})
    error = await next_event(ws, "error")
    assert error["code"] == "bad_state" and error["in_reply_to"] == "mute"
    await ws.close()
