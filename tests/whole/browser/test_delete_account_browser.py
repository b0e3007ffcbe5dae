"""Deleting one's account in real Chromium at 360x640 in Indonesian (docs/api.md "Deleting an
account"): the profile says what goes and what stays; a wrong password is a field error and
changes nothing; the right one, tapped twice, signs the phone out; the other member's open room
then shows the kept message under "Anggota terhapus". With KAMAR_SCREENS=DIR (scripts/screens)
the screenshot is kept there. Every wait polls a condition with a deadline."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, signed_in_page
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_search_browser import register

pytestmark = [pytest.mark.browser]


async def test_a_member_deletes_their_account_on_a_phone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = await register(http, "siti"), await register(http, "budi")
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        invite = await api_call(http, "POST", f"/api/rooms/{rid}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        message = {"text": "Rapat besok jam 7"}
        await api_call(http, "POST", f"/api/rooms/{rid}/messages", siti, json=message)
        budi_id = (await api_call(http, "GET", "/api/me", budi))["id"]
        direct = await api_call(http, "POST", "/api/direct", siti, json={"user_id": budi_id})
        hello = {"text": "Halo Budi"}
        await api_call(http, "POST", f"/api/rooms/{direct['id']}/messages", siti, json=hello)

        phone = await signed_in_page(chromium, kamar, siti, "#/me", viewport=PHONE)
        page = phone.page
        await page.wait_for_selector("#profile-delete", timeout=WAIT_MS)
        await page.locator("#profile-delete").scroll_into_view_if_needed()
        warning = await page.inner_text("#profile-delete")
        assert "tidak bisa dibatalkan" in warning and "Anggota terhapus" in warning
        await shoot(page, screens_dir(tmp_path), "delete-account")

        # A wrong password, tapped twice: the field says so and nothing changes.
        await page.fill("#delete-password", "bukan-sandinya")
        await page.click("#delete-account")
        await page.wait_for_selector("#delete-account:has-text('Ketuk lagi')", timeout=WAIT_MS)
        await page.click("#delete-account")
        await page.wait_for_selector("#delete-password[aria-invalid=true]", timeout=WAIT_MS)
        assert page.url.endswith("#/me")
        await api_call(http, "GET", "/api/me", siti)

        budi_page = (await signed_in_page(chromium, kamar, budi, f"#/rooms/{rid}")).page
        await budi_page.wait_for_selector(
            "#messages li.msg .author:text-is('Siti')", timeout=WAIT_MS
        )

        # The right one: the phone is signed out with a notice, and the account is gone.
        await page.fill("#delete-password", "rahasia-serikat")
        await page.click("#delete-account")
        await page.click("#delete-account")
        await page.wait_for_selector("#login-form, #register-form", timeout=WAIT_MS)
        await page.wait_for_selector("text=Akun Anda sudah dihapus", timeout=WAIT_MS)
        async with http.get("/api/me", headers={"Authorization": f"Bearer {siti}"}) as answer:
            assert answer.status == 401
        await budi_page.reload()
        await budi_page.wait_for_selector(
            "#messages li.msg:has-text('Rapat besok jam 7') .author:text-is('Anggota terhapus')",
            timeout=WAIT_MS,
        )
        # The direct conversation stays Budi's, named for a deleted member.
        await budi_page.wait_for_selector(
            f".room-item[data-room-id='{direct['id']}'] .room-title:text-is('Anggota terhapus')",
            timeout=WAIT_MS,
        )
        await budi_page.click(f".room-item[data-room-id='{direct['id']}']")
        await budi_page.wait_for_selector(
            "#room-title:text-is('Anggota terhapus')", timeout=WAIT_MS
        )
        await budi_page.wait_for_selector("#messages li.msg:has-text('Halo Budi')", timeout=WAIT_MS)


async def test_an_administrator_deletes_a_member_from_the_member_list(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = await register(http, "siti"), await register(http, "budi")
        me = await api_call(http, "GET", "/api/me", siti)
        await kamar.server.app[SERVICES_KEY].community.accounts.set_admin(me["id"], True)
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        invite = await api_call(http, "POST", f"/api/rooms/{rid}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)

        admin = await signed_in_page(chromium, kamar, siti, f"#/rooms/{rid}/info", viewport=PHONE)
        page = admin.page
        await page.wait_for_selector("#member-list li.member:has-text('Budi')", timeout=WAIT_MS)
        button = "#member-list li.member:has-text('Budi') .admin-delete"
        assert await page.locator("#member-list .admin-delete").count() == 1  # not on herself
        await page.click(button)
        await page.wait_for_selector(f"{button}:has-text('Ketuk lagi')", timeout=WAIT_MS)
        await shoot(page, screens_dir(tmp_path), "admin-delete-member")
        wide = await page.evaluate(
            "() => [...document.querySelectorAll('#member-list *')]"
            ".filter((el) => el.getBoundingClientRect().right > innerWidth + 1).length"
        )
        assert wide == 0  # the member's buttons wrap on a 360 px screen
        await page.click(button)
        await page.wait_for_selector("text=dicatat di log audit", timeout=WAIT_MS)
        # the feed's room_member takes Budi off the list
        await page.wait_for_selector(
            "#member-list li.member:has-text('Budi')", state="detached", timeout=WAIT_MS
        )
        [row] = (await api_call(http, "GET", "/api/admin/audit", siti))["rows"]
        assert (row["admin_id"], row["action"]) == (me["id"], "delete_account")
