"""Uploads that fit mobile data, at 360x640 in Indonesian: a file the server would refuse is
refused on the phone before a byte of it is sent, with the typed text kept; a large photo is
scaled down and re-encoded on the phone before it goes; a large video goes in resumable pieces
that survive the connection dropping."""

from __future__ import annotations

import asyncio
import io
import os
import random
import struct
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, Request, Route

from tests.conftest import RunningServer
from tests.rooms.test_video_poster import mp4
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


# Runs before the page's scripts: [address, bytes] of each file the page sends in a form, by
# fetch (the profile photo) or XHR (uploads, for their progress bar).
FORM_FILE_SIZES = """(() => {
  window.kamarFormFiles = [];
  const note = (address, body) => {
    if (!(body instanceof FormData)) return;
    for (const value of body.values()) {
      if (value instanceof Blob) window.kamarFormFiles.push([String(address), value.size]);
    }
  };
  const original = window.fetch;
  window.fetch = (resource, init) => {
    note(resource, init && init.body);
    return original(resource, init);
  };
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, address, ...rest) {
    this.kamarAddress = address;
    return open.call(this, method, address, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    note(this.kamarAddress, body);
    return send.call(this, body);
  };
})();"""


def camera_photo(path: Path) -> int:
    """A phone camera's photo: 4000x3000, noisy enough to be several MB as a JPEG. Its size."""
    rng = random.Random(16)
    noise = Image.frombytes("L", (400, 300), bytes(rng.randrange(256) for _ in range(120_000)))
    photo = Image.merge("RGB", [noise, noise.rotate(90, expand=False), noise.transpose(0)])
    buffer = io.BytesIO()
    photo.resize((4000, 3000), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    assert len(buffer.getvalue()) > 2 * 1024 * 1024
    return len(buffer.getvalue())


async def test_a_large_photo_is_made_smaller_on_the_phone_before_it_is_sent(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    original = tmp_path / "IMG_20261207.jpg"
    before = camera_photo(original)

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


def padded_video(path: Path, size: int) -> bytes:
    """A real MP4 grown to `size` bytes with a top-level `free` box (ISO/IEC 14496-12 §8.1.2),
    which players and FFmpeg skip: a large video without minutes of encoding."""
    video = mp4(path)
    padding = size - len(video)
    video += struct.pack(">I4s", padding, b"free") + bytes(padding - 8)
    path.write_bytes(video)
    return video


async def test_a_large_video_goes_in_pieces_and_survives_dropped_connections(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    video = padded_video(tmp_path / "rapat-akbar.mp4", 6 * 1024 * 1024 + 12_345)
    token, room_id = await member_with_room(kamar, "rina")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    plain_uploads: list[str] = []
    page.on(
        "request",
        lambda request: (
            plain_uploads.append(request.url)
            if "/attachments" in request.url and request.method == "POST"
            else None
        ),
    )
    pieces: list[tuple[str, str]] = []  # (what became of it, Upload-Offset)
    dropped = asyncio.Event()
    reset = asyncio.Event()

    async def flaky_network(route: Route) -> None:
        request = route.request
        if request.method != "PATCH":
            await route.continue_()
            return
        offset = await request.header_value("upload-offset") or ""
        if len(pieces) == 2:  # the third piece: the phone loses its signal
            pieces.append(("offline", offset))
            await context.set_offline(True)
            await page.evaluate("() => { window.testOnline = false; }")
            await route.abort("internetdisconnected")
            dropped.set()
        elif len(pieces) == 4:  # the fifth: the connection breaks while online
            pieces.append(("reset", offset))
            await route.abort("connectionreset")
            reset.set()
        else:
            pieces.append(("sent", offset))
            await route.continue_()

    # The test's network namespace has only loopback, so Chromium believes itself offline for
    # good and never fires `online` by itself: the page is told what a phone's Chromium would
    # report (navigator.onLine), and the test fires `online` as Chromium would (as
    # tests/whole/browser/test_offline_chat_browser.py does).
    await context.add_init_script(
        "Object.defineProperty(navigator, 'onLine', {get: () => window.testOnline !== false})"
    )
    await open_signed_in(page, kamar, token, room_id)
    await page.route("**/api/uploads/*", flaky_network)
    await page.fill("#chat-input", "Video rapat akbar")
    await page.set_input_files("#chat-file", str(tmp_path / "rapat-akbar.mp4"))
    await page.click("#chat-send")
    await dropped.wait()
    waiting = page.locator("#messages li.pending .sending", has_text="menunggu jaringan")
    await waiting.wait_for(timeout=WAIT_MS)
    # docs/screens/ with scripts/screens (test_phone_screens_browser imports this module, so
    # its shoot() cannot be imported here).
    screens = Path(os.environ.get("KAMAR_SCREENS") or tmp_path)
    await page.screenshot(path=str(screens / "chat-upload-waiting.png"))
    # The signal is back: it goes on by itself, from what arrived.
    await context.set_offline(False)
    await page.evaluate("() => { window.testOnline = true; dispatchEvent(new Event('online')); }")
    # The fifth piece breaks while online: tried again after a short wait, without a word.
    await reset.wait()
    await page.locator("#messages li:not(.pending)", has_text="Video rapat akbar").wait_for(
        timeout=WAIT_MS
    )
    [message] = await messages_of(kamar, token, room_id)
    [attachment] = message["attachments"]
    assert (attachment["kind"], attachment["mime"], attachment["size"]) == (
        "video",
        "video/mp4",
        len(video),
    )
    assert attachment["name"] == "rapat-akbar.mp4"
    async with (
        aiohttp.ClientSession(kamar.base_url) as http,
        http.get(attachment["url"], headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert await response.read() == video
    # Each failed piece was sent again from where the server said, and nothing else twice.
    piece = 1024 * 1024
    assert pieces[2] == ("offline", str(2 * piece)) and pieces[3] == ("sent", str(2 * piece))
    assert pieces[4] == ("reset", str(3 * piece)) and pieces[5] == ("sent", str(3 * piece))
    sent = [int(offset) for what, offset in pieces if what == "sent"]
    assert sent == [n * piece for n in range(7)]
    assert plain_uploads == []
    assert await page.locator("#messages li", has_text="Video rapat akbar").count() == 1
    assert errors == []
    await context.close()


async def test_a_large_video_the_server_refuses_keeps_the_text_to_try_again(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    # It starts like an MP4 (so it goes in pieces), but no video is in it: the server's checks
    # on the last piece refuse it, as they refuse a plain upload.
    fake = tmp_path / "bukan-video.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(6 * 1024 * 1024))
    token, room_id = await member_with_room(kamar, "yanti")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)
    await page.fill("#chat-input", "Ini videonya")
    await page.set_input_files("#chat-file", str(fake))
    await page.click("#chat-send")
    refused = page.locator("#messages li.pending .error-text")
    await refused.wait_for(timeout=WAIT_MS)
    assert await refused.text_content() == "Video ini tidak bisa dibaca. Coba video lain."
    assert await page.locator("#messages li.pending", has_text="Ini videonya").count() == 1
    assert await messages_of(kamar, token, room_id) == []
    await context.close()
