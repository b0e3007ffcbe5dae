"""Forwarding and "who read" in real Chromium on a 360x640 phone in Indonesian: Siti forwards
Budi's photo message from one room to another through the message menu; it arrives labelled
"Diteruskan" with the photo shown to a member who is not in the first room; once Asep has read
it, "Dibaca oleh" lists him with the time. With KAMAR_SCREENS=DIR (scripts/screens) the
screenshots are kept there. Every wait polls a condition with a deadline."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, png, signed_in_page
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_search_browser import register

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def room_of(http: aiohttp.ClientSession, owner: str, name: str, *members: str) -> int:
    room = await api_call(http, "POST", "/api/rooms", owner, json={"name": name, "kind": "work"})
    for member in members:
        invite = await api_call(http, "POST", f"/api/rooms/{room['id']}/invites", owner, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", member)
    room_id: int = room["id"]
    return room_id


async def photo_message(http: aiohttp.ClientSession, token: str, room_id: int) -> int:
    form = aiohttp.FormData()
    form.add_field("file", png(64, 48), filename="spanduk.png", content_type="image/png")
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"/api/rooms/{room_id}/attachments", data=form, headers=headers) as got:
        assert got.status == 201, await got.text()
        attachment = await got.json()
    body = {"text": "Spanduk untuk aksi Senin", "attachments": [attachment["id"]]}
    message = await api_call(http, "POST", f"/api/rooms/{room_id}/messages", token, json=body)
    message_id: int = message["id"]
    return message_id


async def test_a_photo_message_is_forwarded_and_its_readers_are_listed(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    shots = screens_dir(tmp_path)
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi, asep = [await register(http, name) for name in ("siti", "budi", "asep")]
        garmen = await room_of(http, siti, "PUK Garmen", budi)
        koperasi = await room_of(http, siti, "Koperasi", asep)
        original = await photo_message(http, budi, garmen)

    person = await signed_in_page(chromium, kamar, siti, f"#/rooms/{garmen}", PHONE)
    page = person.page
    await page.click(f"#msg-{original} .msg-menu", timeout=WAIT_MS)
    await page.click(f"#msg-{original} [data-action=forward]")
    await page.wait_for_selector("#forward-rooms .forward-room", timeout=WAIT_MS)
    assert await page.locator("#forward-rooms .forward-room").all_inner_texts() == ["Koperasi"]
    await shoot(page, shots, "forward-pick-room")
    await page.click(f"#forward-rooms [data-room-id='{koperasi}']")
    await page.click(".notice-item button:text-is('Buka')", timeout=WAIT_MS)
    label = page.locator("#messages .msg.mine .forwarded-label")
    await label.wait_for(timeout=WAIT_MS)
    assert "Diteruskan" in await label.inner_text()
    forwarded = page.locator("#messages .msg.mine").last
    forwarded_id = int(await forwarded.get_attribute("data-id") or 0)

    # Asep, who is not in "PUK Garmen", sees the photo through the forward, and reads it.
    reader = await signed_in_page(chromium, kamar, asep, f"#/rooms/{koperasi}", PHONE)
    photo = reader.page.locator(f"#msg-{forwarded_id} img.thumb-img")
    await photo.wait_for(timeout=WAIT_MS)
    await reader.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0",
        arg=await photo.element_handle(),
        timeout=WAIT_MS,
    )
    await page.locator(f"#msg-{forwarded_id} .receipt.read").wait_for(timeout=WAIT_MS)
    await shoot(page, shots, "forward-arrived")

    await page.click(f"#msg-{forwarded_id} .msg-menu")
    assert await page.locator(f"#msg-{forwarded_id} [data-action=edit]").count() == 0
    await page.click(f"#msg-{forwarded_id} [data-action=readers]")
    await page.wait_for_selector("#readers-list li", timeout=WAIT_MS)
    assert await page.inner_text("#readers-list .reader-name") == "Asep"
    assert await page.locator("#readers-list time").get_attribute("datetime")
    await shoot(page, shots, "readers-sheet")
    await page.click("#readers-close")
    assert await page.locator("#readers").count() == 0
    await reader.context.close()
    await person.context.close()
