"""Notifications in real Chromium at 360x640 in Indonesian: the service worker shows what a
push delivers (delivered through the DevTools protocol, as a push service would after the
browser decrypted it), one notification per room; room info mutes the room on the server; the
profile has the switch; a phone without a push service is told so in its language; a tapped
notification never takes a meeting's window away. Every wait polls a condition with a
deadline."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, signed_in_page
from tests.whole.browser.test_forward_browser import room_of
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_pwa_browser import controlled
from tests.whole.browser.test_search_browser import register

pytestmark = [pytest.mark.browser]


async def shown_notifications(page: Page) -> list[list[str]]:
    """The service worker's notifications, once there are some (polled, with a deadline)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        found: list[list[str]] = await page.evaluate(
            """async () => {
              const registration = await navigator.serviceWorker.ready;
              const found = await registration.getNotifications();
              return found.map((n) => [n.title, n.body, n.tag]);
            }"""
        )
        if found or time.monotonic() > deadline:
            return found
        await page.wait_for_timeout(50)


async def test_a_push_is_shown_and_a_room_is_muted(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await register(http, "siti")
        room = await room_of(http, siti, "PUK Garmen")
    person = await signed_in_page(chromium, kamar, siti, f"#/rooms/{room}/info", PHONE)
    page = person.page
    await person.context.grant_permissions(["notifications"], origin=kamar.base_url)
    await controlled(page)

    cdp = await person.context.new_cdp_session(page)
    registrations: list[dict[str, str]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    # A push reaches only an activated worker: wait for that state, not merely `ready`
    # (which resolves while the worker may still be activating on a busy machine).
    await page.wait_for_function(
        """() => navigator.serviceWorker.ready.then(
             (r) => !!r.active && r.active.state === "activated")""",
        timeout=WAIT_MS,
    )
    assert registrations, "no service worker registration reported"
    shown = {"title": "PUK Garmen", "body": "Budi: Rapat jam 8", "url": f"/#/rooms/{room}",
             "tag": f"room-{room}", "mention": False}  # fmt: skip
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": kamar.base_url + "/",
            "registrationId": registrations[0]["registrationId"],
            "data": json.dumps(shown),
        },
    )
    assert await shown_notifications(page) == [["PUK Garmen", "Budi: Rapat jam 8", f"room-{room}"]]

    # Room info: the mute switch reaches the server.
    mute = page.locator("#room-mute")
    await page.wait_for_selector("#room-mute:not([disabled])", timeout=WAIT_MS)
    await mute.check()
    await page.wait_for_selector("#room-mute:not([disabled])", timeout=WAIT_MS)
    async with aiohttp.ClientSession(kamar.base_url) as http:
        assert (await api_call(http, "GET", "/api/push", siti))["muted_rooms"] == [room]
    await shoot(page, screens_dir(tmp_path), "room-info-mute")

    # The in-app list, for browsers without push too: a mention, an announcement and an event
    # starting soon.
    async with aiohttp.ClientSession(kamar.base_url) as http:
        budi = await register(http, "budi")
        invite = await api_call(http, "POST", f"/api/rooms/{room}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        body = {"text": "@Siti tolong bawa spanduk"}
        await api_call(http, "POST", f"/api/rooms/{room}/messages", budi, json=body)
        start = datetime.now(UTC) + timedelta(minutes=30)
        event = {
            "title": "Rapat pengurus",
            "kind": "meeting",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        }
        await api_call(http, "POST", f"/api/rooms/{room}/events", siti, json=event)
        # An announcement from a moderator (Siti's own would not be news to her).
        me = await api_call(http, "GET", "/api/me", budi)
        role = {"role": "moderator"}
        await api_call(http, "PATCH", f"/api/rooms/{room}/members/{me['id']}", siti, json=role)
        announcement = {"title": "Mogok 1 Mei", "text": "Kumpul jam 7", "room_ids": [room]}
        await api_call(http, "POST", "/api/announcements", budi, json=announcement)
    await page.goto(f"{kamar.base_url}/#/rooms")
    await page.wait_for_selector(f".room-item[data-room-id='{room}']", timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "room-list")
    await page.click("#open-notices", timeout=WAIT_MS)
    await page.wait_for_selector("#notices-mentions .search-hit", timeout=WAIT_MS)
    assert await page.inner_text("#notices-mentions .search-text") == "@Siti tolong bawa spanduk"
    assert await page.inner_text("#notices-events .search-text") == "Rapat pengurus"
    assert (await page.inner_text("#notices-announcements .search-text")).startswith("Mogok 1 Mei")
    await shoot(page, screens_dir(tmp_path), "notification-list")

    await page.goto(f"{kamar.base_url}/#/me")
    await page.wait_for_selector("#notify-toggle:has-text('Aktifkan notifikasi')", timeout=WAIT_MS)
    await page.locator("#profile-notify").scroll_into_view_if_needed()
    await shoot(page, screens_dir(tmp_path), "profile-notifications")
    await person.context.close()


# A phone whose browser has no push service (many sold in Indonesia come without Google's): the
# browser refuses the subscription with its own English words.
NO_PUSH_SERVICE = """PushManager.prototype.subscribe = function () {
  return Promise.reject(new DOMException("Registration failed - push service error", "AbortError"));
};"""


async def test_a_phone_without_a_push_service_is_told_so_in_its_language(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await register(http, "siti")
    person = await signed_in_page(chromium, kamar, siti, "#/me", PHONE)
    page = person.page
    await person.context.add_init_script(NO_PUSH_SERVICE)
    await person.context.grant_permissions(["notifications"], origin=kamar.base_url)
    await page.reload()
    await controlled(page)
    await page.click("#notify-toggle:has-text('Aktifkan notifikasi')", timeout=WAIT_MS)
    status = page.locator("#notify-status", has_text="layanan push-nya tidak tersedia")
    await status.wait_for(timeout=WAIT_MS)
    assert "Registration failed" not in await page.inner_text("body")
    # Still off, and the switch is there to try again.
    assert await page.text_content("#notify-toggle") == "Aktifkan notifikasi"
    assert person.errors == []
    await person.context.close()


# Run inside the service worker itself: which open window a tapped notification takes over.
WINDOW_CHOICE = """(origin) => {
  const open = (...paths) => paths.map((path) => ({ url: origin + path, focus() {} }));
  const pick = (windows) => {
    const chosen = windowForNotification(windows, origin);
    return chosen ? new URL(chosen.url).pathname + new URL(chosen.url).hash : null;
  };
  return [
    pick(open("/r/kamar-3", "/#/rooms/3")),
    pick(open("/r/kamar-3")),
    pick([{ url: "https://elsewhere.example/", focus() {} }]),
  ];
}"""


async def test_a_tapped_notification_never_takes_a_meeting_window_away(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await register(http, "siti")
    person = await signed_in_page(chromium, kamar, siti, "#/rooms", PHONE)
    await controlled(person.page)
    workers = person.context.service_workers
    worker = workers[0] if workers else await person.context.wait_for_event("serviceworker")
    # The app's window is taken to the room; a meeting in a call is left alone, and the room
    # opens in a new window instead.
    assert await worker.evaluate(WINDOW_CHOICE, kamar.base_url) == ["/#/rooms/3", None, None]
    await person.context.close()
