"""Videos get their first picture as a poster; a video that cannot be decoded is still kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import av
from PIL import Image

from rooms.community.attachments import make_video_poster
from rooms.community.community import Community
from tests.rooms.conftest import register


def mp4(path: Path, width: int = 640, height: int = 360, frames: int = 5) -> bytes:
    """A short MPEG-4 video made here (no file from elsewhere)."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(frames):
            picture = Image.new("RGB", (width, height), (20 * n, 120, 200))
            for packet in stream.encode(av.VideoFrame.from_image(picture)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]


def test_the_first_picture_becomes_a_jpeg_poster_with_the_videos_size(tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    mp4(source)
    poster = tmp_path / "poster.jpg"
    assert make_video_poster(source, poster) == (640, 360)
    with Image.open(poster) as image:
        assert (image.format, image.size) == ("JPEG", (320, 180))


def test_an_undecodable_video_gives_no_poster(tmp_path: Path) -> None:
    source = tmp_path / "broken.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)  # a header, then nothing
    poster = tmp_path / "poster.jpg"
    assert make_video_poster(source, poster) is None
    assert not poster.exists()


async def test_an_uploaded_video_carries_its_poster(community: Community, tmp_path: Path) -> None:
    ani = await register(community, "ani")
    room = await community.directory.create(ani, "Serikat", "work")
    saved = await community.attachments.save(
        ani, room["id"], "rapat.mp4", chunks(mp4(tmp_path / "rapat.mp4"))
    )
    assert (saved["kind"], saved["mime"], saved["width"], saved["height"]) == (
        "video",
        "video/mp4",
        640,
        360,
    )
    assert saved["thumbnail_url"] == f"/api/attachments/{saved['id']}/thumbnail"
    await community.chat.post(ani, room["id"], "", attachment_ids=[saved["id"]])
    poster, mime = await community.attachments.open(ani, saved["id"], thumbnail=True)
    assert mime == "image/jpeg" and poster.stat().st_size > 0


async def test_deleting_a_message_removes_its_files_from_disk(
    community: Community, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room = await community.directory.create(ani, "Serikat", "work")
    saved = await community.attachments.save(
        ani, room["id"], "rapat.mp4", chunks(mp4(tmp_path / "rapat.mp4"))
    )
    message = await community.chat.post(ani, room["id"], "", attachment_ids=[saved["id"]])
    video, _ = await community.attachments.open(ani, saved["id"], thumbnail=False)
    poster, _ = await community.attachments.open(ani, saved["id"], thumbnail=True)
    assert await community.attachments.purge(message["id"]) == 0  # not deleted: kept
    await community.chat.delete(ani, message["id"])
    assert await community.attachments.purge(message["id"]) == 2
    assert not video.exists() and not poster.exists()
    assert await community.attachments.purge(message["id"]) == 0  # once is enough
