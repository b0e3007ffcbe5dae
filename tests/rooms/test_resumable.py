"""Resumable uploads without HTTP (rooms/community/resumable.py): a piece cut off keeps what
was saved and nothing more, two pieces never write at once, and abandoned uploads expire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.community.community import Community
from rooms.community.resumable import UPLOAD_LIFETIME_MS
from rooms.errors import Conflict, NotFound
from tests.rooms.conftest import Clock, register
from tests.rooms.test_video_poster import chunks, mp4


async def cut_off(data: bytes, after: int) -> AsyncIterator[bytes]:
    """A piece whose connection breaks after `after` bytes (the server's read raises)."""
    yield data[:after]
    raise ConnectionResetError("the phone lost its signal")


async def test_a_piece_cut_off_keeps_only_what_was_saved_and_the_upload_goes_on(
    community: Community, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    video = mp4(tmp_path / "source.mp4", frames=10)
    upload = await community.resumable.create(ani, room_id, len(video), "rapat.mp4")
    saved = await community.resumable.append(ani, upload.token, 0, chunks(video[:5000]))
    assert saved.offset == 5000
    with pytest.raises(ConnectionResetError):
        await community.resumable.append(ani, upload.token, 5000, cut_off(video[5000:], 3000))
    # The bytes written before the break were never recorded: the upload is still at 5000,
    # and the next piece from there replaces them.
    assert (await community.resumable.state(ani, upload.token)).offset == 5000
    garbage = b"\x00" * 3000
    with pytest.raises(ConnectionResetError):
        await community.resumable.append(ani, upload.token, 5000, cut_off(garbage, 3000))
    done = await community.resumable.append(ani, upload.token, 5000, chunks(video[5000:]))
    assert done.offset == len(video) and done.attachment is not None
    path, _ = await community.attachments.open(ani, done.attachment["id"], thumbnail=False)
    assert path.read_bytes() == video


async def test_two_pieces_of_one_upload_never_write_at_once(
    community: Community, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    video = mp4(tmp_path / "source.mp4")
    upload = await community.resumable.create(ani, room_id, len(video), "rapat.mp4")
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield video[:1000]
        first_in.set()
        await release.wait()  # the old connection, not yet known to be dead

    first = asyncio.create_task(community.resumable.append(ani, upload.token, 0, slow()))
    await first_in.wait()
    with pytest.raises(Conflict) as refused:
        await community.resumable.append(ani, upload.token, 0, chunks(video))
    assert refused.value.reason == "upload_busy"
    release.set()
    assert (await first).offset == 1000
    done = await community.resumable.append(ani, upload.token, 1000, chunks(video[1000:]))
    assert done.attachment is not None


async def test_an_abandoned_upload_expires_with_its_file(
    community: Community, clock: Clock, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    video = mp4(tmp_path / "source.mp4")
    abandoned = await community.resumable.create(ani, room_id, len(video), "a.mp4")
    await community.resumable.append(ani, abandoned.token, 0, chunks(video[:4096]))
    assert abandoned.expires_at == int(clock.now * 1000) + UPLOAD_LIFETIME_MS
    clock.now += UPLOAD_LIFETIME_MS / 2000
    recent = await community.resumable.create(ani, room_id, len(video), "b.mp4")
    partials = tmp_path / "uploads" / "resumable"
    assert len(list(partials.iterdir())) == 2
    clock.now += UPLOAD_LIFETIME_MS / 2000
    with pytest.raises(NotFound):  # past its expiry it is gone even before the sweep
        await community.resumable.append(ani, abandoned.token, 4096, chunks(video[4096:]))
    assert await community.resumable.expire(int(clock.now * 1000)) == 1
    assert [p.name for p in partials.iterdir()] == [f"{recent.token}.part"]
    assert await community.resumable.expire(int(clock.now * 1000)) == 0
    assert (await community.resumable.state(ani, recent.token)).offset == 0
