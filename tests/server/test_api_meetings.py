"""Join tokens from membership: the room's everyday meeting and town halls."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from rooms.errors import Conflict
from rooms.meeting import grants
from server.api.rooms import check_town_hall_open
from server.app import CONFIG_KEY
from server.config import load_secret
from tests.conftest import eventually
from tests.server.api_client import Api


def _in_minutes(minutes: int) -> str:
    return datetime.fromtimestamp(time.time() + minutes * 60, tz=UTC).isoformat()


TOWN_HALL = {
    "title": "Rapat akbar",
    "kind": "town_hall",
    "starts_at": _in_minutes(10),
    "ends_at": _in_minutes(130),
}


def grant_of(api: Api, answer: dict[str, str]) -> grants.JoinGrant:
    secret = load_secret(api.client.app[CONFIG_KEY].data_dir)
    return grants.verify(answer["token"], secret, int(time.time()))


async def test_room_moderators_moderate_and_members_speak_in_the_everyday_meeting(
    api: Api,
) -> None:
    ani, ani_user = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    owner = await api.call("POST", f"/api/rooms/{room['id']}/meeting", ani)
    member = await api.call("POST", f"/api/rooms/{room['id']}/meeting", budi)
    assert (owner["role"], member["role"]) == ("moderator", "speaker")
    assert owner["url"] == f"/r/kamar-{room['id']}"
    assert owner["title"] == member["title"] == room["name"]  # shown instead of kamar-<id>
    grant = grant_of(api, owner)
    assert (grant.meeting, grant.identity, grant.role, grant.event_id) == (
        f"kamar-{room['id']}",
        f"user-{ani_user['id']}",
        "moderator",
        None,
    )


async def test_a_town_hall_has_its_own_meeting_where_members_are_the_audience(
    api: Api,
) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    event = await api.call(
        "POST", f"/api/rooms/{room['id']}/events", ani, json=TOWN_HALL, expect=201
    )
    expected_room = f"kamar-{room['id']}-e{event['id']}"
    assert event["meeting_url"] == f"/r/{expected_room}"
    audience = await api.call("POST", f"/api/events/{event['id']}/meeting", budi)
    organiser = await api.call("POST", f"/api/events/{event['id']}/meeting", ani)
    assert (audience["role"], organiser["role"]) == ("audience", "moderator")
    assert audience["title"] == TOWN_HALL["title"]
    grant = grant_of(api, audience)
    assert (grant.meeting, grant.role, grant.can_publish, grant.event_id) == (
        expected_room,
        "audience",
        False,
        event["id"],
    )


async def test_an_offline_event_has_no_meeting_and_outsiders_get_no_token(api: Api) -> None:
    ani, _ = await api.user("ani")
    stranger, _ = await api.user("orang")
    room = await api.room(ani)
    offline = await api.call(
        "POST",
        f"/api/rooms/{room['id']}/events",
        ani,
        json={**TOWN_HALL, "kind": "offline", "location": "Balai RW 05"},
        expect=201,
    )
    refused = await api.call("POST", f"/api/events/{offline['id']}/meeting", ani, expect=409)
    assert refused["error"]["field"] == "event_id"
    await api.call("POST", f"/api/events/{offline['id']}/meeting", stranger, expect=404)
    await api.call("POST", f"/api/rooms/{room['id']}/meeting", stranger, expect=404)


async def test_a_town_halls_questions_and_comments_are_kept_with_its_event(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    event = await api.call(
        "POST", f"/api/rooms/{room['id']}/events", ani, json=TOWN_HALL, expect=201
    )
    sockets = []
    for token in (ani, budi):
        join = await api.call("POST", f"/api/events/{event['id']}/meeting", token)
        ws = await api.client.ws_connect("/ws")
        await ws.send_json({"type": "hello", "v": 1, "token": join["token"]})
        sockets.append(ws)
    moderator, member = sockets

    async def next_of(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            event: dict[str, Any] = await ws.receive_json(timeout=5)
            if event["type"] == kind:
                return event

    await next_of(member, "welcome")
    await member.send_json({"type": "ask", "text": "Kapan THR dibayar?"})
    await member.send_json({"type": "ask", "text": "iklan"})
    questions = [(await next_of(moderator, "question"))["question"] for _ in range(2)]
    await moderator.send_json({"type": "vote", "question_id": questions[0]["id"]})
    await moderator.send_json({"type": "hide_question", "question_id": questions[1]["id"]})
    await member.send_json({"type": "comment", "text": "Hidup buruh!"})
    await next_of(moderator, "comment")
    for ws in sockets:
        await ws.close()

    record = f"/api/events/{event['id']}/record"

    async def stored() -> bool:  # writes follow the broadcasts: wait for the last one
        kept = await api.call("GET", record, ani)
        return bool(kept["comments"]) and [q["hidden"] for q in kept["questions"]] == [
            False,
            True,
        ]

    await eventually(stored, what="the town hall record")
    seen_by_member = await api.call("GET", record, budi)
    assert [(q["text"], q["votes"]) for q in seen_by_member["questions"]] == [
        ("Kapan THR dibayar?", 1)
    ]
    assert [(c["name"], c["text"]) for c in seen_by_member["comments"]] == [
        ("Budi", "Hidup buruh!")
    ]
    seen_by_owner = await api.call("GET", f"/api/events/{event['id']}/record", ani)
    assert [q["hidden"] for q in seen_by_owner["questions"]] == [False, True]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (-60, 60, None),  # under way
        (25, 90, None),  # opens half an hour early
        (45, 90, "opens at"),
        (-300, -130, "is over"),
        (-300, -110, None),  # two hours' grace after the planned end
    ],
)
def test_a_town_hall_opens_to_its_audience_at_its_time(
    start: int, end: int, expected: str | None
) -> None:
    now = 1_795_000_000_000
    minute = 60_000
    try:
        check_town_hall_open(now + start * minute, now + end * minute, "Asia/Jakarta", now)
    except Conflict as refused:
        assert expected is not None and expected in refused.message
        if expected == "opens at":  # 45 minutes to go, less the half hour it opens early
            assert refused.retry_after == 15 * 60
            assert refused.reason == "town_hall_not_open"
    else:
        assert expected is None


async def test_moderators_prepare_a_town_hall_before_it_opens(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    later = {**TOWN_HALL, "starts_at": _in_minutes(120), "ends_at": _in_minutes(180)}
    event = await api.call("POST", f"/api/rooms/{room['id']}/events", ani, json=later, expect=201)
    await api.call("POST", f"/api/events/{event['id']}/meeting", ani)
    refused = await api.call("POST", f"/api/events/{event['id']}/meeting", budi, expect=409)
    assert "opens at" in refused["error"]["message"]


async def test_a_meeting_by_its_name_gives_the_title_and_the_way_back(api: Api) -> None:
    """The meeting page asks by the name in its address and learns the rest from the answer."""
    ani, _ = await api.user("ani")
    stranger, _ = await api.user("orang")
    room = await api.room(ani)
    event = await api.call(
        "POST", f"/api/rooms/{room['id']}/events", ani, json=TOWN_HALL, expect=201
    )
    everyday = await api.call("POST", f"/api/meetings/kamar-{room['id']}/token", ani)
    assert (everyday["room"], everyday["title"], everyday["back"]) == (
        f"kamar-{room['id']}",
        room["name"],
        f"/#/rooms/{room['id']}/chat",
    )
    town_hall = await api.call(
        "POST", f"/api/meetings/kamar-{room['id']}-e{event['id']}/token", ani
    )
    assert (town_hall["title"], town_hall["back"], town_hall["role"]) == (
        TOWN_HALL["title"],
        f"/#/rooms/{room['id']}/agenda",
        "moderator",
    )
    assert grant_of(api, town_hall).event_id == event["id"]
    guest = await api.call("POST", "/api/meetings/demo/token", ani, expect=404)
    assert guest["error"]["reason"] == "not_a_community_meeting"
    # An event named under another room's number is no meeting at all.
    await api.call(
        "POST", f"/api/meetings/kamar-{room['id'] + 1}-e{event['id']}/token", ani, expect=404
    )
    await api.call("POST", f"/api/meetings/kamar-{room['id']}/token", stranger, expect=404)
    await api.call("POST", f"/api/meetings/kamar-{room['id']}/token", None, expect=401)


async def test_the_room_and_event_routes_name_the_way_back_too(api: Api) -> None:
    ani, _ = await api.user("ani")
    room = await api.room(ani)
    answer = await api.call("POST", f"/api/rooms/{room['id']}/meeting", ani)
    assert answer["back"] == f"/#/rooms/{room['id']}/chat"
