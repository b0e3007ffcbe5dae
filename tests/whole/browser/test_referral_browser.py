"""Recruitment by referral in Chromium at 360x640, in Indonesian: Siti opens her invitation
page for a running campaign, the QR code the page shows is decoded (ZXing, as a phone camera
would) into the link Budi opens on his phone; he registers there, lands in the campaign's room,
and Siti's count of recruits goes up."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, open_person, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def test_a_scanned_referral_qr_registers_into_the_campaign_room(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti_token = (
            await call(
                http,
                "POST",
                "/api/auth/register",
                expect=201,
                json={"username": "siti", "password": "rahasia-siti", "display_name": "Siti"},
            )
        )["token"]
        room = await call(
            http,
            "POST",
            "/api/rooms",
            siti_token,
            201,
            json={"name": "Warga RW 02", "kind": "region"},
        )
        campaign = await call(
            http,
            "POST",
            "/api/campaigns",
            siti_token,
            201,
            json={
                "name": "CFD Dago",
                "room_ids": [room["id"]],
                "starts_at": iso(-1),
                "ends_at": iso(7),
                "target": 20,
            },
        )

        siti = await signed_in_page(chromium, kamar, siti_token, "#/rooms", PHONE)
        a = siti.page
        await a.wait_for_selector(".room-item", timeout=WAIT_MS)
        # The room list's header (new room, invite, market, insight, profile) fits 360 px.
        overflow = await a.evaluate(
            """() => [...document.querySelectorAll('.sidebar-head, .sidebar-head *')]
                     .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
                     .map((el) => el.id || el.tagName)"""
        )
        assert overflow == [], overflow
        await a.click("#open-recruit")
        await a.wait_for_selector("#recruit-count:has-text('0')", timeout=WAIT_MS)
        await a.wait_for_selector(
            f"#recruit-campaign option[value='{campaign['id']}']", state="attached", timeout=WAIT_MS
        )
        await a.select_option("#recruit-campaign", str(campaign["id"]))
        shown = f"campaign={campaign['id']}"
        await a.wait_for_function(
            f"() => document.querySelector('#recruit-qr')?.src.includes('{shown}')"
            " && document.querySelector('#recruit-qr').complete"
            " && document.querySelector('#recruit-qr').naturalWidth > 0",
            timeout=WAIT_MS,
        )
        overflow = await a.evaluate(
            """() => [...document.querySelectorAll('#recruit, #recruit *')]
                     .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
                     .map((el) => el.id || el.tagName)"""
        )
        assert overflow == [], overflow
        # The QR code exactly as the page shows it, decoded.
        qr_src = await a.get_attribute("#recruit-qr", "src")
        assert qr_src
        async with http.get(qr_src) as response:
            png = await response.read()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        link = decoded.text
        assert link.startswith(kamar.base_url + "/#/join/"), link
        assert f"campaign={campaign['id']}" in link and "via=qr" in link

        budi = await open_person(chromium, PHONE, link)
        b = budi.page
        await b.wait_for_selector("#join-inviter:has-text('Siti mengajak Anda')", timeout=WAIT_MS)
        assert "CFD Dago" in await b.inner_text("#join-campaign")
        await b.fill("#join-display_name", "Budi Santoso")
        await b.fill("#join-username", "budi")
        await b.fill("#join-password", "rahasia-budi-2026")
        await b.click("#join-submit")
        await b.wait_for_url(f"**#/rooms/{room['id']}", timeout=WAIT_MS)
        await b.wait_for_selector("#chat-input", timeout=WAIT_MS)

        # Siti's page counts him once it reloads her recruits (she opens the page again).
        await a.click("#recruit .back")
        await a.click("#open-recruit")
        await a.wait_for_selector("#recruit-count:has-text('1')", timeout=WAIT_MS)
        assert "Budi Santoso" in await a.inner_text("#recruit-list")
        assert "lewat kode QR" in await a.inner_text("#recruit-list")
        recruits = await call(http, "GET", "/api/me/recruits", siti_token)
        assert recruits["recruits"][0]["channel"] == "qr"
        assert siti.errors == [] and budi.errors == []
