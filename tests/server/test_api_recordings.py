"""Town-hall recordings over the API: listed with their event for its members only, played
and downloaded through a signed link that a <video> can use, refused once altered or expired."""

from __future__ import annotations

from pathlib import Path

from rooms.meeting.egress import recordings
from server.config import load_secret
from signalling.ws import SERVICES_KEY
from tests.server.api_client import Api

TOWN_HALL = {
    "title": "Rapat akbar",
    "kind": "town_hall",
    "starts_at": "2030-01-06T19:00",
    "ends_at": "2030-01-06T21:00",
}
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40  # the bytes are served as they are


def _files(directory: Path, event_id: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"event-{event_id}-1700000000.mp4").write_bytes(MP4)
    (directory / f"event-{event_id}-1700009999.mp4.part").write_bytes(b"half")  # in progress
    (directory / f"event-{event_id + 1}-1700000000.mp4").write_bytes(MP4)  # another event


async def test_members_list_and_play_a_town_halls_recordings(api: Api) -> None:
    ani, _ = await api.user("ani")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani, "Serikat"))["id"]
    event = await api.call("POST", f"/api/rooms/{room_id}/events", ani, json=TOWN_HALL, expect=201)
    settings = api.client.app[SERVICES_KEY].egress
    assert settings is not None
    _files(settings.recordings, event["id"])

    listed = await api.call("GET", f"/api/events/{event['id']}/recordings", ani)
    (recording,) = listed["recordings"]
    assert (recording["id"], recording["bytes"]) == (1700000000, len(MP4))
    assert recording["started_at"] == "2023-11-14T22:13:20Z"
    await api.call("GET", f"/api/events/{event['id']}/recordings", eve, expect=404)
    await api.call("GET", f"/api/events/{event['id']}/recordings", None, expect=401)

    # No Authorization header: the signed link is enough, as for a <video> element.
    whole = await api.client.get(recording["url"])
    assert whole.status == 200 and whole.content_type == "video/mp4"
    assert await whole.read() == MP4
    part = await api.client.get(recording["url"], headers={"Range": "bytes=100-199"})
    assert part.status == 206 and await part.read() == MP4[100:200]

    altered = recording["url"].replace("1700000000?", "1700009999?")
    answer = await api.call("GET", altered, expect=403)
    assert answer["error"]["reason"] == "recording_link_expired"
    secret = load_secret(api.client.app[SERVICES_KEY].egress.recordings.parent)
    sig = recordings.signature(secret, event["id"], 1700000000, 1000)
    expired = f"/api/events/{event['id']}/recordings/1700000000?expires=1000&sig={sig}"
    assert (await api.call("GET", expired, expect=403))["error"]["field"] == "sig"
    sig = recordings.signature(secret, event["id"], 42, 2**40)
    gone = f"/api/events/{event['id']}/recordings/42?expires={2**40}&sig={sig}"
    assert (await api.call("GET", gone, expect=404))["error"]["reason"] == "recording_not_found"


def _live_files(directory: Path, segments: int = 3) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    listed = "".join(f"#EXTINF:2.0,\nseg-{n:05d}.ts\n" for n in range(1, segments + 1))
    (directory / "index.m3u8").write_text("#EXTM3U\n" + listed)
    for n in range(1, segments + 1):
        (directory / f"seg-{n:05d}.ts").write_bytes(b"\x47" + bytes(187))
    (directory / "notes.txt").write_text("not part of the stream")


async def test_members_find_a_live_town_hall_and_its_signed_hls_files(api: Api) -> None:
    ani, _ = await api.user("ani")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani, "Serikat"))["id"]
    event = await api.call("POST", f"/api/rooms/{room_id}/events", ani, json=TOWN_HALL, expect=201)
    settings = api.client.app[SERVICES_KEY].egress
    assert settings is not None
    assert await api.call("GET", f"/api/events/{event['id']}/live", ani) == {
        "live": False,
        "url": None,
    }
    await api.call("GET", f"/api/events/{event['id']}/live", eve, expect=404)
    # Two segments are not enough for a player to start from (Chromium fails): not live yet.
    _live_files(settings.live_root / f"event-{event['id']}", segments=2)
    answer = await api.call("GET", f"/api/events/{event['id']}/live", ani)
    assert answer == {"live": False, "url": None}
    _live_files(settings.live_root / f"event-{event['id']}")
    answer = await api.call("GET", f"/api/events/{event['id']}/live", ani)
    assert answer["live"] is True and answer["url"].endswith("/index.m3u8")
    playlist = await api.client.get(answer["url"])  # no Authorization: a <video> fetches it
    assert playlist.status == 200
    assert playlist.content_type == "application/vnd.apple.mpegurl"
    assert playlist.headers["Cache-Control"] == "no-cache"
    segment_url = answer["url"].replace("index.m3u8", "seg-00001.ts")
    segment = await api.client.get(segment_url)
    assert segment.status == 200 and segment.content_type == "video/mp2t"
    await api.call("GET", answer["url"].replace("index.m3u8", "notes.txt"), expect=404)
    await api.call("GET", answer["url"].replace("index.m3u8", "..%2Fsecret.key"), expect=404)
    forged = answer["url"].replace(f"/{event['id']}/", f"/{event['id'] + 1}/")
    assert (await api.call("GET", forged, expect=403))["error"]["reason"] == (
        "recording_link_expired"
    )


async def test_the_rooms_moderators_delete_a_recording_and_members_cannot(api: Api) -> None:
    ani, _ = await api.user("ani")  # owner of the room, organiser of the event
    budi, _ = await api.user("budi")  # a member
    eve, _ = await api.user("eve")  # not in the room
    room_id = (await api.room(ani, "Serikat"))["id"]
    await api.join_by_invite(ani, budi, room_id)
    event = await api.call("POST", f"/api/rooms/{room_id}/events", ani, json=TOWN_HALL, expect=201)
    settings = api.client.app[SERVICES_KEY].egress
    assert settings is not None
    _files(settings.recordings, event["id"])
    path = f"/api/events/{event['id']}/recordings/1700000000"

    assert (await api.call("GET", f"/api/events/{event['id']}/recordings", budi))[
        "can_delete"
    ] is False
    refused = await api.call("DELETE", path, budi, expect=403)
    assert refused["error"]["reason"] == "recording_delete_forbidden"
    await api.call("DELETE", path, eve, expect=404)
    await api.call("DELETE", path, None, expect=401)
    assert (settings.recordings / f"event-{event['id']}-1700000000.mp4").is_file()

    listed = await api.call("GET", f"/api/events/{event['id']}/recordings", ani)
    assert listed["can_delete"] is True
    await api.call("DELETE", path, ani, expect=204)
    assert (await api.call("GET", f"/api/events/{event['id']}/recordings", ani))["recordings"] == []
    gone = await api.call("DELETE", path, ani, expect=404)
    assert gone["error"]["reason"] == "recording_not_found"
    await api.call("DELETE", f"/api/events/{event['id']}/recordings/1700009999", ani, expect=404)
    assert (settings.recordings / f"event-{event['id']}-1700009999.mp4.part").is_file()
    assert (settings.recordings / f"event-{event['id'] + 1}-1700000000.mp4").is_file()
