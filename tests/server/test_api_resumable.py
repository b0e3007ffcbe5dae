"""Resumable uploads over HTTP (tus 1.0, server/api/uploads.py): a video sent in pieces
becomes the same attachment a plain upload makes, through the same checks; wrong offsets,
sizes, types, headers and callers are refused with the API's error shape."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image

from rooms.community.attachments import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES
from rooms.community.resumable import MAX_OPEN_UPLOADS
from tests.rooms.test_photo_metadata import GPS_IFD, exif_with_location, photo
from tests.rooms.test_video_poster import mp4
from tests.server.api_client import Api

TUS = {"Tus-Resumable": "1.0.0"}
PIECE = {**TUS, "Content-Type": "application/offset+octet-stream"}


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def create(api: Api, token: str, room_id: int, length: int, name: str = "rapat.mp4") -> Any:
    metadata = "filename " + base64.b64encode(name.encode()).decode()
    headers = auth(token, **TUS, **{"Upload-Length": str(length), "Upload-Metadata": metadata})
    return await api.client.post(f"/api/rooms/{room_id}/uploads", headers=headers)


async def start(api: Api, token: str, room_id: int, length: int, name: str = "rapat.mp4") -> str:
    response = await create(api, token, room_id, length, name)
    assert response.status == 201, await response.text()
    location: str = response.headers["Location"]
    assert location.startswith("/api/uploads/")
    return location


async def send(api: Api, token: str, location: str, offset: int, data: bytes) -> Any:
    headers = auth(token, **PIECE, **{"Upload-Offset": str(offset)})
    return await api.client.patch(location, headers=headers, data=data)


async def offset_of(api: Api, token: str, location: str) -> int:
    response = await api.client.head(location, headers=auth(token, **TUS))
    assert response.status == 200
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Cache-Control"] == "no-store"
    return int(response.headers["Upload-Offset"])


async def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.headers["Tus-Resumable"] == "1.0.0"
    error: dict[str, Any] = (await response.json())["error"]
    return error


async def test_a_video_sent_in_pieces_becomes_an_attachment_for_a_message(
    api: Api, tmp_path: Path
) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    video = mp4(tmp_path / "source.mp4", frames=10)
    discovery = await api.client.options(f"/api/rooms/{room_id}/uploads")
    assert discovery.headers["Tus-Version"] == "1.0.0"
    assert discovery.headers["Tus-Extension"] == "creation,expiration,termination"
    assert int(discovery.headers["Tus-Max-Size"]) == MAX_VIDEO_BYTES
    created = await create(api, ani, room_id, len(video))
    assert created.status == 201 and created.headers["Upload-Expires"].endswith(" GMT")
    location = created.headers["Location"]
    assert await offset_of(api, ani, location) == 0
    half = len(video) // 2
    first = await send(api, ani, location, 0, video[:half])
    assert first.status == 204 and first.headers["Upload-Offset"] == str(half)
    assert await offset_of(api, ani, location) == half
    unfinished = await api.call("GET", location, ani)
    assert unfinished["attachment"] is None and unfinished["offset"] == half
    last = await send(api, ani, location, half, video[half:])
    assert last.status == 204 and last.headers["Upload-Offset"] == str(len(video))
    attachment = (await api.call("GET", location, ani))["attachment"]
    assert (attachment["kind"], attachment["mime"], attachment["name"]) == (
        "video",
        "video/mp4",
        "rapat.mp4",
    )
    assert (attachment["width"], attachment["size"]) == (640, len(video))
    assert attachment["thumbnail_url"]  # the poster a plain upload gets
    # The last piece again (its answer was lost): the same finished upload, nothing doubled.
    again = await send(api, ani, location, half, video[half:])
    assert (await error_of(again, 409))["reason"] == "upload_offset_mismatch"
    repeat = await send(api, ani, location, len(video), b"")
    assert repeat.status == 204
    message = await api.call(
        "POST",
        f"/api/rooms/{room_id}/messages",
        ani,
        json={"text": "rekaman rapat", "attachments": [attachment["id"]]},
        expect=201,
    )
    assert [a["id"] for a in message["attachments"]] == [attachment["id"]]
    stored = await api.client.get(attachment["url"], headers=auth(ani))
    assert await stored.read() == video
    assert not list((tmp_path / "uploads" / "resumable").iterdir())  # moved into place


async def test_a_photo_sent_in_pieces_loses_its_location_like_a_plain_upload(
    api: Api,
) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    original = photo("JPEG", exif_with_location(orientation=6))
    location = await start(api, ani, room_id, len(original), "rumah.jpg")
    assert (await send(api, ani, location, 0, original)).status == 204
    attachment = (await api.call("GET", location, ani))["attachment"]
    stored = await (await api.client.get(attachment["url"], headers=auth(ani))).read()
    assert attachment["size"] == len(stored) < len(original)
    with Image.open(io.BytesIO(stored)) as image:
        assert GPS_IFD not in image.getexif()


async def test_a_piece_at_the_wrong_offset_is_refused_and_changes_nothing(
    api: Api, tmp_path: Path
) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    video = mp4(tmp_path / "source.mp4")
    location = await start(api, ani, room_id, len(video))
    assert (await send(api, ani, location, 0, video[:100])).status == 204
    for offset in (0, 50, 200):
        error = await error_of(await send(api, ani, location, offset, video[offset:]), 409)
        assert (error["code"], error["reason"]) == ("conflict", "upload_offset_mismatch")
    assert await offset_of(api, ani, location) == 100
    past_the_end = await send(api, ani, location, 100, video[100:] + b"extra")
    assert (await error_of(past_the_end, 413))["reason"] == "upload_too_long"
    assert await offset_of(api, ani, location) == 100
    assert (await send(api, ani, location, 100, video[100:])).status == 204


async def test_sizes_and_types_are_refused_before_the_rest_is_sent(
    api: Api, tmp_path: Path
) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    too_long = await create(api, ani, room_id, MAX_VIDEO_BYTES + 1)
    assert (await error_of(too_long, 413))["reason"] == "video_too_large"
    empty = await create(api, ani, room_id, 0)
    assert (await error_of(empty, 400))["reason"] == "file_empty"
    # A photo is judged by its first bytes: past the photo limit it goes no further.
    big_photo = await start(api, ani, room_id, MAX_IMAGE_BYTES + 1, "besar.jpg")
    refused = await send(api, ani, big_photo, 0, photo("JPEG", exif_with_location()))
    assert (await error_of(refused, 413))["reason"] == "photo_too_large"
    gone = await api.client.head(big_photo, headers=auth(ani, **TUS))
    assert gone.status == 404  # the upload is cancelled with it
    page = await start(api, ani, room_id, 10_000, "video.mp4")
    html = await send(api, ani, page, 0, b"<html><script>alert(1)</script></html>" * 10)
    assert (await error_of(html, 415))["field"] == "file"
    fake = b"\x00\x00\x00\x18ftypmp42" + b"<html></html>" * 100
    pretender = await start(api, ani, room_id, len(fake))
    refused = await send(api, ani, pretender, 0, fake)  # the demuxer finds no video
    assert (await error_of(refused, 415))["reason"] == "video_unreadable"
    assert not list((tmp_path / "uploads" / "resumable").iterdir())
    assert not list((tmp_path / "uploads" / str(room_id)).iterdir())


async def test_a_member_has_a_few_unfinished_uploads_at_a_time(api: Api) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    locations = [await start(api, ani, room_id, 1000) for _ in range(MAX_OPEN_UPLOADS)]
    one_more = await create(api, ani, room_id, 1000)
    assert (await error_of(one_more, 429))["reason"] == "too_many_uploads"
    cancelled = await api.client.delete(locations[0], headers=auth(ani, **TUS))
    assert cancelled.status == 204
    assert (await api.client.head(locations[0], headers=auth(ani, **TUS))).status == 404
    await start(api, ani, room_id, 1000)


async def test_only_the_uploader_signed_in_with_the_protocol_version_may_send(
    api: Api, tmp_path: Path
) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room_id = (await api.room(ani))["id"]
    video = mp4(tmp_path / "source.mp4")
    outsider = await create(api, budi, room_id, len(video))
    assert outsider.status == 404  # not a member of the room
    location = await start(api, ani, room_id, len(video))
    anonymous = await api.client.patch(
        location, headers={**PIECE, "Upload-Offset": "0"}, data=video
    )
    assert anonymous.status == 401
    await api.join_by_invite(ani, budi, room_id)
    assert (await error_of(await send(api, budi, location, 0, video), 404))[
        "reason"
    ] == "upload_not_found"
    no_version = await api.client.patch(
        location,
        headers=auth(ani, **{"Content-Type": PIECE["Content-Type"], "Upload-Offset": "0"}),
        data=video,
    )
    assert (await error_of(no_version, 412))["reason"] == "tus_version"
    wrong_type = await api.client.patch(
        location, headers=auth(ani, **TUS, **{"Upload-Offset": "0"}), data=video
    )
    assert (await error_of(wrong_type, 415))["field"] == "Content-Type"
    no_offset = await api.client.patch(location, headers=auth(ani, **PIECE), data=video)
    assert (await error_of(no_offset, 400))["reason"] == "upload_header"
    for bad in ("../../kamar.db", "0" * 32, "zz" * 16):
        head = await api.client.head(f"/api/uploads/{bad}", headers=auth(ani, **TUS))
        assert head.status == 404
    assert await offset_of(api, ani, location) == 0
