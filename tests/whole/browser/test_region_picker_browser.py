"""The region picker on the profile page, in Indonesian on a 360x640 phone: a few letters find
a village among the 83,762, one tap names it, an RT/RW in a wrong shape is refused in
Indonesian before anything is sent, and the saved profile carries the Kemendagri code."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call, fits_the_width

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_a_member_picks_her_village_on_a_phone(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        token = (
            await call(
                http,
                "POST",
                "/api/auth/register",
                expect=201,
                json={"username": "siti", "password": "rahasia-siti", "display_name": "Siti"},
            )
        )["token"]
        siti = await signed_in_page(chromium, kamar, token, "#/me", PHONE)
        page = siti.page
        await page.wait_for_selector("#profile-region-search", timeout=WAIT_MS)

        await page.fill("#profile-region-search", "s")
        await page.wait_for_selector("text=Ketik paling sedikit 2 huruf.", timeout=WAIT_MS)
        await page.fill("#profile-region-search", "sukarasa suka")
        option = page.locator(".region-option[data-code='32.73.01.1001']")
        await option.wait_for(timeout=WAIT_MS)
        assert "Kota Bandung" in await option.inner_text()
        assert "desa/kelurahan" in await option.inner_text()
        await fits_the_width(page)
        await option.click()
        await page.wait_for_selector("#profile-region-chosen:has-text('Sukarasa')", timeout=WAIT_MS)
        assert await page.locator("#profile-province").is_hidden()

        await page.fill("#profile-rt_rw", "55")
        await page.click("#profile-save")
        await page.wait_for_selector(
            "#profile-form .error:has-text('RT/RW ditulis dua angka')", timeout=WAIT_MS
        )
        assert (await call(http, "GET", "/api/me", token))["region"]["code"] == ""

        await page.fill("#profile-rt_rw", "RT 5 / RW 2")
        await page.click("#profile-save")
        await page.wait_for_selector(
            "#profile-status:has-text('Perubahan tersimpan')", timeout=WAIT_MS
        )
        region = (await call(http, "GET", "/api/me", token))["region"]
        assert region == {
            "code": "32.73.01.1001",
            "province": "Jawa Barat",
            "city": "Kota Bandung",
            "rt_rw": "005/002",
        }
        assert await page.input_value("#profile-rt_rw") == "005/002"
        assert siti.errors == []


async def test_a_room_is_made_for_a_village_and_its_rt_rw(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        token = (
            await call(
                http,
                "POST",
                "/api/auth/register",
                expect=201,
                json={"username": "budi", "password": "rahasia-budi", "display_name": "Budi"},
            )
        )["token"]
        budi = await signed_in_page(chromium, kamar, token, "#/rooms/new", PHONE)
        page = budi.page
        await page.fill("#room-name-input", "Warga RW 02 Sukarasa")
        await page.select_option("#room-kind", "region")
        await page.click("#room-region summary")
        await page.fill("#room-region-search", "sukarasa")
        await page.click(".region-option[data-code='32.73.01.1001']")
        await page.fill("#room-rt_rw", "dua")
        await page.click("#create-room-form button[type=submit]")
        await page.wait_for_selector(
            "#create-room-form .error:has-text('RT/RW ditulis dua angka')", timeout=WAIT_MS
        )
        await page.fill("#room-rt_rw", "5/2")
        await page.click("#create-room-form button[type=submit]")
        await page.wait_for_url("**/info", timeout=WAIT_MS)
        [room] = (await call(http, "GET", "/api/rooms", token))["rooms"]
        assert room["region"] == {
            "code": "32.73.01.1001",
            "rt_rw": "005/002",
            "label": "Sukarasa, Sukasari, Kota Bandung, Jawa Barat",
        }
        assert budi.errors == []
