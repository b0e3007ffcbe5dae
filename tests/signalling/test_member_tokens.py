"""A member's join token admits only while they are still a member and still signed in
(issue #13, item 6): checked at hello, and member tokens are short-lived."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import ClientWebSocketResponse

from rooms.meeting import grants
from rooms.meeting.meeting_access import member_grant
from signalling.ws import SERVICES_KEY
from tests.server.api_client import Api
from tests.signalling.test_feed import next_event


async def hello(api: Api, token: str) -> tuple[ClientWebSocketResponse, dict[str, Any]]:
    ws = await api.client.ws_connect("/ws")
    await ws.send_json({"type": "hello", "v": 1, "token": token})
    return ws, await next_event(ws)


async def refused_with(api: Api, token: str) -> str:
    ws, answer = await hello(api, token)
    assert answer["type"] == "error", answer
    closing = await ws.receive()
    assert closing.type.name in ("CLOSE", "CLOSED", "CLOSING")
    await ws.close()
    code: str = answer["code"]
    return code


async def admitted(api: Api, token: str) -> None:
    ws, answer = await hello(api, token)
    assert answer["type"] == "welcome", answer
    await ws.close()


def earlier_token(api: Api, user: dict[str, Any], room: str, seconds_ago: int = 10) -> str:
    """What the API minted for this member a little while ago (an earlier tab, a copied link)."""
    grant = grants.JoinGrant(meeting=room, identity=f"user-{user['id']}", name=user["display_name"])
    secret = api.client.app[SERVICES_KEY].secret
    return grants.mint(grant, secret, int(time.time()) - seconds_ago, grants.MEMBER_TTL)


async def member_room(api: Api) -> tuple[str, str, dict[str, Any], int]:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    room_id = (await api.room(ani))["id"]
    await api.join_by_invite(ani, budi, room_id)
    return ani, budi, budi_user, room_id


async def test_a_member_token_lives_minutes_and_admits_a_member(api: Api) -> None:
    _ani, budi, _user, room_id = await member_room(api)
    answer = await api.call("POST", f"/api/rooms/{room_id}/meeting", budi)
    secret = api.client.app[SERVICES_KEY].secret
    grant = grants.verify(answer["token"], secret, int(time.time()))
    assert grant.issued_at is not None
    assert grants.verify(answer["token"], secret, grant.issued_at + grants.MEMBER_TTL - 1)
    assert grants.MEMBER_TTL <= 10 * 60
    await admitted(api, answer["token"])


async def test_a_removed_member_is_refused_with_not_a_member(api: Api) -> None:
    ani, budi, budi_user, room_id = await member_room(api)
    token = (await api.call("POST", f"/api/rooms/{room_id}/meeting", budi))["token"]
    town_hall = earlier_token(api, budi_user, f"kamar-{room_id}-e7")
    await api.call("DELETE", f"/api/rooms/{room_id}/members/{budi_user['id']}", ani, expect=204)
    assert await refused_with(api, token) == "not_a_member"
    assert await refused_with(api, town_hall) == "not_a_member"


async def test_a_token_minted_before_a_password_change_is_refused(api: Api) -> None:
    _ani, budi, budi_user, room_id = await member_room(api)
    token = earlier_token(api, budi_user, f"kamar-{room_id}")
    answer = await api.call(
        "POST",
        "/api/me/password",
        budi,
        json={"current_password": "rahasia-123", "new_password": "rahasia-456"},
    )
    assert await refused_with(api, token) == "unauthorized"
    fresh = await api.call("POST", f"/api/rooms/{room_id}/meeting", answer["token"])
    await admitted(api, fresh["token"])


async def test_a_token_minted_before_signing_out_everywhere_is_refused(api: Api) -> None:
    _ani, budi, budi_user, room_id = await member_room(api)
    token = earlier_token(api, budi_user, f"kamar-{room_id}")
    await admitted(api, token)
    answer = await api.call("POST", "/api/me/sessions/revoke", budi)
    assert await refused_with(api, token) == "unauthorized"
    fresh = await api.call("POST", f"/api/rooms/{room_id}/meeting", answer["token"])
    await admitted(api, fresh["token"])


async def test_a_member_banned_from_the_meeting_is_refused_even_with_a_fresh_token(
    api: Api,
) -> None:
    ani, budi, _user, room_id = await member_room(api)
    owner_ws, owner_welcome = await hello(
        api, (await api.call("POST", f"/api/rooms/{room_id}/meeting", ani))["token"]
    )
    assert owner_welcome["participant"]["role"] == "moderator"
    budi_ws, budi_welcome = await hello(
        api, (await api.call("POST", f"/api/rooms/{room_id}/meeting", budi))["token"]
    )
    await owner_ws.send_json(
        {
            "type": "remove_participant",
            "participant_id": budi_welcome["participant"]["id"],
            "ban": True,
        }
    )
    assert (await next_event(budi_ws, "bye"))["reason"] == "banned"
    fresh = (await api.call("POST", f"/api/rooms/{room_id}/meeting", budi))["token"]
    assert await refused_with(api, fresh) == "banned"
    await budi_ws.close()
    await owner_ws.close()


async def test_guest_tokens_are_not_taken_for_member_tokens() -> None:
    guest = grants.JoinGrant(meeting="kamar-3", identity="guest-ab12", name="Tamu")
    assert member_grant(guest) is None
    assert member_grant(grants.JoinGrant(meeting="balai", identity="user-3", name="x")) is None
    member = member_grant(grants.JoinGrant(meeting="kamar-3-e9", identity="user-12", name="x"))
    assert member is not None and (member.user_id, member.room_id) == (12, 3)
