"""An announcement's photos and event through the HTTP API, on SQLite and PostgreSQL: uploaded
as chat attachments, sent with the announcement, shown in each room; a private announcement's
photo is not served without sign-in, a public one's is, with the page's og:image; bad event
ids and too many attachments are refused with their reasons."""

from __future__ import annotations

from typing import Any

import pytest

from server.public_html import event_when
from tests.rooms.test_store import png
from tests.server.api_client import Api
from tests.server.test_api_uploads import upload

EVENT = {
    "title": "Rapat akbar",
    "kind": "offline",
    "starts_at": "2030-05-01T07:00",
    "ends_at": "2030-05-01T10:00",
    "location": "Alun-alun",
}


async def announce(api: Api, token: str, body: dict[str, Any], expect: int = 201) -> Any:
    base = {"title": "Aksi 1 Mei", "text": "Kumpul jam 7."}
    return await api.call("POST", "/api/announcements", token, json={**base, **body}, expect=expect)


async def test_a_photo_and_an_event_go_to_two_rooms_and_public_only_when_public(
    api: Api,
) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    rooms = [(await api.room(siti, name))["id"] for name in ("PUK A", "PUK B")]
    await api.join_by_invite(siti, budi, rooms[1])
    event = await api.call("POST", f"/api/rooms/{rooms[0]}/events", siti, json=EVENT, expect=201)
    shots = [await upload(api, siti, rooms[0], png(), f"{n}.png", 201) for n in range(2)]
    body = {"room_ids": rooms, "event_id": event["id"]}
    private = await announce(api, siti, {**body, "attachment_ids": [shots[0]["id"]]})
    public = await announce(api, siti, {**body, "attachment_ids": [shots[1]["id"]], "public": True})
    [pinned, _older] = (await api.call("GET", f"/api/rooms/{rooms[1]}/announcements", budi))[
        "announcements"
    ]
    assert pinned["id"] == public["id"] and pinned["event"]["title"] == "Rapat akbar"
    assert [a["id"] for a in pinned["attachments"]] == [shots[1]["id"]]
    history = await api.call("GET", f"/api/rooms/{rooms[1]}/messages", budi)
    assert [m["attachments"][0]["id"] for m in history["messages"][-2:]] == [
        shots[0]["id"],
        shots[1]["id"],
    ]
    photo_path = f"/a/{private['id']}/photos/{shots[0]['id']}"
    for path in (
        photo_path,
        photo_path + "/thumbnail",
        f"/a/{public['id']}/photos/{shots[0]['id']}",
    ):
        assert (await api.client.get(path)).status == 404
    # Budi, in room B only, opens the photo uploaded to room A.
    assert (
        await api.client.get(shots[0]["url"], headers={"Authorization": f"Bearer {budi}"})
    ).status == 200
    served = await api.client.get(f"/a/{public['id']}/photos/{shots[1]['id']}")
    assert served.status == 200 and served.headers["Content-Type"] == "image/png"
    page = await api.call("GET", f"/a/{public['id']}")
    assert 'property="og:image" content="http://127.0.0.1:' in page
    assert f'/a/{public["id"]}/photos/{shots[1]["id"]}"' in page
    assert "Rapat akbar" in page and "2030-05-01 07:00–10:00 WIB" in page


async def test_bad_event_ids_and_too_many_attachments_are_refused_with_reasons(api: Api) -> None:
    siti, _ = await api.user("siti")
    room = (await api.room(siti))["id"]
    shot = await upload(api, siti, room, png(), "a.png", 201)
    for body, reason in [
        ({"event_id": 424242}, "announcement_event"),
        ({"attachment_ids": list(range(1, 12))}, "too_many_attachments"),
        ({"attachment_ids": [shot["id"], 999]}, "announcement_attachments"),
    ]:
        answer = await announce(api, siti, {"room_ids": [room], **body}, expect=400)
        assert answer["error"]["reason"] == reason
    refused = await announce(api, siti, {"room_ids": [room], "event_id": "satu"}, expect=400)
    assert refused["error"]["field"] == "event_id"
    assert (await api.call("GET", f"/api/rooms/{room}/announcements", siti))["announcements"] == []


@pytest.mark.parametrize(
    ("starts", "ends", "shown"),
    [
        ("2030-05-01T07:00:00+07:00", "2030-05-01T10:00:00+07:00", "2030-05-01 07:00–10:00 WIB"),
        (
            "2030-05-01T19:00:00+08:00",
            "2030-05-02T01:00:00+08:00",
            "2030-05-01 19:00–2030-05-02 01:00 WITA",
        ),
        ("2030-05-01T09:00:00+09:00", "2030-05-01T10:00:00+09:00", "2030-05-01 09:00–10:00 WIT"),
        (
            "2030-05-01T09:00:00+01:00",
            "2030-05-01T10:00:00+01:00",
            "2030-05-01 09:00–10:00 UTC+01:00",
        ),
    ],
)
def test_the_public_page_says_an_events_time_as_its_organisers_zone_names_it(
    starts: str, ends: str, shown: str
) -> None:
    assert event_when(starts, ends) == shown
