"""The insight page as an organiser sees it on a 360x640 phone in Indonesian, on a generated
community with a history (the insight benchmark's generator, loadtest/insight_bench.py: 120
days of messages, meetings, RSVPs and attendance) whose members live in five regencies and
one of whose rooms fell silent four weeks ago. Checks what each panel shows, that narrowing to
one room and switching to days ask the server for them, and that nothing is wider than the
phone; writes docs/screens/insight-*.png under scripts/screens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import delete, update

from loadtest.insight_bench import generate
from rooms.community.activity_days import DAY_MS
from rooms.community.database import open_database
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import rooms
from rooms.community.sessions import mint_session
from tests.conftest import running_kamar
from tests.whole.browser.test_announcement_media_browser import screens
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

MEMBERS, ROOMS = 240, 6
REGENCIES = ("32.73", "32.77", "32.04", "32.17", "31.71")  # Bandung, Cimahi, ..., Jakarta Pusat
ROOM_NAMES = ("PUK Garmen Cimahi", "Ojol Bandung Raya", "Buruh Tani Ciparay",
              "PUK Tekstil Majalaya", "Serikat PRT Jakarta", "Pemuda Lembang")  # fmt: skip
SILENT_ROOM = 6  # no message in the last 28 days: falling against its own history


async def community_with_a_history(data_dir: Path) -> None:
    """The generated community, before the server opens its database: member n lives in
    REGENCIES[n % 5] (every tenth wrote nothing), rooms get names, one room falls silent."""
    db = await open_database(f"sqlite:///{data_dir / 'kamar.db'}", migrate=True)
    now = int(time.time() * 1000)
    try:
        await generate(db, MEMBERS, ROOMS, 7_000, 90, seed=18, now=now, progress=lambda _: None)
        async with db.write() as conn:
            for n, code in enumerate(REGENCIES):
                await conn.execute(
                    update(users)
                    .where(users.c.id % len(REGENCIES) == n, users.c.id % 10 != 3)
                    .values(region_code=code, province="", city="")
                )
            for room_id, name in enumerate(ROOM_NAMES, start=1):
                await conn.execute(update(rooms).where(rooms.c.id == room_id).values(name=name))
            await conn.execute(
                delete(messages).where(
                    messages.c.room_id == SILENT_ROOM, messages.c.created_at > now - 28 * DAY_MS
                )
            )
    finally:
        await db.close()


async def shot(page: Page, directory: Path, name: str, selector: str) -> None:
    await page.locator(selector).scroll_into_view_if_needed()
    await page.evaluate(f"document.querySelector({selector!r}).scrollIntoView()")
    await page.screenshot(path=directory / name)


async def test_an_organiser_reads_the_panels_of_a_community_with_a_history(
    tmp_path: Path, chromium: Browser
) -> None:
    await community_with_a_history(tmp_path)
    pictures = screens(tmp_path)
    async with running_kamar(tmp_path) as kamar:
        admin = mint_session(1, kamar.secret, time.time())  # "Anggota 1", an administrator
        organiser = await signed_in_page(chromium, kamar, admin, "#/insight", PHONE)
        page = organiser.page
        await page.wait_for_selector("#insight-participation svg polyline", timeout=WAIT_MS)
        assert await page.locator("#insight-participation polyline").count() == 4
        assert await page.locator("#insight-rooms svg rect").count() == ROOMS
        # Only the five regencies get a bar; the text regions of a member or two are a count.
        assert await page.locator("#insight-regions svg rect").count() == len(REGENCIES)
        assert "wilayah dengan kurang dari 5 anggota" in await page.inner_text("#insight-regions")
        # The formula is on the page, and each region's score is shown worked out from it.
        formula = await page.inner_text("#insight-formula")
        assert "100 × (0,5 A + 0,3 R + 0,2 T)" in formula
        worked = await page.locator("#insight-regions .insight-worked li").all_inner_texts()
        bandung = [line for line in worked if line.startswith("Kota Bandung: ")]
        assert len(bandung) == 1 and "= 100 × (0,5 ×" in bandung[0]
        assert "Pemuda Lembang" in await page.inner_text("#insight-trends")
        assert await page.locator("#insight-relations svg circle").count() > 50
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.screenshot(path=pictures / "insight-participation.png")
        await shot(page, pictures, "insight-regions.png", "#insight-regions")
        await shot(page, pictures, "insight-relations.png", "#insight-relations")
        await shot(page, pictures, "insight-trends.png", "#insight-trends")

        # Per day instead of per week: the server is asked for days, and the title says so.
        async with page.expect_response(lambda r: "period=day" in r.url) as asked:
            await page.select_option("#insight-period", "day")
        assert (await (await asked.value).json())["period"] == "day"
        await page.wait_for_selector("#insight-participation h2:has-text('per hari')")
        # One regency's members: the participation panel is asked for them and says whose.
        async with page.expect_response(lambda r: "region=32.73" in r.url) as asked:
            await page.select_option("#insight-region", "32.73")
        assert (await (await asked.value).json())["members"] == MEMBERS // len(REGENCIES)
        heading = page.locator("#insight-participation h2")
        await heading.filter(has_text="per hari · Kota Bandung").wait_for(timeout=WAIT_MS)
        await shot(page, pictures, "insight-region.png", ".insight-controls")
        # One room: every panel is asked again for it, and its CSV link asks for it too.
        async with page.expect_response(lambda r: "/api/insight/rooms?room_id=2" in r.url):
            await page.select_option("#insight-room", "2")
        await page.wait_for_selector("#insight-rooms svg rect", timeout=WAIT_MS)
        assert await page.locator("#insight-rooms svg rect").count() == 1
        csv_query = await page.get_attribute("#insight-rooms .insight-csv", "data-query")
        assert csv_query == "&room_id=2"
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=pictures / "insight-one-room.png")
        assert organiser.errors == [], organiser.errors
        await organiser.context.close()
