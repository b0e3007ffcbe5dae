"""The web client inside an Android WebView host (docs/android.md), played by Chromium at 360x640
in Indonesian: a WebView's user agent, and before any page script the APIs an
android.webkit.WebView lacks are taken away (the Push and Notification APIs, a service worker
the host did not set up, Web Share); Chromium's install prompt never comes. A new member signs up
from an invitation, writes, sends a photo chosen through <input type=file>, is mentioned, reads
the in-app notification list and the profile's word on push, and nothing asks for camera or
microphone until they join the room's meeting, which then asks once. No JavaScript dialog is
ever opened: a WebView without onJsAlert/onJsConfirm shows none. Every wait polls a condition
with a deadline. With KAMAR_SCREENS=DIR (scripts/screens) the profile's screenshot is kept
there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Dialog, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, png, register
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_search_browser import register as register_by_api

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# A WebView on a cheap Android phone: "wv" and "Version/4.0" are how a WebView says so.
WEBVIEW_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 13; SM-A045F Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36"
)

# Runs before the page's scripts: takes away what a WebView does not have, and counts every
# camera or microphone request with what it asked for.
WEBVIEW = """(() => {
  delete window.PushManager;
  delete window.Notification;
  delete Navigator.prototype.serviceWorker;
  delete Navigator.prototype.share;
  window.kamarWebView = { mediaRequests: [] };
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => {
      const asked = Object.keys(constraints || {}).filter((kind) => constraints[kind]).sort();
      window.kamarWebView.mediaRequests.push(asked.join("+"));
      return original(constraints);
    };
  }
})();"""


async def media_requests(page: Page) -> list[str]:
    requests: list[str] = await page.evaluate("window.kamarWebView.mediaRequests")
    return requests


async def room_with_invite(kamar: RunningServer) -> tuple[str, int, str]:
    """An organiser's room and an invitation to it: (organiser's token, room id, link)."""
    async with aiohttp.ClientSession(kamar.base_url) as http:
        organiser = await register_by_api(http, "ketua")
        room = await api_call(
            http, "POST", "/api/rooms", organiser, json={"name": "PUK Garmen", "kind": "work"}
        )
        invite = await api_call(
            http, "POST", f"/api/rooms/{room['id']}/invites", organiser, json={}
        )
    return organiser, room["id"], f"{kamar.base_url}/#/invite/{invite['code']}"


async def test_a_new_member_uses_the_app_inside_an_android_webview(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    organiser, room_id, invitation = await room_with_invite(kamar)
    context = await chromium.new_context(
        viewport=PHONE, locale="id-ID", user_agent=WEBVIEW_USER_AGENT, is_mobile=True
    )
    await context.add_init_script(WEBVIEW)
    page = await context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refuse(dialog: Dialog) -> Any:
        dialogs.append(dialog.message)
        return dialog.dismiss()

    page.on("dialog", refuse)

    await page.goto(invitation)
    assert await page.evaluate("typeof PushManager + typeof Notification") == "undefinedundefined"
    assert await page.evaluate("'serviceWorker' in navigator") is False
    await register(page, "Siti Aminah", "siti")
    await page.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert page.url.endswith(f"#/rooms/{room_id}")
    # Chromium's install prompt never comes in a WebView: its button stays hidden.
    assert await page.locator("#btn-install").is_hidden()

    await page.fill("#chat-input", "Saya ikut rapat besok")
    await page.click("#chat-send")
    await page.wait_for_selector("#messages li.msg.mine[data-id] .text", timeout=WAIT_MS)
    # A photo from the phone's gallery: a WebView host answers <input type=file> with its
    # file chooser (onShowFileChooser).
    await page.set_input_files(
        "#chat-file",
        files=[{"name": "spanduk.png", "mimeType": "image/png", "buffer": png(96, 64)}],
    )
    await page.click("#chat-send")
    await page.wait_for_function(
        """() => [...document.querySelectorAll('#messages li.msg.mine[data-id] img.thumb-img')]
                 .some((img) => img.complete && img.naturalWidth > 0)""",
        timeout=WAIT_MS,
    )

    # The organiser names her: the message arrives over the feed, and the in-app list has it
    # for a phone without push.
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"text": "@Siti Aminah tolong bawa spanduk"}
        await api_call(http, "POST", f"/api/rooms/{room_id}/messages", organiser, json=body)
    await page.wait_for_selector(
        "#messages li.msg:not(.mine) .text:has-text('tolong bawa spanduk')", timeout=WAIT_MS
    )
    await page.goto(f"{kamar.base_url}/#/rooms")
    await page.click("#open-notices", timeout=WAIT_MS)
    await page.wait_for_selector("#notices-mentions .search-hit", timeout=WAIT_MS)
    assert "tolong bawa spanduk" in await page.inner_text("#notices-mentions .search-text")

    # The profile explains that this app shows no push notifications, and offers no switch.
    await page.goto(f"{kamar.base_url}/#/me")
    status = page.locator("#notify-status")
    await status.wait_for(timeout=WAIT_MS)
    assert (await status.text_content() or "").startswith("Peramban atau aplikasi ini tidak")
    assert await page.locator("#notify-toggle").is_hidden()
    await page.wait_for_selector("#my-activity-kept", timeout=WAIT_MS)  # the page is loaded
    await page.locator("#profile-notify").scroll_into_view_if_needed()
    await shoot(page, screens_dir(tmp_path), "webview-profile-no-push")

    # Nothing so far has asked for the camera or the microphone.
    assert await media_requests(page) == []
    await page.goto(f"{kamar.base_url}/#/rooms/{room_id}")
    await page.click("#btn-meeting", timeout=WAIT_MS)
    await page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'", timeout=WAIT_MS
    )
    assert await page.text_content("#room-name") == "PUK Garmen"
    # Joining as a speaker asks once, for both.
    assert await media_requests(page) == ["audio+video"]
    assert dialogs == []
    assert errors == []
    await context.close()
