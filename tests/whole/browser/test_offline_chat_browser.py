"""Nothing typed is lost: a chat message sent while the server cannot be reached is kept on
the phone, survives a reload, and goes out by itself, exactly once, when the browser says the
network is back (before the feed's socket has noticed anything)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Route

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS

pytestmark = [pytest.mark.browser]

TEXT = "Rapat besok jam 7 di sekretariat"


async def member_with_room(kamar: RunningServer, username: str) -> tuple[str, int]:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"username": username, "password": "rahasia-2026", "display_name": "Siti"}
        async with http.post("/api/auth/register", json=body) as response:
            assert response.status == 201
            token = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(
            "/api/rooms", json={"name": "Serikat", "kind": "work"}, headers=headers
        ) as response:
            assert response.status == 201
            room_id = (await response.json())["id"]
    return token, room_id


async def stored_texts(kamar: RunningServer, token: str, room_id: int) -> list[str]:
    async with (
        aiohttp.ClientSession(kamar.base_url) as http,
        http.get(
            f"/api/rooms/{room_id}/messages", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        page: dict[str, Any] = await response.json()
    return [message["text"] for message in page["messages"]]


async def open_signed_in(page: Page, kamar: RunningServer, token: str, room_id: int) -> None:
    await page.goto(kamar.base_url + "/")
    await page.evaluate("(token) => localStorage.setItem('kamar.session', token)", token)
    await page.goto(f"{kamar.base_url}/#/rooms/{room_id}/chat")
    await page.wait_for_selector("#chat-input", timeout=WAIT_MS)


async def test_a_message_sent_without_a_connection_survives_a_reload_and_goes_once(
    kamar: RunningServer, chromium: Browser
) -> None:
    token, room_id = await member_with_room(kamar, "siti")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await open_signed_in(page, kamar, token, room_id)

    # The server cannot be reached for posts (the feed's socket stays up, as on a phone whose
    # mobile data dropped a moment ago without the socket noticing yet).
    async def no_posts(route: Route) -> None:
        if route.request.method == "POST":
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await page.route("**/api/rooms/*/messages", no_posts)
    await page.fill("#chat-input", TEXT)
    await page.click("#chat-send")
    pending = page.locator("li.pending", has_text=TEXT)
    await pending.locator(".waiting-text").wait_for(timeout=WAIT_MS)
    assert await pending.locator(".waiting-text").text_content() == (
        "Menunggu jaringan; terkirim otomatis"
    )

    # A reload (or the app closed and opened again): the message is still there, waiting.
    await page.reload()
    await page.locator("li.pending", has_text=TEXT).wait_for(timeout=WAIT_MS)
    assert await stored_texts(kamar, token, room_id) == []

    # The browser reports the network back: the message goes by itself, once. The test's
    # network namespace has no interface but loopback, so Chromium believes itself offline
    # for good and never fires `online` by itself: the test fires it as Chromium would.
    await page.unroute("**/api/rooms/*/messages")
    await page.evaluate("() => window.dispatchEvent(new Event('online'))")
    await page.locator("#messages li:not(.pending)", has_text=TEXT).wait_for(timeout=WAIT_MS)
    await page.wait_for_function(
        "() => !document.querySelector('#messages li.pending')"
        " && !Object.keys(localStorage).some((key) => key.startsWith('kamar.outbox.'))",
        timeout=WAIT_MS,
    )
    assert await stored_texts(kamar, token, room_id) == [TEXT]
    # Coming back online again sends nothing more.
    await page.evaluate("() => window.dispatchEvent(new Event('online'))")
    await page.reload()
    await page.locator("#messages li:not(.pending)", has_text=TEXT).wait_for(timeout=WAIT_MS)
    assert await page.locator("#messages li", has_text=TEXT).count() == 1
    assert await stored_texts(kamar, token, room_id) == [TEXT]
    assert errors == []
    await context.close()


async def test_an_unsent_draft_is_still_in_the_box_after_a_reload(
    kamar: RunningServer, chromium: Browser
) -> None:
    token, room_id = await member_with_room(kamar, "budi")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)
    await page.fill("#chat-input", "belum selesai ditulis")
    await page.reload()
    await page.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert await page.input_value("#chat-input") == "belum selesai ditulis"
    await page.click("#chat-send")
    await page.locator("#messages li:not(.pending)", has_text="belum selesai").wait_for(
        timeout=WAIT_MS
    )
    await page.reload()
    await page.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert await page.input_value("#chat-input") == ""
    await context.close()


async def test_a_waiting_message_goes_by_itself_even_when_no_online_event_comes(
    kamar: RunningServer, chromium: Browser
) -> None:
    # The server out of reach while the phone has a network (a captive portal, a restart):
    # the browser says nothing, and the outbox tries again on its own timer (5 s, doubling).
    token, room_id = await member_with_room(kamar, "dewi")
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)

    async def no_posts(route: Route) -> None:
        if route.request.method == "POST":
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.route("**/api/rooms/*/messages", no_posts)
    await page.fill("#chat-input", "Sampai jumpa di rapat")
    await page.click("#chat-send")
    await page.locator("li.pending .waiting-text").wait_for(timeout=WAIT_MS)
    await page.unroute("**/api/rooms/*/messages")
    await page.locator("#messages li:not(.pending)", has_text="Sampai jumpa").wait_for(
        timeout=WAIT_MS
    )
    assert await stored_texts(kamar, token, room_id) == ["Sampai jumpa di rapat"]
    await context.close()
