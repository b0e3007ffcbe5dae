"""A campaign's own page in Chromium at 360x640, in Indonesian: four sign-ups on two days from
two regions, by two recruiters and two channels; the page draws a column per day with its
count and date, the regencies and cities by name, the channels, the target's progress and the
leaderboard with ranks. The recruiter's own report across campaigns opens from "Ajak"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser
from sqlalchemy import update

from rooms.community.schema.organising import referrals
from server.api.routing import community_of
from tests.conftest import RunningServer, running_kamar
from tests.whole.browser.test_announcement_media_browser import screens
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]
DAY_MS = 86_400_000
MONTHS = "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split()  # id-ID's short months


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def join(
    http: aiohttp.ClientSession, code: str, name: str, region: str, campaign: int, via: str
) -> dict[str, Any]:
    body = {"username": name, "password": f"rahasia-{name}", "display_name": name.title(),
            "campaign_id": campaign, "via": via, "region": {"code": region}}  # fmt: skip
    joined: dict[str, Any] = await call(http, "POST", f"/api/join/{code}", expect=201, json=body)
    return joined


async def campaign_with_sign_ups(
    kamar: RunningServer, http: aiohttp.ClientSession, admin: bool = False
) -> Any:
    """Siti's campaign: Budi (QR, Bandung) and Dedi (Bandung) yesterday; Cici (Surabaya)
    today, who brings in Eka (Surabaya) the same day. Budi has posted: active."""
    register = {"username": "siti", "password": "rahasia-siti", "display_name": "Siti"}
    account = await call(http, "POST", "/api/auth/register", expect=201, json=register)
    siti = account["token"]
    await community_of(kamar.server.app).accounts.set_admin(account["user"]["id"], admin)
    room_body = {"name": "Warga RW 02", "kind": "region"}
    room = await call(http, "POST", "/api/rooms", siti, 201, json=room_body)
    campaign = await call(http, "POST", "/api/campaigns", siti, 201, json={
        "name": "CFD Dago", "room_ids": [room["id"]], "starts_at": iso(-2), "ends_at": iso(30),
        "target": 10, "region_code": "32.73"})  # fmt: skip
    code = (await call(http, "GET", "/api/me/referral", siti))["code"]
    budi = await join(http, code, "budi", "32.73.01.1001", campaign["id"], "qr")
    dedi = await join(http, code, "dedi", "32.73.01", campaign["id"], "link")
    cici = await join(http, code, "cici", "35.78", campaign["id"], "link")
    cici_code = (await call(http, "GET", "/api/me/referral", cici["token"]))["code"]
    await join(http, cici_code, "eka", "35.78.01", campaign["id"], "link")
    post = f"/api/rooms/{room['id']}/messages"
    await call(http, "POST", post, budi["token"], 201, json={"text": "Halo"})
    moved = [budi["user"]["id"], dedi["user"]["id"]]
    async with community_of(kamar.server.app).db.write() as conn:  # signed up a day earlier
        await conn.execute(
            update(referrals)
            .where(referrals.c.user_id.in_(moved))
            .values(created_at=referrals.c.created_at - DAY_MS)
        )
    return siti, campaign


async def test_a_campaign_page_shows_its_days_regions_channels_and_leaderboard(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, campaign = await campaign_with_sign_ups(kamar, http)
        report = await call(http, "GET", f"/api/campaigns/{campaign['id']}/report", siti)
    # The days as the server counted them (UTC), so a test run across midnight still agrees.
    first, second = (date.fromisoformat(row["day"][:10]) for row in report["per_day"])
    assert second == first + timedelta(days=1)
    person = await signed_in_page(chromium, kamar, siti, "#/campaigns", PHONE)
    page = person.page
    await page.click(f".campaign[data-campaign-id='{campaign['id']}'] .campaign-open")
    await page.wait_for_selector("#report-leaderboard li", timeout=WAIT_MS)
    assert await page.inner_text("#campaign-page h1") == "CFD Dago"
    assert await page.inner_text("#campaign-region-name") == "Wilayah: Kota Bandung"
    assert await page.inner_text("#report-progress-text") == "4 dari target 10 pendaftar"
    assert await page.get_attribute("#report-progress", "value") == "4"
    assert await page.inner_text("#report-active-7") == "1\nAktif dalam 7 hari"

    bars = page.locator("#report-days rect.bar")
    days = [await bars.nth(i).get_attribute("data-day") for i in range(await bars.count())]
    assert days == [str(first), str(second)]
    assert [await bars.nth(i).get_attribute("data-value") for i in range(2)] == ["2", "2"]
    labels = await page.locator("#report-days text.day").all_text_contents()
    assert labels == [f"{day.day} {MONTHS[day.month - 1]}" for day in (first, second)]

    regions = await page.locator("#report-regions li .report-row-name").all_inner_texts()
    assert regions == ["Kota Bandung", "Kota Surabaya"]
    channels = page.locator("#report-channels li[data-key='qr']")
    assert "Kode QR" in await channels.inner_text() and "1" in await channels.inner_text()

    leaders = page.locator("#report-leaderboard li")
    assert await leaders.count() == 2
    assert await leaders.nth(0).inner_text() == "Siti\n3 pendaftar · 1 aktif 7 hari"
    assert (await leaders.nth(1).inner_text()).startswith("Cici")
    assert await page.inner_text("#report-leaders-shown") == "2 dari 2 perekrut"
    assert await page.locator("#report-more").is_hidden()
    await page.screenshot(path=screens(tmp_path) / "campaign-report.png")
    await page.locator("#report-channels").scroll_into_view_if_needed()
    await page.screenshot(path=screens(tmp_path) / "campaign-report-regions.png")
    await page.locator("#report-leaders").scroll_into_view_if_needed()
    await page.screenshot(path=screens(tmp_path) / "campaign-report-leaders.png")

    # Her own recruits across campaigns, from "Ajak": the same report, three sign-ups.
    await page.goto(f"{kamar.base_url}/#/recruit")
    await page.click("#open-recruitment")
    await page.wait_for_selector("#recruitment-report #report-progress-text", timeout=WAIT_MS)
    assert await page.inner_text("#report-progress-text") == "3 pendaftar (tanpa target)"
    assert person.errors == []


async def test_an_administrator_reads_recruitment_across_campaigns_by_region(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, _ = await campaign_with_sign_ups(kamar, http, admin=True)
    person = await signed_in_page(chromium, kamar, siti, "#/campaigns", PHONE)
    page = person.page
    await page.click("#open-recruitment")
    text = page.locator("#recruitment-report #report-progress-text")
    await text.wait_for(timeout=WAIT_MS)
    assert await text.inner_text() == "4 pendaftar (tanpa target)"
    await page.click("#recruitment details.more summary")
    await page.fill("#recruitment-region-search", "kota surabaya")
    await page.click(".region-option[data-code='35.78']")
    await page.wait_for_selector(
        "#report-progress-text:has-text('2 pendaftar (tanpa target)')", timeout=WAIT_MS
    )
    regions = await page.locator("#report-regions li .report-row-name").all_inner_texts()
    assert regions == ["Kota Surabaya"]
    leaders = await page.locator("#report-leaderboard .leader-name").all_inner_texts()
    assert leaders == ["Siti", "Cici"]  # one sign-up each: the tie goes to the lower id
    assert person.errors == []


async def test_the_leaderboard_loads_its_next_page_on_request(
    tmp_path: Path, chromium: Browser
) -> None:
    """22 members, each brought in by the one before: 21 recruiters, 20 on the first page."""
    async with (
        running_kamar(tmp_path, no_rate_limits=True) as kamar,
        aiohttp.ClientSession(kamar.base_url) as http,
    ):
        register = {"username": "siti", "password": "rahasia-siti", "display_name": "Siti"}
        siti = (await call(http, "POST", "/api/auth/register", expect=201, json=register))["token"]
        token = siti
        room_body = {"name": "Warga RW 02", "kind": "region"}
        room = await call(http, "POST", "/api/rooms", siti, 201, json=room_body)
        campaign = await call(http, "POST", "/api/campaigns", siti, 201, json={
            "name": "Berantai", "room_ids": [room["id"]], "starts_at": iso(-1),
            "ends_at": iso(30)})  # fmt: skip
        for n in range(21):
            code = (await call(http, "GET", "/api/me/referral", token))["code"]
            token = (await join(http, code, f"anggota{n:02d}", "32.73", campaign["id"], "link"))[
                "token"
            ]
        person = await signed_in_page(chromium, kamar, siti, f"#/campaigns/{campaign['id']}", PHONE)
        page = person.page
        leaders = page.locator("#report-leaderboard li")
        await leaders.nth(19).wait_for(timeout=WAIT_MS)
        assert await page.inner_text("#report-leaders-shown") == "20 dari 21 perekrut"
        await page.click("#report-more")
        await leaders.nth(20).wait_for(timeout=WAIT_MS)
        assert await leaders.count() == 21
        assert await leaders.nth(20).get_attribute("value") == "21"
        assert await page.inner_text("#report-leaders-shown") == "21 dari 21 perekrut"
        assert await page.locator("#report-more").is_hidden()
        assert person.errors == []
        await person.context.close()  # its feed socket closes before this server stops
