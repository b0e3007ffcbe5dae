"""The profile page (#/me) of the community client in real Chromium pages against the real
server: editing the display name (others see it on the next message), a wrong and then a right
current password (the page carries on with the new session token, the old one is refused), and
signing out every other device. Every wait polls a condition with a deadline."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import (
    PHONE,
    WAIT_MS,
    open_person,
    register,
    signed_in_page,
)

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

FIRST_PASSWORD = "rahasia-serikat-2026"  # what register() types
NEW_PASSWORD = "sandi-baru-yang-panjang"
SESSION = "localStorage.getItem('kamar.session')"
# A draft and a town-hall question this account left on the phone, and a question of another
# account whose id starts with the same digits (web/base/kept.js, typedPrefix).
LEAVE_TYPED = """() => {
  const me = window.kamarApp.me.id;
  localStorage.setItem(`kamar.draft.${me}.1`, "Draf");
  localStorage.setItem(`kamar.typed.user-${me}/e1`, "[]");
  localStorage.setItem(`kamar.typed.user-${me}0/e1`, "[]");
  return `kamar.typed.user-${me}0/e1`;
}"""
TYPED_KEYS = """() => Object.keys(localStorage)
  .filter((key) => key.startsWith('kamar.typed.') || key.startsWith('kamar.draft.'))"""


async def call(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    token: str | None = None,
    expect: int = 200,
    **kwargs: Any,
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, path, headers=headers, **kwargs) as response:
        text = await response.text()
        assert response.status == expect, f"{method} {path}: {response.status} {text}"
        return await response.json() if response.content_type == "application/json" else text


async def fits_the_width(page: Page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    overflow = await page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('#profile, #profile *')]
                 .filter((el) => el.getBoundingClientRect().right > innerWidth + 1
                                 && el.getClientRects().length)
                 .map((el) => el.id || el.tagName)"""
    )
    assert overflow == [], overflow


async def feed_uses_stored_token(page: Page) -> None:
    await page.wait_for_function(
        f"""() => window.kamarApp.feed && window.kamarApp.feed.state === 'online'
                 && window.kamarApp.feed.token === {SESSION}""",
        timeout=WAIT_MS,
    )


