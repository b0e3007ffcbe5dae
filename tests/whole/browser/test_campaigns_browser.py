"""Campaigns in Chromium at 360x640, in Indonesian: a room's owner starts one from the page
(rooms chosen by checkbox, whole days, a target), a member registers through her campaign
link, and the report on the page counts him against the target; a plain member sees the
campaign but not its report."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_an_organiser_starts_a_campaign_and_reads_its_report(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = (
            await call(
                http,
                "POST",
                "/api/auth/register",
                expect=201,
                json={"username": "siti", "password": "rahasia-siti", "display_name": "Siti"},
            )
        )["token"]
        room = await call(
            http, "POST", "/api/rooms", siti, 201, json={"name": "Warga RW 02", "kind": "region"}
        )
        person = await signed_in_page(chromium, kamar, siti, "#/rooms", PHONE)
        page = person.page
        await page.wait_for_selector(f".room-item[data-room-id='{room['id']}']", timeout=WAIT_MS)
        await page.click("#open-recruit")
        await page.click("#open-campaigns")
        await page.wait_for_selector("#campaign-form", timeout=WAIT_MS)
        await page.fill("#campaign-name", "CFD Dago")
        await page.check(f"#campaign-form input[name=room][value='{room['id']}']")
        await page.fill("#campaign-ends_at", "2099-12-31")
        await page.fill("#campaign-target", "10")
        await page.click("#campaign-form button[type=submit]")
        card = page.locator(".campaign", has_text="CFD Dago")
        await card.locator(".campaign-signups").wait_for(timeout=WAIT_MS)
        assert "0 / 10 pendaftar" in await card.inner_text()
        [campaign] = (await call(http, "GET", "/api/campaigns", siti))["campaigns"]
        assert campaign["running"] and campaign["rooms"] == [
            {"id": room["id"], "name": "Warga RW 02"}
        ]

        code = (await call(http, "GET", "/api/me/referral", siti))["code"]
        budi = await call(
            http,
            "POST",
            f"/api/join/{code}",
            expect=201,
            json={"username": "budi", "password": "rahasia-budi", "display_name": "Budi",
                  "campaign_id": campaign["id"]},
        )  # fmt: skip
        assert budi["rooms"] == [room["id"]]
        await page.reload()
        await page.wait_for_selector(".campaign .campaign-signups:has-text('1')", timeout=WAIT_MS)
        assert "Siti" in await page.inner_text(".campaign .leaderboard")

        # Budi, a plain member of the room, sees the campaign and no report.
        member = await signed_in_page(chromium, kamar, budi["token"], "#/campaigns", PHONE)
        await member.page.wait_for_selector(".campaign:has-text('CFD Dago')", timeout=WAIT_MS)
        assert await member.page.locator(".campaign-signups").count() == 0
        assert await member.page.locator("#campaign-form").count() == 0
        assert person.errors == [] and member.errors == []
