"""An organiser ticks "Tampilkan di halaman publik" on a new event in Chromium at 360x640, in
Indonesian; the agenda shows a "Bagikan" link carrying her referral code, and the page it
opens needs no sign-in and shows the event without its room."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_announcement_browser import account
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_a_public_event_is_shared_and_opens_without_signing_in(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await account(http, "siti")
        room = await call(
            http, "POST", "/api/rooms", siti, 201, json={"name": "PUK Rahasia", "kind": "work"}
        )
        code = (await call(http, "GET", "/api/me/referral", siti))["code"]
    organiser = await signed_in_page(chromium, kamar, siti, f"#/rooms/{room['id']}", PHONE)
    page = organiser.page
    await page.click("#tab-agenda", timeout=WAIT_MS)
    await page.click("#btn-new-event", timeout=WAIT_MS)
    await page.fill("#event-title", "Rapat akbar buruh")
    await page.select_option("#event-kind", "town_hall")
    await page.select_option("#event-zone", "Asia/Jakarta")
    await page.fill("#event-location", "Balai warga")
    await page.check("#event-public")
    await page.screenshot(path=str(tmp_path / "eventpage-form.png"))
    await page.click("#event-submit")
    share = page.locator("#event-list li.event a.event-share")
    await page.wait_for_selector(f"#event-list a.event-share[href$='?ref={code}']", timeout=WAIT_MS)
    assert await share.inner_text() == "Bagikan"
    href = await share.get_attribute("href")
    assert href and href.startswith("/e/")
    await page.screenshot(path=str(tmp_path / "eventpage-agenda.png"))
    assert organiser.errors == []

    visitor = await chromium.new_context(viewport=PHONE, locale="id-ID")
    public = await visitor.new_page()
    await public.goto(f"{kamar.base_url}{href}")
    assert await public.inner_text("h1") == "Rapat akbar buruh"
    shown = await public.inner_text("body")
    assert "Pertemuan akbar" in shown and "Balai warga" in shown and "WIB" in shown
    assert "PUK Rahasia" not in await public.content()
    assert await public.get_attribute("#join-link", "href") == f"/#/join/{code}"
    await public.screenshot(path=str(tmp_path / "eventpage-public.png"))

    # She hides it again: the share link goes, and the page is gone for the visitor.
    event_id = href.split("?")[0].removeprefix("/e/")
    await page.click(f"#event-public-{event_id}")
    await page.wait_for_selector(f"#event-public-{event_id}[aria-pressed=false]", timeout=WAIT_MS)
    assert await share.count() == 0
    await visitor.close()
    # A new visitor: the first one's browser may keep the page for its 5 cache minutes.
    visitor = await chromium.new_context(viewport=PHONE, locale="id-ID")
    answer = await (await visitor.new_page()).goto(f"{kamar.base_url}{href}")
    assert answer is not None and answer.status == 404
    assert organiser.errors == []
    await visitor.close()
