"""Search in real Chromium on a 360x640 phone in Indonesian: "membeli" across one's rooms finds
"dibeli" and "beli" but nothing of a room one is not in; a result opens its room at the
message; the room's own search finds only its messages. With KAMAR_SCREENS=DIR (scripts/screens)
the screenshots are kept there. Every wait polls a condition with a deadline."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, signed_in_page
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def register(http: aiohttp.ClientSession, name: str) -> str:
    body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
    token: str = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
    return token


async def test_a_member_finds_an_inflected_word_and_opens_the_message_in_its_room(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = await register(http, "siti"), await register(http, "budi")
        rooms = {}
        for name in ("PUK Garmen", "Koperasi"):
            body = {"name": name, "kind": "work"}
            rooms[name] = await api_call(http, "POST", "/api/rooms", siti, json=body)
            invite = await api_call(
                http, "POST", f"/api/rooms/{rooms[name]['id']}/invites", siti, json={}
            )
            await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        hidden = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "Pengurus", "kind": "work"}
        )
        posts = [
            ("PUK Garmen", "Kain untuk spanduk sudah dibeli kemarin"),
            ("PUK Garmen", "Rapat Sabtu jam 9 di balai"),
            ("Koperasi", "Siapa mau beli beras murah?"),
        ]
        found = {}
        for room, text in posts:
            path = f"/api/rooms/{rooms[room]['id']}/messages"
            found[text] = await api_call(http, "POST", path, siti, json={"text": text})
        await api_call(
            http,
            "POST",
            f"/api/rooms/{hidden['id']}/messages",
            siti,
            json={"text": "dibeli rahasia"},
        )

    person = await signed_in_page(chromium, kamar, budi, "#/rooms", PHONE)
    page = person.page
    await page.click("#open-search", timeout=WAIT_MS)
    await page.fill("#search-q", "membeli")
    await page.click("#search-go")
    hits = page.locator("#search-results .search-hit")
    await hits.nth(1).wait_for(timeout=WAIT_MS)
    assert await hits.count() == 2
    texts = await page.locator("#search-results .search-text").all_inner_texts()
    assert texts == ["Siapa mau beli beras murah?", "Kain untuk spanduk sudah dibeli kemarin"]
    assert await page.locator("#search-results .search-room").all_inner_texts() == [
        "Koperasi",
        "PUK Garmen",
    ]
    assert "2 pesan ditemukan" in await page.inner_text("#search-status")
    await shoot(page, screens_dir(tmp_path), "search-across-rooms")

    # A result opens its room with that message in view.
    target = found["Kain untuk spanduk sudah dibeli kemarin"]["id"]
    await hits.nth(1).click()
    await page.wait_for_selector(f"#msg-{target}", state="visible", timeout=WAIT_MS)
    assert await page.inner_text("#room-title") == "PUK Garmen"
    await page.wait_for_selector(f"#msg-{target}.flash", timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "search-result-opened")

    # The room's own search finds only its messages, and says so when nothing matches.
    await page.click("#room-search")
    await page.fill("#search-q", "beli")
    await page.click("#search-go")
    await page.wait_for_selector("#search-results .search-hit", timeout=WAIT_MS)
    assert await page.locator("#search-results .search-text").all_inner_texts() == [
        "Kain untuk spanduk sudah dibeli kemarin"
    ]
    await shoot(page, screens_dir(tmp_path), "search-in-room")
    await page.fill("#search-q", "rahasia")
    await page.click("#search-go")
    await page.wait_for_selector("#search-status:has-text('Tidak ada pesan')", timeout=WAIT_MS)
    await person.context.close()
