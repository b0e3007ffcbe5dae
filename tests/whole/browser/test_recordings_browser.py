"""A town hall's recording in the community app on a 360x640 phone in Indonesian: "Rekaman"
lists it under the event, Chromium plays the MP4 through its signed link (H.264 + AAC, what
egress writes), and "Unduh MP4" offers the same file; the organiser deletes it ("Hapus",
tapped twice)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import api_call, signed_in_page

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
WAIT_MS = 15_000


def _recording(path: Path) -> None:
    """Two seconds of H.264 and AAC, as egress records them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(path)],
        check=True, timeout=60,
    )  # fmt: skip


async def test_a_member_watches_a_town_halls_recording_on_a_phone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"username": "siti", "password": "rahasia-123", "display_name": "Siti"}
        token = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        serikat = {"name": "Serikat", "kind": "work"}
        room = await api_call(http, "POST", "/api/rooms", token, json=serikat)
        event = await api_call(
            http, "POST", f"/api/rooms/{room['id']}/events", token,
            json={"title": "Rapat akbar", "kind": "town_hall",
                  "starts_at": "2030-01-06T19:00", "ends_at": "2030-01-06T21:00"},
        )  # fmt: skip
    _recording(tmp_path / "recordings" / f"event-{event['id']}-1765000000.mp4")
    person = await signed_in_page(chromium, kamar, token, f"#/rooms/{room['id']}/agenda", PHONE)
    page = person.page
    item = page.locator("#event-list li.event", has_text="Rapat akbar")
    await item.locator("button", has_text="Rekaman").click(timeout=WAIT_MS)
    video = item.locator("figure.recording video")
    await video.wait_for(timeout=WAIT_MS)
    await page.wait_for_function(
        "() => { const v = document.querySelector('figure.recording video');"
        " return v && v.readyState >= 1 && Math.abs(v.duration - 2) < 0.3; }",
        timeout=WAIT_MS,
    )
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "() => document.querySelector('figure.recording video').currentTime > 0.3",
        timeout=WAIT_MS,
    )
    link = item.locator("figure.recording a", has_text="Unduh MP4")
    assert await link.get_attribute("download") == "Rapat akbar.mp4"
    assert (await link.get_attribute("href") or "").startswith(
        f"/api/events/{event['id']}/recordings/1765000000?expires="
    )
    await item.scroll_into_view_if_needed()
    await page.screenshot(path=str(tmp_path / "recordings-360.png"))

    # Siti organised the event: she may delete it, with a second tap to confirm.
    delete = item.locator("figure.recording button", has_text="Hapus")
    await delete.click()
    await item.locator("figure.recording button", has_text="Ketuk lagi").click()
    await item.locator(".recordings p", has_text="Belum ada rekaman").wait_for(timeout=WAIT_MS)
    assert not (tmp_path / "recordings" / f"event-{event['id']}-1765000000.mp4").exists()
    assert person.errors == [], person.errors
    await person.context.close()
