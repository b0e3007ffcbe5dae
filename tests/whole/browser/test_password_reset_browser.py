"""Forgot password in real Chromium at 360x640 in Indonesian: the member, on a new phone, finds
"Lupa kata sandi?" and asks through the app; an administrator sees the request in the room's
member list and makes a reset code there; the member enters a wrong code (told so in
Indonesian), then the right one with a new password, and is signed in; the member's old phone
is signed out by its feed without a reload. With KAMAR_SCREENS=DIR (scripts/screens) the new
screens are photographed there."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from rooms.community.password_reset import new_code
from server.api.routing import community_of
from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, open_person, signed_in_page
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

NEW_PASSWORD = "sandi-baru-sari-2026"
FEED_ONLINE = "() => window.kamarApp.feed && window.kamarApp.feed.state === 'online'"


async def _account(http: aiohttp.ClientSession, username: str, name: str) -> tuple[str, int]:
    body = {"username": username, "password": "rahasia-123", "display_name": name}
    answer = await call(http, "POST", "/api/auth/register", expect=201, json=body)
    return answer["token"], answer["user"]["id"]


async def test_an_admin_code_lets_a_member_back_in_and_signs_out_the_old_phone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    shots = screens_dir(tmp_path)
    async with aiohttp.ClientSession(kamar.base_url) as http:
        admin_token, admin_id = await _account(http, "ketua", "Ketua Serikat")
        await community_of(kamar.server.app).accounts.set_admin(admin_id, True)
        sari_token, sari_id = await _account(http, "sari", "Sari Wulandari")
        room = await call(
            http, "POST", "/api/rooms", admin_token, 201, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        invite = await call(http, "POST", f"/api/rooms/{rid}/invites", admin_token, 201, json={})
        await call(http, "POST", f"/api/invites/{invite['code']}/accept", sari_token)

        # Sari's old phone is still signed in, its feed open.
        old_phone = await signed_in_page(chromium, kamar, sari_token, "#/rooms", PHONE)
        await old_phone.page.wait_for_function(FEED_ONLINE, timeout=WAIT_MS)

        # On a new phone Sari finds "Lupa kata sandi?" under the sign-in form.
        fresh = await open_person(chromium, PHONE, kamar.base_url + "/")
        m = fresh.page
        await m.wait_for_selector("#login-form", timeout=WAIT_MS)
        assert await m.inner_text("#forgot-link") == "Lupa kata sandi?"
        await m.click("#forgot-link")
        await m.wait_for_selector("#forgot h1:has-text('Lupa kata sandi?')", timeout=WAIT_MS)
        assert "pengurus" in await m.inner_text("#forgot")
        # She asks through the app; the answer would be the same for any name.
        await m.fill("#ask-login", "sari")
        await m.click("#ask-form button[type=submit]")
        await m.wait_for_selector("#ask-sent:not([hidden])", timeout=WAIT_MS)
        await m.locator("#ask-form button[type=submit]").scroll_into_view_if_needed()
        await shoot(m, shots, "password-forgot")

        # The administrator opens the room's members and makes a code (two taps).
        admin = await signed_in_page(chromium, kamar, admin_token, f"#/rooms/{rid}/info", PHONE)
        a = admin.page
        button = a.locator(f"button[data-reset='{sari_id}']")
        await button.wait_for(timeout=WAIT_MS)
        # Sari's request shows beside her name.
        asked = a.locator(f"li[data-user-id='{sari_id}'] .reset-asked")
        await asked.wait_for(timeout=WAIT_MS)
        assert await asked.inner_text() == "minta reset sandi"
        assert await a.locator(f"button[data-reset='{admin_id}']").count() == 0  # not oneself
        await button.click()
        assert await button.inner_text() == "Buat kode reset?"
        await button.click()
        shown = a.locator(f"#reset-code-{sari_id}")
        await shown.wait_for(timeout=WAIT_MS)
        code = await shown.inner_text()
        assert len(code) == 14 and code.count("-") == 2, code
        await shown.scroll_into_view_if_needed()
        assert await button.inner_text() == "Reset sandi"
        # No sideways scrolling on a phone, with four buttons beside the member and the code.
        assert await a.evaluate("document.documentElement.scrollWidth <= innerWidth")
        panel = await a.locator(".reset-code").bounding_box()
        assert panel is not None and 0 <= panel["x"]
        assert panel["x"] + panel["width"] <= PHONE["width"]
        assert "Sari Wulandari" in await a.locator(".reset-code").inner_text()
        await shoot(a, shots, "password-reset-code")

        await m.click("#have-code")
        await m.wait_for_selector("#reset-form", timeout=WAIT_MS)

        # A wrong code: said in Indonesian, the code field marked, nothing changed.
        await m.fill("#reset-code", new_code())
        await m.fill("#reset-password", NEW_PASSWORD)
        await m.click("#reset-form button[type=submit]")
        await m.wait_for_selector("#reset-code[aria-invalid=true]", timeout=WAIT_MS)
        error = await m.inner_text("#reset-form .error[role=alert]")
        assert error.startswith("Kode reset ini tidak dikenal"), error
        await call(http, "GET", "/api/me", sari_token)  # the old session still works
        await m.fill("#reset-code", code.lower().replace("-", " "))
        await shoot(m, shots, "password-reset-enter-code")

        # The right code: signed in on the new phone, the room list showing her room.
        await m.click("#reset-form button[type=submit]")
        await m.wait_for_selector(f".room-item[data-room-id='{rid}']", timeout=WAIT_MS)
        assert "/reset" not in m.url  # the spent code left the address bar
        await m.wait_for_function(FEED_ONLINE, timeout=WAIT_MS)

        # The old phone is signed out by its feed, without a reload; the old token is refused.
        await old_phone.page.wait_for_selector("#login-form", timeout=WAIT_MS)
        await call(http, "GET", "/api/me", sari_token, expect=401)
        await call(
            http, "POST", "/api/auth/login", json={"login": "sari", "password": NEW_PASSWORD}
        )
        # The code opens once: the same link again says it was used.
        await old_phone.page.goto(f"{kamar.base_url}/#/reset/{code}")
        await old_phone.page.fill("#reset-password", "lagi-lagi-2026")
        await old_phone.page.click("#reset-form button[type=submit]")
        used = old_phone.page.locator("#reset-form .error[role=alert]")
        await used.wait_for(timeout=WAIT_MS)
        assert (await used.inner_text()).startswith("Kode reset ini sudah dipakai")
        for person in (old_phone, admin, fresh):
            assert person.errors == []
