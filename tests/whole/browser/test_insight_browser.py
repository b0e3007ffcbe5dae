"""The insight page in real Chromium on a 360x640 phone in Indonesian: a room's owner sees
the participation line, the room and region bars, the meetings and the relation graph drawn
as SVG, and downloads a view as CSV; a plain member sees her own activity on her profile, has
no insight link and is refused the page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, signed_in_page

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

NAMES = ("ketua", "ani", "budi", "cici", "dedi", "euis")


async def test_an_organiser_sees_the_charts_and_a_member_does_not(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        tokens = {}
        for name in NAMES:
            body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
            tokens[name] = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        ketua = tokens["ketua"]
        room = await api_call(
            http, "POST", "/api/rooms", ketua, json={"name": "PUK", "kind": "work"}
        )
        path = f"/api/rooms/{room['id']}"
        first = await api_call(http, "POST", f"{path}/messages", ketua, json={"text": "Rapat?"})
        for name in NAMES[1:]:
            invite = await api_call(http, "POST", f"{path}/invites", ketua, json={})
            await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", tokens[name])
            reply = {"text": "Siap", "reply_to": first["id"]}
            await api_call(http, "POST", f"{path}/messages", tokens[name], json=reply)

    organiser = await signed_in_page(chromium, kamar, ketua, "#/rooms", PHONE)
    a = organiser.page
    await a.click("#open-insight", timeout=WAIT_MS)
    await a.wait_for_selector("#insight-participation svg.chart-line polyline", timeout=WAIT_MS)
    assert await a.locator("#insight-rooms svg.chart-bars rect").count() == 1
    assert await a.locator("#insight-regions svg.chart-bars rect").count() == 1
    assert await a.locator("#insight-relations svg.chart-graph circle").count() == len(NAMES)
    assert await a.locator("#insight-relations svg.chart-graph line").count() == len(NAMES) - 1
    assert "dicatat" in await a.inner_text("#insight-privacy")
    assert "Belum ada" in await a.inner_text("#insight-meetings")  # no event yet
    assert await a.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    async with a.expect_download() as download_info:
        await a.click("#insight-rooms .insight-csv")
    download = await download_info.value
    assert download.suggested_filename == "kamar-rooms.csv"
    saved = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    assert saved.startswith("room_id,name,members,small_group,active,messages")

    member = await signed_in_page(chromium, kamar, tokens["ani"], "#/me", PHONE)
    b = member.page
    # Her own activity on her profile: one message, one active day, drawn week by week.
    await b.wait_for_selector("#my-activity svg.chart-line polyline", timeout=WAIT_MS)
    kept = await b.inner_text("#my-activity-kept")
    assert "1 pesan" in kept and "1 hari aktif" in kept
    assert await b.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await b.goto(f"{kamar.base_url}/#/rooms")
    await b.wait_for_selector(".room-item", timeout=WAIT_MS)
    assert await b.locator("#open-insight").count() == 0
    await b.goto(f"{kamar.base_url}/#/insight")
    await b.wait_for_selector("#insight .error[role=alert]", timeout=WAIT_MS)
    assert (
        "pengurus" in (await b.inner_text("#insight .error"))
        or await b.locator("#insight svg").count() == 0
    )

    for person in (organiser, member):
        assert person.errors == [], person.errors
        await person.context.close()
