"""Uploads never sent in a message are deleted (row and files) a day after the upload; sent
ones, and recent ones, stay. Two sweeps at once never fight over an upload."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from rooms.community import post_attachments
from rooms.community.accounts import User
from rooms.community.attachments import ORPHAN_WINDOW_MS
from rooms.community.community import Community
from rooms.community.resumable import UPLOAD_LIFETIME_MS
from rooms.community.schema.chat import attachments
from rooms.errors import Invalid, NotFound
from server.upload_expiry import UPLOAD_EXPIRY_INTERVAL, expire_uploads_forever
from tests.rooms.conftest import Clock, register
from tests.rooms.test_video_poster import chunks
from tests.sweep_pauses import SweepPauses

HOUR_S = 3600.0


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def upload(community: Community, user: User, room_id: int) -> dict[str, Any]:
    return await community.attachments.save(user, room_id, "foto.png", chunks(png()))


async def files_of(community: Community, tmp_path: Path, attachment_id: int) -> list[Path]:
    async with community.db.read() as conn:
        row = (
            await conn.execute(select(attachments).where(attachments.c.id == attachment_id))
        ).one()
    return [tmp_path / "uploads" / p for p in (row.path, row.thumbnail_path)]


async def test_an_upload_never_sent_is_deleted_after_a_day(
    community: Community, clock: Clock, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    abandoned = await upload(community, ani, room_id)
    sent = await upload(community, ani, room_id)
    await community.chat.post(ani, room_id, "", attachment_ids=[sent["id"]])
    clock.now += 20 * HOUR_S
    recent = await upload(community, ani, room_id)
    abandoned_files = await files_of(community, tmp_path, abandoned["id"])
    assert all(path.exists() for path in abandoned_files)

    now_ms = int(clock.now * 1000)
    assert await community.attachments.expire_orphans(now_ms) == 0  # 20 hours: not yet
    clock.now += 4 * HOUR_S + 1
    now_ms = int(clock.now * 1000)
    assert await community.attachments.expire_orphans(now_ms) == 1
    assert not any(path.exists() for path in abandoned_files)
    for kept in (sent, recent):
        assert all(path.exists() for path in await files_of(community, tmp_path, kept["id"]))
        await community.attachments.open(ani, kept["id"], thumbnail=False)
    try:
        await community.attachments.open(ani, abandoned["id"], thumbnail=False)
        raise AssertionError("an expired upload still opens")
    except NotFound:
        pass
    assert await community.attachments.expire_orphans(now_ms) == 0
    later_ms = now_ms + ORPHAN_WINDOW_MS
    assert await community.attachments.expire_orphans(later_ms) == 1  # the recent one, later
    assert await community.attachments.expire_orphans(later_ms) == 0  # the sent one stays


async def test_sweeps_in_batches_and_two_at_once_share_the_work(
    community: Community, clock: Clock
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    for _ in range(7):
        await upload(community, ani, room_id)
    now_ms = int(clock.now * 1000) + ORPHAN_WINDOW_MS + 1
    assert await community.attachments.expire_orphans(now_ms, batch=2) == 2
    removed = await asyncio.gather(
        *(community.attachments.expire_orphans(now_ms, batch=3) for _ in range(3))
    )
    # Each upload is claimed by one sweep only (on PostgreSQL a sweep that waited on another's
    # rows may find them gone and remove fewer); what is left goes in the next sweep.
    assert sum(removed) + await community.attachments.expire_orphans(now_ms, batch=10) == 5
    async with community.db.read() as conn:
        assert (await conn.execute(select(attachments))).all() == []


async def test_the_server_sweep_expires_uploads_by_its_clock(
    community: Community, clock: Clock, tmp_path: Path
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    saved = await upload(community, ani, room_id)
    [original, _] = await files_of(community, tmp_path, saved["id"])
    # A resumable upload never finished (rooms/community/resumable.py) goes in the same sweep.
    resumable = await community.resumable.create(ani, room_id, 1000, "video.mp4")
    partial = tmp_path / "uploads" / "resumable" / f"{resumable.token}.part"
    assert partial.exists()
    later = Clock()
    later.now = clock.now + max(ORPHAN_WINDOW_MS, UPLOAD_LIFETIME_MS) / 1000 + 1
    services = SimpleNamespace(community=community)
    pauses = SweepPauses()
    sweep = asyncio.create_task(expire_uploads_forever(services, later, pause=pauses.pause))
    try:
        await pauses.reached(1)
        assert original.exists() and partial.exists()  # nothing before the first interval
        await pauses.release()
        await pauses.reached(2)  # one round done
        assert not original.exists() and not partial.exists()
        assert pauses.intervals == [UPLOAD_EXPIRY_INTERVAL] * 2
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep


class NothingToExpire:
    async def __call__(self, now_ms: int) -> int:
        return 0


class FailingOnce:
    def __init__(self) -> None:
        self.calls = 0

    async def expire_orphans(self, now_ms: int) -> int:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("the database went away for a moment")
        return 0


async def test_a_failed_sweep_does_not_end_the_sweeping() -> None:
    attachments_store = FailingOnce()
    nothing_resumable = SimpleNamespace(expire=NothingToExpire())
    services = SimpleNamespace(
        community=SimpleNamespace(attachments=attachments_store, resumable=nothing_resumable)
    )
    pauses = SweepPauses()
    sweep = asyncio.create_task(expire_uploads_forever(services, Clock(), pause=pauses.pause))
    try:
        for round_done in range(1, 4):
            await pauses.reached(round_done)
            await pauses.release()
        await pauses.reached(4)  # three rounds, the first of them failed
        assert attachments_store.calls == 3 and not sweep.done()
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep


async def test_an_upload_taken_after_the_check_fails_the_post_whole(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    ani = await register(community, "ani")
    room_id = (await community.directory.create(ani, "Serikat", "work"))["id"]
    photo = await upload(community, ani, room_id)
    first = await community.chat.post(ani, room_id, "pertama", attachment_ids=[photo["id"]])

    async def checked_before_it_was_taken(*_: Any) -> None:
        """As if the check ran just before another post (or the expiry sweep) took it."""

    monkeypatch.setattr(post_attachments, "check_usable", checked_before_it_was_taken)
    with pytest.raises(Invalid):
        await community.chat.post(ani, room_id, "kedua", attachment_ids=[photo["id"]])
    history, _ = await community.chat.history(ani, room_id, None)
    assert [m["text"] for m in history] == ["pertama"]  # nothing half-stored
    assert [a["id"] for a in history[0]["attachments"]] == [photo["id"]]  # not taken away
    assert first["attachments"][0]["id"] == photo["id"]
