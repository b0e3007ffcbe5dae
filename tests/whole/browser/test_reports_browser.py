"""The reports page in Chromium at 360x640, in Indonesian: an administrator who owns a room
sees the listing reported in it and the reported direct message, hides both from the page,
and the server has hidden the listing, deleted the message and closed the reports."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer
from tests.whole.browser.test_announcement_browser import account
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_an_administrator_hides_a_reported_listing_and_message_from_the_page(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        ketua, siti, budi = [await account(http, name) for name in ("ketua", "siti", "budi")]
        me = await call(http, "GET", "/api/me", ketua)
        await kamar.server.app[SERVICES_KEY].community.accounts.set_admin(me["id"], True)
        room = await call(
            http, "POST", "/api/rooms", ketua, 201, json={"name": "PUK", "kind": "work"}
        )
        for token in (siti, budi):
            invite = await call(
                http, "POST", f"/api/rooms/{room['id']}/invites", ketua, 201, json={}
            )
            await call(http, "POST", f"/api/invites/{invite['code']}/accept", token)
        body = {"title": "HP murah", "pricing": "nego", "category": "secondhand", "region": "31"}
        listing = await call(
            http, "POST", "/api/market/listings", siti, 201, json={**body, "rooms": [room["id"]]}
        )
        reason = {"reason": "Barang curian"}
        await call(
            http, "POST", f"/api/market/listings/{listing['id']}/report", budi, 204, json=reason
        )
        budi_me = await call(http, "GET", "/api/me", budi)
        chat = await call(http, "POST", "/api/direct", siti, json={"user_id": budi_me["id"]})
        path = f"/api/rooms/{chat['id']}/messages"
        rude = await call(http, "POST", path, budi, 201, json={"text": "Kata kasar sekali"})
        report = {"reason": "Kasar", "message_id": rude["id"]}
        await call(http, "POST", f"/api/direct/{chat['id']}/report", siti, 204, json=report)

        admin = await signed_in_page(chromium, kamar, ketua, "#/rooms", PHONE)
        page = admin.page
        await page.wait_for_selector("#open-reports", timeout=WAIT_MS)
        await page.click("#open-reports")
        listed = "#reports-listings .report-item:has-text('HP murah')"
        await page.wait_for_selector(f"{listed}:has-text('Barang curian')", timeout=WAIT_MS)
        message = "#reports-direct .report-item:has-text('Siti melaporkan Budi')"
        await page.wait_for_selector(f"{message}:has-text('Kata kasar sekali')", timeout=WAIT_MS)
        await page.screenshot(path=str(tmp_path / "organise-reports.png"))
        for item in (listed, message):
            await page.click(f"{item} button[data-action=hide]")
        await page.wait_for_selector(f"{listed}:has-text('Disembunyikan')", timeout=WAIT_MS)
        await page.wait_for_selector("#reports-direct :text('Disembunyikan')", timeout=WAIT_MS)

        assert (await call(http, "GET", f"/api/market/listings/{listing['id']}", siti))["hidden"]
        [gone] = (await call(http, "GET", path, siti))["messages"]
        assert gone["deleted"] is True and gone["text"] == ""
        assert (await call(http, "GET", "/api/direct/reports", ketua))["reports"] == []
        assert (await call(http, "GET", "/api/market/reports", ketua))["listings"] == []
        await page.reload()
        await page.wait_for_selector(
            "#reports-direct :text('Tidak ada laporan terbuka')", timeout=WAIT_MS
        )
        assert admin.errors == []
