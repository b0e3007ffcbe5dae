"""The screens a member meets on a 360x640 phone in Indonesian, checked for what was found when
Kamar was tried as a new member would (issue #16), and photographed: with KAMAR_SCREENS=DIR
(scripts/screens sets docs/screens) the screenshots are written there, so a reader of the
repository sees the app without running it. Without it they go to the test's temporary
directory, and the checks run all the same."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Route

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS
from tests.whole.browser.test_offline_chat_browser import member_with_room, open_signed_in
from tests.whole.browser.test_townhall_browser import join
from tests.whole.browser.test_uploads_browser import sparse_file

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE_ID = {"viewport": PHONE, "locale": "id-ID"}


def screens_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("KAMAR_SCREENS") or tmp_path)


async def shoot(page: Page, directory: Path, name: str) -> None:
    await page.screenshot(path=str(directory / f"{name}.png"))


async def inside_the_screen(page: Page, selector: str) -> bool:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


async def test_a_moderator_on_a_phone_reaches_invite_to_stage_in_the_people_list(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    room = "balai-serikat"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator", **PHONE_ID)
    audience = [
        await join(chromium, kamar, room, name, "audience", **PHONE_ID)
        for name in ("Budi", "Citra", "Dewi")
    ]
    await audience[0].page.click("#btn-hand")
    page = moderator.page
    if await page.get_attribute("#tab-people", "aria-selected") != "true":
        await page.click("#tab-people")
    invite = page.locator("#hands .invite")
    await invite.wait_for(timeout=WAIT_MS)
    # The first raised hand and its "Ajak ke panggung" are on the screen without scrolling,
    # and the list has room (it was 157 px, below the meeting-wide tools).
    assert await inside_the_screen(page, "#hands .invite")
    assert await invite.text_content() == "Ajak ke panggung"
    pane = await page.locator("#pane-people .pane-scroll").bounding_box()
    assert pane is not None and pane["height"] >= 240, pane
    await shoot(page, screens_dir(tmp_path), "townhall-moderator-people")
    for attendee in [moderator, *audience]:
        assert attendee.errors == []
        await attendee.page.context.close()


async def test_an_audience_member_sees_the_stage_and_how_many_watch_not_each_one(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    """In a town hall an audience member is told about the stage and the audience's size only
    (docs/protocol.md "Who is told about whom"): the people list says so in Indonesian."""
    room = "balai-serikat"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator", **PHONE_ID)
    audience = [
        await join(chromium, kamar, room, name, "audience", **PHONE_ID)
        for name in ("Budi", "Citra", "Dewi")
    ]
    page = audience[0].page
    if await page.get_attribute("#tab-people", "aria-selected") != "true":
        await page.click("#tab-people")
    await page.wait_for_selector("#audience-more:has-text('dan 2 orang lainnya')", timeout=WAIT_MS)
    assert await page.inner_text("#audience-count") == "👥 3 penonton"
    assert await page.locator("#audience-list li").count() == 1  # herself, not the others
    stage = page.locator("#on-stage li")
    assert await stage.count() == 1
    assert "Ketua" in await stage.inner_text()
    await shoot(page, screens_dir(tmp_path), "townhall-audience-people")
    # The moderator still has each one, to invite, mute or remove.
    if await moderator.page.get_attribute("#tab-people", "aria-selected") != "true":
        await moderator.page.click("#tab-people")
    await moderator.page.wait_for_selector("#audience-list li >> nth=2", timeout=WAIT_MS)
    for attendee in [moderator, *audience]:
        assert attendee.errors == []
        await attendee.page.context.close()


async def api_call(kamar: RunningServer, method: str, path: str, token: str, **body: Any) -> Any:
    async with (
        aiohttp.ClientSession(kamar.base_url) as http,
        http.request(
            method, path, json=body or None, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status < 300, await response.text()
        return await response.json()


async def test_a_wrong_password_on_a_phone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    context = await chromium.new_context(**PHONE_ID)
    page = await context.new_page()
    await page.goto(kamar.base_url + "/")
    await page.fill("#auth-login", "siti")
    await page.fill("#auth-password", "bukan-sandinya")
    await page.click("#login-form button[type=submit]")
    await page.locator("#login-form .error:not([hidden])").wait_for(timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "login-error")
    await context.close()


async def test_a_reminder_floats_over_the_chat_and_waiting_messages_say_so(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    token, room_id = await member_with_room(kamar, "siti")
    await api_call(kamar, "POST", f"/api/rooms/{room_id}/messages", token, text="Selamat pagi!")
    context = await chromium.new_context(**PHONE_ID)
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)
    await page.locator("#messages li", has_text="Selamat pagi").wait_for(timeout=WAIT_MS)
    before = await page.locator("#composer").bounding_box()
    scroller = await page.locator("#chat-scroller").bounding_box()
    await page.evaluate(
        """() => window.kamarApp.notify(
            "Pengingat: “Rapat pengurus” di Serikat mulai dalam 15 menit.", {kind: "reminder"})"""
    )
    await page.locator(".notice-item.reminder").wait_for(timeout=WAIT_MS)
    # The chat stays where it was: the reminder floats over it instead of pushing it down.
    assert await page.locator("#composer").bounding_box() == before
    assert await page.locator("#chat-scroller").bounding_box() == scroller

    async def no_posts(route: Route) -> None:
        if route.request.method == "POST":
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await page.route("**/api/rooms/*/messages", no_posts)
    await page.fill("#chat-input", "Saya datang agak terlambat")
    await page.click("#chat-send")
    await page.locator("li.pending .waiting-text").wait_for(timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "chat-reminder-and-waiting-message")
    await context.close()


async def test_a_link_to_a_room_one_is_not_in_says_how_to_get_in(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    owner, closed_id = await member_with_room(kamar, "ketua")
    open_room = await api_call(
        kamar, "POST", "/api/rooms", owner, name="Warga RT 05", kind="region", visibility="public"
    )
    stranger, own_id = await member_with_room(kamar, "tamu")
    context = await chromium.new_context(**PHONE_ID)
    page = await context.new_page()
    await open_signed_in(page, kamar, stranger, own_id)
    await page.goto(f"{kamar.base_url}/#/rooms/{closed_id}")
    text = page.locator("#room-unavailable .error")
    await text.wait_for(timeout=WAIT_MS)
    assert "Mintalah tautan undangan" in (await text.text_content() or "")
    await shoot(page, screens_dir(tmp_path), "room-not-a-member")
    # An open room can be joined right there, and then its chat opens.
    await page.goto(f"{kamar.base_url}/#/rooms/{open_room['id']}")
    await page.locator("#join-open-room").wait_for(timeout=WAIT_MS)
    # Nothing can be typed before joining: a message sent then would only be refused.
    assert await page.locator("#chat-input").is_hidden()
    await page.click("#join-open-room")
    await page.fill("#chat-input", "Salam kenal")
    await page.click("#chat-send")
    await page.locator("#messages li:not(.pending)", has_text="Salam kenal").wait_for(
        timeout=WAIT_MS
    )
    await context.close()


async def test_a_meeting_shows_its_room_and_leads_back_to_it(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    token, room_id = await member_with_room(kamar, "siti")
    context = await chromium.new_context(**PHONE_ID)
    await context.add_init_script(f"localStorage.setItem('kamar.session', '{token}')")
    page = await context.new_page()
    await page.goto(f"{kamar.base_url}/r/kamar-{room_id}")
    await page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'", timeout=WAIT_MS
    )
    # The room's name, not the meeting's internal one (kamar-1).
    assert await page.text_content("#room-name") == "Serikat"
    await shoot(page, screens_dir(tmp_path), "meeting-member")
    await page.click("#btn-leave")
    back = page.locator("#to-start")
    await back.wait_for(timeout=WAIT_MS)
    assert await back.text_content() == "Kembali ke kamar"
    await shoot(page, screens_dir(tmp_path), "meeting-left")
    await back.click()
    await page.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert page.url.endswith(f"/#/rooms/{room_id}/chat")
    await context.close()


async def test_a_video_too_large_is_refused_in_the_composer(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    video = sparse_file(tmp_path / "liburan.mp4", 60 * 1024 * 1024)
    token, room_id = await member_with_room(kamar, "siti")
    context = await chromium.new_context(**PHONE_ID)
    page = await context.new_page()
    await open_signed_in(page, kamar, token, room_id)
    await page.fill("#chat-input", "Ini video acara kemarin")
    await page.set_input_files("#chat-file", str(video))
    await page.locator("#composer .error:not([hidden])").wait_for(timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "composer-video-too-large")
    await context.close()


async def test_a_link_that_leads_nowhere_says_so_and_leads_into_the_app(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    # A shared event page its organiser has since made private, opened by a stranger.
    context = await chromium.new_context(**PHONE_ID)
    page = await context.new_page()
    answer = await page.goto(f"{kamar.base_url}/e/424242")
    assert answer is not None and answer.status == 404
    assert await page.text_content("#not-found h1") == "Halaman ini tidak ada"
    assert await inside_the_screen(page, "#to-app")
    await shoot(page, screens_dir(tmp_path), "not-found")
    await page.click("#to-app")
    await page.wait_for_selector("#login-form", timeout=WAIT_MS)
    await context.close()
