"""The community feed for direct conversations and polls: a new conversation is followed by
both members' sockets, typing does not cross a block, and votes reach the room as `poll`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.server.api_client import Api
from tests.signalling.test_feed import feed, next_event


async def test_a_new_conversation_is_followed_and_typing_stops_at_a_block(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    budi, budi_user = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    budi_ws = await feed(api, budi)
    card = await api.call("POST", "/api/direct", ani, json={"user_id": budi_user["id"]})
    joined = await next_event(budi_ws, "room_member")
    assert joined["room_id"] == card["id"]
    ani_ws = await feed(api, ani)
    await ani_ws.send_json({"type": "typing", "room_id": card["id"]})
    typing = await next_event(budi_ws, "typing")
    assert typing["room_id"] == card["id"] and typing["user"]["id"] == ani_user["id"]
    await api.call("PUT", f"/api/direct/blocks/{ani_user['id']}", budi, expect=204)
    again = await feed(api, ani)  # a fresh socket: its typing is not held back by the last one's
    await again.send_json({"type": "typing", "room_id": card["id"]})
    await again.send_json({"type": "ping", "id": 1})
    assert (await next_event(again))["type"] == "pong"  # the typing was handled before it
    await budi_ws.send_json({"type": "ping", "id": 2})
    assert (await next_event(budi_ws))["type"] == "pong"  # and nothing reached Budi
    for ws in (ani_ws, again, budi_ws):
        await ws.close()


async def test_a_vote_reaches_every_member_as_the_whole_poll(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    ani_ws = await feed(api, ani)
    closes = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"question": "Kopi atau teh?", "options": ["Kopi", "Teh"], "closes_at": closes}
    poll = await api.call("POST", f"/api/rooms/{room['id']}/polls", ani, json=body, expect=201)
    created = await next_event(ani_ws, "poll")
    assert created["poll"]["id"] == poll["id"] and "my_choices" not in created["poll"]
    await api.call("POST", f"/api/polls/{poll['id']}/vote", budi, json={"choices": [1]})
    voted = await next_event(ani_ws, "poll")
    assert [o["votes"] for o in voted["poll"]["options"]] == [0, 1]
    assert voted["poll"]["options"][1]["voters"][0]["display_name"] == "Budi"
    await ani_ws.close()