async def test_profile_name_password_and_sign_out_everywhere(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        # Siti registers on a phone-sized page; Budi through the API. They share a room.
        siti = await open_person(chromium, PHONE, kamar.base_url + "/")
        await siti.context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=kamar.base_url
        )
        a = siti.page
        await register(a, "Siti Aminah", "siti")
        await a.wait_for_selector("#new-room", timeout=WAIT_MS)
        first_token = await a.evaluate(SESSION)
        assert first_token
        budi_token = (
            await call(
                http,
                "POST",
                "/api/auth/register",
                expect=201,
                json={"username": "budi", "password": "rahasia-budi", "display_name": "Budi"},
            )
        )["token"]
        room = await call(
            http, "POST", "/api/rooms", first_token, 201, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        invite = await call(http, "POST", f"/api/rooms/{rid}/invites", first_token, 201, json={})
        await call(http, "POST", f"/api/invites/{invite['code']}/accept", budi_token)
        budi = await signed_in_page(chromium, kamar, budi_token, f"#/rooms/{rid}")
        b = budi.page
        await b.wait_for_selector("#chat-input", timeout=WAIT_MS)
        # Siti is also signed in on a second device (a desktop at the office).
        office = await signed_in_page(chromium, kamar, first_token, "#/rooms")
        await office.page.wait_for_selector(f".room-item[data-room-id='{rid}']", timeout=WAIT_MS)

        # The profile opens from the room list's header and fits a 360 px screen.
        await a.wait_for_selector(f".room-item[data-room-id='{rid}']", timeout=WAIT_MS)
        await a.click("#open-profile")
        await a.wait_for_url("**#/me", timeout=WAIT_MS)
        await a.wait_for_selector("#profile-form", timeout=WAIT_MS)
        assert await a.input_value("#profile-display_name") == "Siti Aminah"
        assert await a.inner_text("#profile-username") == "siti"
        await fits_the_width(a)

        # The personal calendar link is absolute, works without a session, and copies.
        calendar_url = await a.input_value("#calendar-url")
        assert calendar_url.startswith(kamar.base_url + "/api/me/calendar.ics?token="), calendar_url
        assert "BEGIN:VCALENDAR" in await call(http, "GET", calendar_url)
        await a.click("#copy-calendar")
        await a.wait_for_selector("#calendar-copied:has-text('Tersalin')", timeout=WAIT_MS)
        assert await a.evaluate("navigator.clipboard.readText()") == calendar_url

        # An empty name is refused by the server: the field is marked, the message shown.
        await a.fill("#profile-display_name", "")
        await a.click("#profile-save")
        await a.wait_for_selector("#profile-display_name[aria-invalid=true]", timeout=WAIT_MS)
        assert await a.locator("#profile-form .error[role=alert]").is_visible()

        # A new name, organisation and city are saved.
        await a.fill("#profile-display_name", "Siti Rahma")
        await a.fill("#profile-organisation", "SPN Bekasi")
        await a.fill("#profile-city", "Bekasi")
        await a.click("#profile-save")
        await a.wait_for_selector(
            "#profile-status:has-text('Perubahan tersimpan')", timeout=WAIT_MS
        )
        assert await a.locator("#profile-form [aria-invalid]").count() == 0
        assert await a.inner_text("#profile-name") == "Siti Rahma"
        own = await call(http, "GET", "/api/me", first_token)
        assert own["display_name"] == "Siti Rahma"
        assert own["organisation"] == "SPN Bekasi"
        assert own["region"]["city"] == "Bekasi"

        # Back on the room list the greeting uses the new name; Budi sees it on her message.
        await a.click("#profile .back")
        await a.wait_for_selector("h1:has-text('Halo, Siti Rahma')", timeout=WAIT_MS)
        await a.click(f".room-item[data-room-id='{rid}']")
        await a.fill("#chat-input", "Nama saya sudah diganti")
        await a.click("#chat-send")
        await b.wait_for_selector(
            "#messages li.msg:not(.mine):has-text('Nama saya sudah diganti')"
            " .author:text-is('Siti Rahma')",
            timeout=WAIT_MS,
        )

        # A wrong current password: the field says so and Siti stays signed in.
        await a.click(".room-head .back")
        await a.click("#open-profile")
        await a.wait_for_selector("#password-form", timeout=WAIT_MS)
        await a.fill("#profile-current_password", "bukan-sandinya")
        await a.fill("#profile-new_password", NEW_PASSWORD)
        await a.fill("#profile-new_password_repeat", NEW_PASSWORD)
        await a.click("#password-submit")
        await a.wait_for_selector("#profile-current_password[aria-invalid=true]", timeout=WAIT_MS)
        assert await a.locator("#password-form .error[role=alert]").is_visible()
        assert await a.evaluate(SESSION) == first_token
        assert a.url.endswith("#/me")
        assert await a.locator("#login-form").count() == 0
        await call(http, "GET", "/api/me", first_token)  # still a good session

        # Two different new passwords are caught before anything is sent.
        await a.fill("#profile-current_password", FIRST_PASSWORD)
        await a.fill("#profile-new_password_repeat", NEW_PASSWORD + "!")
        await a.click("#password-submit")
        await a.wait_for_selector(
            "#profile-new_password_repeat[aria-invalid=true]", timeout=WAIT_MS
        )

        # The right one: the page carries on with a new token; the old one is refused.
        await a.fill("#profile-new_password_repeat", NEW_PASSWORD)
        await a.click("#password-submit")
        await a.wait_for_selector(
            "#password-status:has-text('Kata sandi sudah diganti')", timeout=WAIT_MS
        )
        assert await a.locator("#password-form [aria-invalid]").count() == 0
        assert await a.input_value("#profile-current_password") == ""
        second_token = await a.evaluate(SESSION)
        assert second_token and second_token != first_token
        await call(http, "GET", "/api/me", first_token, expect=401)
        await call(http, "GET", "/api/me", second_token)
        await call(
            http,
            "POST",
            "/api/auth/login",
            json={"login": "siti", "password": NEW_PASSWORD},
        )
        await feed_uses_stored_token(a)
        # The feed on the new token still brings news: Budi's message reaches her room list.
        await b.fill("#chat-input", "Sandi baru, aman")
        await b.press("#chat-input", "Enter")
        await a.wait_for_function(
            f"""() => {{
                const room = window.kamarApp.rooms.get({rid});
                return room && room.last_message && room.last_message.text === 'Sandi baru, aman';
            }}""",
            timeout=WAIT_MS,
        )
        # And requests carry the new token: an edit is saved.
        await a.fill("#profile-organisation", "SPN Kabupaten Bekasi")
        await a.click("#profile-save")
        await a.wait_for_selector(
            "#profile-status:has-text('Perubahan tersimpan')", timeout=WAIT_MS
        )
        assert a.url.endswith("#/me")

        # The office computer was signed out: the next load asks it to sign in again.
        await office.page.reload()
        await office.page.wait_for_selector("#login-form", timeout=WAIT_MS)

        # Sign out everywhere (two taps): again a new token here, the previous one is refused.
        await a.click("#revoke-sessions")
        assert await a.inner_text("#revoke-sessions") == "Ketuk lagi untuk memastikan"
        await a.click("#revoke-sessions")
        await a.wait_for_selector("#sessions-status:has-text('sudah dikeluarkan')", timeout=WAIT_MS)
        third_token = await a.evaluate(SESSION)
        assert third_token and third_token not in (first_token, second_token)
        await call(http, "GET", "/api/me", second_token, expect=401)
        await call(http, "GET", "/api/me", third_token)
        await feed_uses_stored_token(a)
        assert await a.input_value("#calendar-url") == calendar_url  # calendar links stay

        # "New link" (two taps) replaces the calendar link: the old one stops working.
        await a.click("#new-calendar-link")
        confirm = "Ketuk lagi: tautan lama berhenti bekerja"
        assert await a.inner_text("#new-calendar-link") == confirm
        await a.click("#new-calendar-link")
        await a.wait_for_selector("#calendar-copied:has-text('Tautan baru')", timeout=WAIT_MS)
        new_calendar_url = await a.input_value("#calendar-url")
        assert new_calendar_url.startswith(kamar.base_url + "/api/me/calendar.ics?token=")
        assert new_calendar_url != calendar_url
        await call(http, "GET", calendar_url, expect=404)
        assert "BEGIN:VCALENDAR" in await call(http, "GET", new_calendar_url)
        await a.click("#profile .back")
        await a.wait_for_selector(f".room-item[data-room-id='{rid}']", timeout=WAIT_MS)
        assert await a.locator("#login-form").count() == 0

        # On a desktop the profile sits beside the room list.
        await b.click("#tab-chat")
        await b.click("#open-profile")
        await b.wait_for_selector("#profile-form", timeout=WAIT_MS)
        assert await b.locator("#sidebar").is_visible()
        assert await b.locator("#open-profile[aria-current=page]").count() == 1
        assert await b.input_value("#profile-display_name") == "Budi"
        await fits_the_width(b)

        # Signing out on this device from the profile page: what the account typed goes too.
        others = await a.evaluate(LEAVE_TYPED)
        await a.click("#open-profile")
        await a.click("#profile-logout")
        await a.wait_for_selector("#login-form", timeout=WAIT_MS)
        assert await a.evaluate(SESSION) is None
        assert await a.evaluate(TYPED_KEYS) == [others]

    for person in (siti, budi, office):
        assert person.errors == [], person.errors
        await person.context.close()
