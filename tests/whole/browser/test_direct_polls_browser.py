"""Direct messages and polls in real Chromium, two phones (360x640, Indonesian): Siti writes to
Budi from the room's member list and his open page gets it; a poll voted on from both pages
shows the same live results on both; once Siti blocks Budi, his message is refused with a
clear reason. Every wait polls a condition with a deadline."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, signed_in_page

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]
# Where to keep the screenshots for a person to look at (unset: the test's own directory).
SHOTS = os.environ.get("KAMAR_SHOTS")


async def shot(page: Page, tmp_path: Path, name: str) -> None:
    await page.screenshot(path=str(Path(SHOTS or tmp_path) / f"{name}.png"))


async def count_of(page: Page, poll_id: int, option: int) -> str:
    selector = f".poll[data-poll-id='{poll_id}'] .poll-option[data-option='{option}'] .poll-count"
    return await page.locator(selector).inner_text()


async def wait_count(page: Page, poll_id: int, option: int, text: str) -> None:
    selector = f".poll[data-poll-id='{poll_id}'] .poll-option[data-option='{option}'] .poll-count"
    await page.wait_for_selector(f"{selector}:text-is('{text}')", timeout=WAIT_MS)


async def test_a_direct_message_arrives_a_poll_is_live_on_both_pages_and_a_block_holds(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        people = {}
        for name in ("siti", "budi"):
            body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
            people[name] = await api_call(http, "POST", "/api/auth/register", json=body)
        siti, budi = people["siti"]["token"], people["budi"]["token"]
        budi_id = people["budi"]["user"]["id"]
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        invite = await api_call(http, "POST", f"/api/rooms/{room['id']}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)

    first = await signed_in_page(chromium, kamar, siti, f"#/rooms/{room['id']}/info", PHONE)
    second = await signed_in_page(chromium, kamar, budi, "#/rooms", PHONE)
    a, b = first.page, second.page
    await b.wait_for_selector(f".room-item[data-room-id='{room['id']}']", timeout=WAIT_MS)

    # "Pesan langsung" beside Budi's name opens the conversation; Budi's open list gets it.
    await a.wait_for_selector(f".direct-open[data-user-id='{budi_id}']", timeout=WAIT_MS)
    await shot(a, tmp_path, "room-info-members")
    await a.click(f".direct-open[data-user-id='{budi_id}']", timeout=WAIT_MS)
    await a.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert await a.locator("#room-title").inner_text() == "Budi"
    await a.fill("#chat-input", "Halo Budi, besok rapat?")
    await a.click("#chat-send")
    dm = b.locator("#dm-list .room-item", has_text="Siti")
    await dm.wait_for(timeout=WAIT_MS)
    await b.wait_for_selector("#dm-list .room-last:has-text('besok rapat?')", timeout=WAIT_MS)
    await shot(b, tmp_path, "dm-list")
    await dm.click()
    await b.wait_for_selector(
        "#messages li.msg:not(.mine) .text:has-text('Halo Budi, besok rapat?')", timeout=WAIT_MS
    )
    await shot(b, tmp_path, "dm-chat")

    # A poll in the room, voted on from both pages: both show the same counts as they change.
    await a.goto(f"{kamar.base_url}/#/rooms/{room['id']}")
    await b.goto(f"{kamar.base_url}/#/rooms/{room['id']}")
    await a.click("#poll-new", timeout=WAIT_MS)
    await a.fill("#poll-question", "Rapat hari apa?")
    options = a.locator(".poll-option-input")
    await options.nth(0).fill("Sabtu")
    await options.nth(1).fill("Minggu")
    await shot(a, tmp_path, "poll-form")
    await a.click("#poll-create")
    poll = b.locator(".poll")
    await poll.wait_for(timeout=WAIT_MS)  # the new poll opens the strip on Budi's page
    poll_id = int(await poll.get_attribute("data-poll-id") or 0)
    await b.click(f".poll[data-poll-id='{poll_id}'] .poll-option[data-option='1']")
    await wait_count(a, poll_id, 1, "1 suara")
    await a.click(f".poll[data-poll-id='{poll_id}'] .poll-option[data-option='0']")
    await wait_count(b, poll_id, 0, "1 suara")
    for page in (a, b):
        assert [await count_of(page, poll_id, i) for i in (0, 1)] == ["1 suara", "1 suara"]
    await shot(b, tmp_path, "poll-live")

    # Siti blocks Budi from the conversation's info: his next message is refused, saying why.
    await a.goto(f"{kamar.base_url}/#/rooms")
    await a.click("#dm-list .room-item")
    await a.click("#tab-info")
    await a.click("#btn-block", timeout=WAIT_MS)
    await a.click("#btn-block")  # the second tap confirms
    await a.wait_for_selector("#btn-unblock", timeout=WAIT_MS)
    await shot(a, tmp_path, "dm-blocked-info")
    await b.goto(f"{kamar.base_url}/#/rooms")
    await b.click("#dm-list .room-item")
    await b.wait_for_selector("#chat-input", timeout=WAIT_MS)
    await b.fill("#chat-input", "Kok diam?")
    await b.click("#chat-send")
    await b.wait_for_selector(
        "#messages .error-text:has-text('tidak menerima pesan dari Anda')", timeout=WAIT_MS
    )
    await shot(b, tmp_path, "dm-refused")
    # Her room list no longer shows him; her profile lists him, to unblock.
    await a.goto(f"{kamar.base_url}/#/me")
    await a.wait_for_selector(f"#blocked-list button[data-user-id='{budi_id}']", timeout=WAIT_MS)
    await a.wait_for_selector("#dm-list", state="detached", timeout=WAIT_MS)
    await a.locator("#blocked-members").scroll_into_view_if_needed()
    await shot(a, tmp_path, "profile-blocked")
    assert await b.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    for person in (first, second):
        assert person.errors == [], person.errors
        await person.context.close()
