"""Photos on an announcement chosen by room kind alone, in Chromium at 360x640 in Indonesian:
no room ticked, the form asks the server which rooms the selection names and uploads there,
and the photo shows pinned in both rooms; with nothing chosen it says to choose rooms first."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_announcement_media_browser import photo_shown, poster, rooms_of_siti
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_a_photo_goes_with_an_announcement_chosen_by_kind_alone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        (siti, budi, ani), rooms = await rooms_of_siti(http)  # two "work" rooms
    organiser = await signed_in_page(chromium, kamar, siti, "#/announce", PHONE)
    page = organiser.page
    await page.fill("#announce-title", "Aksi 1 Mei")
    await page.fill("#announce-text", "Kumpul jam 7 di depan pabrik.")
    photo = str(poster(tmp_path / "spanduk.jpg"))
    await page.set_input_files("#announce-file", photo)  # nothing chosen yet
    note = page.locator("#announce-file-note")
    await note.wait_for(timeout=WAIT_MS)
    assert (await note.inner_text()).startswith("Pilih kamar tujuan dulu")
    assert await page.locator("#announce-staged li").count() == 0

    await page.click("#announce-form details.more summary")
    await page.check("#announce-form input[name=kind][value='work']")
    await page.set_input_files("#announce-file", photo)
    await page.wait_for_selector("#announce-staged li:has-text('siap')", timeout=WAIT_MS)
    assert await note.is_hidden()
    await page.click("#announce-form button[type=submit]")
    await page.wait_for_selector(
        "#announce-result:has-text('Terkirim ke 2 kamar, 4 anggota')", timeout=WAIT_MS
    )
    for token, room in ((budi, rooms[0]), (ani, rooms[1])):
        member = await signed_in_page(chromium, kamar, token, f"#/rooms/{room['id']}", PHONE)
        await member.page.wait_for_selector("#pinned-title:has-text('Aksi 1 Mei')", timeout=WAIT_MS)
        await photo_shown(member.page, "#pinned-media img")
        assert member.errors == []
    assert organiser.errors == []
