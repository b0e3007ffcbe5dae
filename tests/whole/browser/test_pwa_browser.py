"""The app on a phone as an installed app: Chromium finds it installable (the DevTools
protocol's own check) and offers it through the app's own "Pasang aplikasi" button; with the
network gone a reload shows the app with the rooms and messages it last saw, not the browser's
error page; a message written then survives another reload and goes out once when the network
returns."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import RunningServer
from tests.whole.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, png
from tests.whole.browser.test_offline_chat_browser import (
    member_with_room,
    open_signed_in,
    stored_texts,
)
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot

pytestmark = [pytest.mark.browser]


async def post_photo(kamar: RunningServer, token: str, room_id: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(kamar.base_url) as http:
        form = aiohttp.FormData()
        form.add_field("file", png(64, 48), filename="spanduk.png", content_type="image/png")
        async with http.post(
            f"/api/rooms/{room_id}/attachments", data=form, headers=headers
        ) as response:
            assert response.status == 201, await response.text()
            attachment = await response.json()
        body = {"text": "Foto spanduk", "attachments": [attachment["id"]]}
        async with http.post(
            f"/api/rooms/{room_id}/messages", json=body, headers=headers
        ) as response:
            assert response.status == 201, await response.text()


# Runs before the page's scripts: what the member answered to each install dialog.
INSTALL_CHOICES = """window.kamarInstallChoices = [];
window.addEventListener("beforeinstallprompt", (event) => {
  event.userChoice.then((choice) => window.kamarInstallChoices.push(choice.outcome));
});"""


async def controlled(page: Page) -> None:
    """Until the service worker controls the page (it claims its clients on activation)."""
    await page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=WAIT_MS,
    )


async def test_chromium_finds_the_app_installable(kamar: RunningServer, tmp_path: Path) -> None:
    # A persistent profile: an incognito-like context is never installable.
    async with async_playwright() as playwright:
        context: BrowserContext = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            locale="id-ID",
        )
        try:
            await context.add_init_script(INSTALL_CHOICES)
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(kamar.base_url + "/")
            await controlled(page)
            cdp = await context.new_cdp_session(page)
            answer = await cdp.send("Page.getInstallabilityErrors")
            assert answer["installabilityErrors"] == []
            manifest = await cdp.send("Page.getAppManifest")
            assert manifest["url"].endswith("/manifest.webmanifest")
            assert not manifest["errors"]
            # The install prompt: Chromium's beforeinstallprompt shows the app's own button,
            # and a tap opens Chromium's dialog (the event's userChoice settles only then;
            # headless Chromium dismisses it at once, and offers installing again).
            install = page.locator("#btn-install")
            await install.wait_for(timeout=WAIT_MS)
            assert await install.text_content() == "Pasang aplikasi"
            await install.click()
            await page.wait_for_function(
                "() => window.kamarInstallChoices.length > 0", timeout=WAIT_MS
            )
        finally:
            await context.close()


async def test_offline_the_app_opens_with_its_rooms_and_messages_and_sends_later(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    token, room_id = await member_with_room(kamar, "siti")
    await post_photo(kamar, token, room_id)
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await open_signed_in(page, kamar, token, room_id)
    await page.fill("#chat-input", "Selamat pagi semua")
    await page.click("#chat-send")
    await page.locator("#messages li:not(.pending)", has_text="Selamat pagi").wait_for(
        timeout=WAIT_MS
    )
    await controlled(page)
    # Once more online, so the worker has seen the answers the app needs at start.
    await page.reload()
    await page.locator("#messages li:not(.pending)", has_text="Selamat pagi").wait_for(
        timeout=WAIT_MS
    )

    await context.set_offline(True)
    await page.reload()
    # The app, its room and its message: from the worker's cache.
    await page.locator("#messages li:not(.pending)", has_text="Selamat pagi").wait_for(
        timeout=WAIT_MS
    )
    assert await page.title() == "Kamar"
    # The photo's thumbnail too, from the same cache.
    await page.wait_for_function(
        "() => { const img = document.querySelector('#messages .thumb-img');"
        " return img && img.complete && img.naturalWidth > 0; }",
        timeout=WAIT_MS,
    )

    # Written offline, then the app is reloaded offline: still waiting, still there.
    await page.fill("#chat-input", "Besok rapat jam 7")
    await page.click("#chat-send")
    await page.locator("li.pending .waiting-text").wait_for(timeout=WAIT_MS)
    await page.reload()
    await page.locator("li.pending", has_text="Besok rapat").wait_for(timeout=WAIT_MS)
    await page.locator("#conn", has_text="Offline — menunggu jaringan").wait_for(timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "offline-reload")

    await context.set_offline(False)
    await page.locator("#messages li:not(.pending)", has_text="Besok rapat").wait_for(
        timeout=WAIT_MS
    )
    await page.wait_for_function(
        "() => !document.querySelector('#messages li.pending')", timeout=WAIT_MS
    )
    assert await stored_texts(kamar, token, room_id) == [
        "Foto spanduk",
        "Selamat pagi semua",
        "Besok rapat jam 7",
    ]
    assert errors == []
    await context.close()
