"""Uploads through the HTTP API: a photo's original comes back without its location, and a
file that only starts like a video is refused with the error shape photos get."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from aiohttp import FormData
from PIL import Image

from tests.rooms.test_photo_metadata import GPS_IFD, exif_with_location, photo
from tests.rooms.test_video_poster import mp4
from tests.server.api_client import Api


async def upload(api: Api, token: str, room_id: int, data: bytes, name: str, expect: int) -> Any:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return await api.call(
        "POST", f"/api/rooms/{room_id}/attachments", token, data=form, expect=expect
    )


async def download(api: Api, token: str, path: str) -> bytes:
    response = await api.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    return await response.read()


async def test_a_photos_original_is_stored_without_its_location(api: Api) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    original = photo("JPEG", exif_with_location(orientation=6))
    saved = await upload(api, ani, room_id, original, "rumah.jpg", 201)
    stored = await download(api, ani, saved["url"])
    assert saved["size"] == len(stored) < len(original)
    with Image.open(io.BytesIO(stored)) as image:
        exif = image.getexif()
        assert exif.get_ifd(GPS_IFD) == {} and GPS_IFD not in exif
        assert dict(exif) == {0x0112: 6}  # still shown upright
    assert (saved["width"], saved["height"]) == (32, 64)  # the upright size
    thumbnail = await download(api, ani, saved["thumbnail_url"])
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert dict(image.getexif()) == {} and image.size == (32, 64)  # turned, no EXIF


async def test_a_photo_that_cannot_be_cleaned_is_refused_and_leaves_nothing(
    api: Api, tmp_path: Path
) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    original = photo("JPEG", exif_with_location())
    # Pillow decodes it (skipping junk between segments), so the thumbnail is made; the
    # metadata cannot be told apart from the picture, so the photo is not kept as it is.
    broken = original.replace(b"\xff\xdb", b"junk\xff\xdb", 1)
    answer = await upload(api, ani, room_id, broken, "rumah.jpg", 415)
    assert answer["error"]["field"] == "file"
    assert list((tmp_path / "uploads" / str(room_id)).iterdir()) == []


async def test_a_file_that_only_starts_like_a_video_is_refused(api: Api, tmp_path: Path) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    fake = b"\x00\x00\x00\x18ftypmp42" + b"<html><script>alert(1)</script></html>" * 100
    answer = await upload(api, ani, room_id, fake, "video.mp4", 415)
    assert answer["error"]["code"] == "unsupported_media_type"
    assert answer["error"]["field"] == "file"
    assert "upload" not in answer["error"]["message"]  # FFmpeg's reason, not the server's path
    assert list((tmp_path / "uploads" / str(room_id)).iterdir()) == []  # nothing left behind
    saved = await upload(api, ani, room_id, mp4(tmp_path / "rapat.mp4"), "rapat.mp4", 201)
    assert (saved["kind"], saved["mime"], saved["width"]) == ("video", "video/mp4", 640)


async def test_a_profile_photo_is_a_small_square_without_metadata(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    budi, _ = await api.user("budi")
    path = f"/api/users/{ani_user['id']}/avatar"
    missing = await api.call("GET", path, budi, expect=404)
    assert missing["error"]["reason"] == "avatar_not_found"
    form = FormData()
    original = photo("JPEG", exif_with_location(orientation=6))
    form.add_field("file", original, filename="aku.jpg", content_type="image/jpeg")
    await api.call("PUT", "/api/me/avatar", ani, data=form, expect=204)
    stored = await download(api, budi, path)
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (256, 256))
        assert GPS_IFD not in image.getexif().get_ifd(0x8825) and not image.getexif()
    # Anything but a photo is refused as not a photo, not with the chat's photos-and-videos.
    for refused in (b"not a photo" * 100, b"\0\0\0\x20ftypisom" + bytes(200)):
        junk = FormData()
        junk.add_field("file", refused, filename="x.jpg")
        answer = await api.call("PUT", "/api/me/avatar", ani, data=junk, expect=415)
        assert answer["error"]["reason"] == "photo_type"
    await api.call("DELETE", "/api/me/avatar", ani, expect=204)
    await api.call("GET", path, budi, expect=404)
