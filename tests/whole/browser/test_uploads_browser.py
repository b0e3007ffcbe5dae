"""Uploads that fit mobile data, at 360x640 in Indonesian: a file the server would refuse is
refused on the phone before a byte of it is sent, with the typed text kept; a large photo is
scaled down and re-encoded on the phone before it goes."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, Request

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS
from tests.whole.browser.test_offline_chat_browser import member_with_room, open_signed_in

pytestmark = [pytest.mark.browser]


async def messages_of(kamar: RunningServer, token: str, room_id: int) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession(kamar.base_url) as http,
        http.get(
            f"/api/rooms/{room_id}/messages", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        page: dict[str, Any] = await response.json()
    return page["messages"]


def sparse_file(path: Path, size: int) -> Path:
    """`size` bytes on paper, nothing on disk: the phone's picker only reports the size."""
    with open(path, "wb") as out:
        out.truncate(size)
    return path


async def test_a_60_mb_video_is_refused_before_any_byte_is_sent_and_the_text_stays(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    video = sparse_file(tmp_path / "liburan.mp4", 60 * 1024 * 1024)
    token, room_id = await member_with_room(kamar, "siti")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    uploads: list[str] = []

    def note(request: Request) -> None:
        if "/attachments" in request.url:
            uploads.append(request.url)

    page.on("request", note)
    await open_signed_in(page, kamar, token, room_id)
    await page.fill("#chat-input", "Ini video acara kemarin")
    await page.set_input_files("#chat-file", str(video))
    error = page.locator("#composer .error:not([hidden])")
    await error.wait_for(timeout=WAIT_MS)
    assert await error.text_content() == ("liburan.mp4: Video terlalu besar (paling besar 50 MB).")
    assert await page.input_value("#chat-input") == "Ini video acara kemarin"
    assert await page.locator("#staged .staged-item").count() == 0
    assert uploads == []
    # The text still goes, without the video.
    await page.click("#chat-send")
    await page.locator("#messages li:not(.pending)", has_text="video acara").wait_for(
        timeout=WAIT_MS
    )
    assert uploads == []
    await context.close()


async def test_a_large_photo_is_made_smaller_on_the_phone_before_it_is_sent(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    # A phone camera's photo: 4000x3000, noisy enough to be several MB as a JPEG.
    rng = random.Random(16)
    noise = Image.frombytes("L", (400, 300), bytes(rng.randrange(256) for _ in range(120_000)))
    photo = Image.merge("RGB", [noise, noise.rotate(90, expand=False), noise.transpose(0)])
    buffer = io.BytesIO()
    photo.resize((4000, 3000), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=95)
    original = tmp_path / "IMG_20261207.jpg"
    original.write_bytes(buffer.getvalue())
    before = len(buffer.getvalue())
    assert before > 2 * 1024 * 1024

    token, room_id = await member_with_room(kamar, "budi")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)
    await page.set_input_files("#chat-file", str(original))
    await page.locator("#staged .staged-item", has_text="siap").wait_for(timeout=WAIT_MS)
    await page.fill("#chat-input", "Foto rapat")
    await page.click("#chat-send")
    await page.locator("#messages li:not(.pending)", has_text="Foto rapat").wait_for(
        timeout=WAIT_MS
    )
    [message] = await messages_of(kamar, token, room_id)
    [attachment] = message["attachments"]
    assert (attachment["width"], attachment["height"]) == (1600, 1200)
    assert attachment["mime"] == "image/jpeg"
    sent = attachment["size"]
    print(f"photo: {before} bytes on the phone, {sent} bytes sent ({sent / before:.1%})")
    assert sent < before / 3
    await context.close()
