"""Direct messages and polls over HTTP on SQLite and PostgreSQL: the routes of docs/api.md, with
their refusals naming the reason, and the events the feed carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.server.api_client import Api


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


async def test_a_direct_conversation_is_opened_written_blocked_and_reported(api: Api) -> None:
    siti, siti_user = await api.user("siti")
    budi, budi_user = await api.user("budi")
    asep, asep_user = await api.user("asep")
    room = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    card = await api.call("POST", "/api/direct", siti, json={"user_id": budi_user["id"]})
    assert card["kind"] == "direct" and card["name"] == "Budi"
    path = f"/api/rooms/{card['id']}/messages"
    await api.call("POST", path, budi, json={"text": "Halo Siti"}, expect=201)
    refused = await api.call(
        "POST", "/api/direct", siti, json={"user_id": asep_user["id"]}, expect=403
    )
    assert refused["error"]["reason"] == "dm_no_shared_room"
    meeting = await api.call("POST", f"/api/rooms/{card['id']}/meeting", budi)
    assert meeting["title"] == "Siti"  # a call with Siti, under her name
    await api.call("PUT", f"/api/direct/blocks/{budi_user['id']}", siti, expect=204)
    no_call = await api.call("POST", f"/api/rooms/{card['id']}/meeting", budi, expect=403)
    assert no_call["error"]["reason"] == "dm_blocked"
    blocked = await api.call("POST", path, budi, json={"text": "Halo?"}, expect=403)
    assert blocked["error"]["reason"] == "dm_blocked"
    assert [u["id"] for u in (await api.call("GET", "/api/direct/blocks", siti))["blocked"]] == [
        budi_user["id"]
    ]
    rooms = (await api.call("GET", "/api/rooms", siti))["rooms"]
    assert [r["id"] for r in rooms] == [room["id"]]
    report = f"/api/direct/{card['id']}/report"
    bad = await api.call("POST", report, siti, json={"reason": ""}, expect=400)
    assert bad["error"]["reason"] == "report_reason"
    await api.call("POST", report, siti, json={"reason": "Mengganggu"}, expect=204)
    await api.call("GET", "/api/direct/reports", siti, expect=403)
    await api.call("DELETE", f"/api/direct/blocks/{budi_user['id']}", siti, expect=204)
    await api.call("POST", path, budi, json={"text": "Maaf"}, expect=201)
    leave = await api.call(
        "DELETE", f"/api/rooms/{card['id']}/members/{siti_user['id']}", siti, expect=409
    )
    assert leave["error"]["reason"] == "dm_cannot_leave"
    assert asep


async def test_a_poll_is_created_voted_on_and_refuses_bad_input(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    room = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    polls = f"/api/rooms/{room['id']}/polls"
    body = {
        "question": "Rapat hari apa?",
        "options": ["Sabtu", "Minggu"],
        "closes_at": in_an_hour(),
    }
    poll = await api.call("POST", polls, siti, json=body, expect=201)
    vote = f"/api/polls/{poll['id']}/vote"
    answer = await api.call("POST", vote, budi, json={"choices": [1]})
    assert answer["my_choices"] == [1] and [o["votes"] for o in answer["options"]] == [0, 1]
    two = await api.call("POST", vote, budi, json={"choices": [0, 1]}, expect=400)
    assert two["error"]["reason"] == "poll_one_choice"
    for changes, reason in [
        ({"options": ["Sabtu"]}, "poll_options"),
        ({"closes_at": "besok"}, "time_format"),
        ({"closes_at": "2020-01-01T00:00:00Z"}, "poll_closes_soon"),
    ]:
        bad = await api.call("POST", polls, siti, json={**body, **changes}, expect=400)
        assert bad["error"]["reason"] == reason
    closed = await api.call("POST", f"/api/polls/{poll['id']}/close", budi, expect=403)
    assert closed["error"]["reason"] == "poll_not_author"
    await api.call("POST", f"/api/polls/{poll['id']}/close", siti)
    late = await api.call("POST", vote, siti, json={"choices": [0]}, expect=409)
    assert late["error"]["reason"] == "poll_closed"
    [listed] = (await api.call("GET", polls, budi))["polls"]
    assert listed["closed"] and listed["my_choices"] == [1]


async def test_search_finds_inflected_words_in_ones_rooms_and_names_bad_queries(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    room = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    other = await api.room(siti)
    path = f"/api/rooms/{room['id']}/messages"
    await api.call("POST", path, siti, json={"text": "Beras sudah dibeli"}, expect=201)
    await api.call(
        "POST", f"/api/rooms/{other['id']}/messages", siti, json={"text": "beli"}, expect=201
    )
    found = await api.call("GET", "/api/search?q=membeli", budi)
    assert [r["message"]["text"] for r in found["results"]] == ["Beras sudah dibeli"]
    assert found["results"][0]["room"]["id"] == room["id"] and found["next_before"] is None
    mine = await api.call("GET", f"/api/search?q=beli&room_id={other['id']}", siti)
    assert [r["message"]["text"] for r in mine["results"]] == ["beli"]
    empty = await api.call("GET", "/api/search?q=%20", budi, expect=400)
    assert empty["error"]["reason"] == "search_empty"
    hidden = await api.call("GET", f"/api/search?q=beli&room_id={other['id']}", budi, expect=404)
    assert hidden["error"]["reason"] == "room_not_found"
    await api.call("GET", "/api/search", budi, expect=400)


async def test_the_readers_of_a_message_are_listed_for_members_only(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, budi_user = await api.user("budi")
    asep, _ = await api.user("asep")
    room = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    path = f"/api/rooms/{room['id']}/messages"
    message = await api.call("POST", path, siti, json={"text": "Rapat Sabtu"}, expect=201)
    readers = f"/api/messages/{message['id']}/readers"
    assert await api.call("GET", readers, siti) == {"readers": [], "count": 0}
    read = {"message_id": message["id"]}
    await api.call("POST", f"/api/rooms/{room['id']}/read", budi, json=read)
    seen = await api.call("GET", readers, siti)
    assert [r["user"]["id"] for r in seen["readers"]] == [budi_user["id"]]
    assert seen["readers"][0]["read_at"].endswith("Z")
    await api.call("GET", readers, asep, expect=404)
    await api.call("GET", "/api/messages/999999/readers", siti, expect=404)


async def test_a_message_is_forwarded_to_another_room_of_ones_own(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    room = await api.room(siti)
    other = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    path = f"/api/rooms/{room['id']}/messages"
    message = await api.call("POST", path, budi, json={"text": "Aksi Senin"}, expect=201)
    forward = f"/api/messages/{message['id']}/forward"
    copy = await api.call("POST", forward, siti, json={"room_id": other["id"]}, expect=201)
    assert (copy["room_id"], copy["text"], copy["forwarded"]) == (other["id"], "Aksi Senin", True)
    refused = await api.call("POST", forward, budi, json={"room_id": other["id"]}, expect=404)
    assert refused["error"]["reason"] == "room_not_found"
    await api.call("POST", forward, siti, json={}, expect=400)
    edit = f"/api/messages/{copy['id']}"
    changed = await api.call("PATCH", edit, siti, json={"text": "Aksi Selasa"}, expect=400)
    assert changed["error"]["reason"] == "forwarded_not_editable"


async def test_notifications_take_a_subscription_and_a_mute(api: Api) -> None:
    siti, _ = await api.user("siti")
    room = await api.room(siti)
    first = await api.call("GET", "/api/push", siti)
    assert len(first["public_key"]) == 87 and first["muted_rooms"] == []
    keys = {"p256dh": "BA" + "A" * 85, "auth": "A" * 22}
    endpoint = "https://push.example.org/send/abc"
    await api.call(
        "POST", "/api/push/subscriptions", siti, json={"endpoint": endpoint, **keys}, expect=204
    )
    inside = {"endpoint": "https://192.168.1.5/x", **keys}
    refused = await api.call("POST", "/api/push/subscriptions", siti, json=inside, expect=400)
    assert refused["error"]["reason"] == "push_subscription"
    remove = {"endpoint": endpoint}
    await api.call("POST", "/api/push/subscriptions/remove", siti, json=remove, expect=204)
    muted = await api.call("PUT", f"/api/rooms/{room['id']}/mute", siti)
    assert muted == {"room_id": room["id"], "muted": True}
    assert (await api.call("GET", "/api/push", siti))["muted_rooms"] == [room["id"]]
    await api.call("DELETE", f"/api/rooms/{room['id']}/mute", siti)
    assert (await api.call("GET", "/api/push", siti))["muted_rooms"] == []
