"""A meeting link without a token (shared in chat, or from a calendar): a member signed in on
this device gets in through their membership; others see why not."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]
WAIT_MS = 15_000


async def api(
    kamar: RunningServer, method: str, path: str, token: str | None = None, **body: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, kamar.base_url + path, json=body, headers=headers) as response,
    ):
        assert response.status < 300, await response.text()
        return await response.json()


async def signed_in_page(browser: Browser, kamar: RunningServer, session: str | None) -> Page:
    context = await browser.new_context(viewport={"width": 360, "height": 640}, locale="en-US")
    if session is not None:  # what the community app keeps after signing in (web/base/session.js)
        await context.add_init_script(f"localStorage.setItem('kamar.session', '{session}')")
    return await context.new_page()


async def owner_and_room(kamar: RunningServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """A registered member (`ketua`) and the room they own."""
    owner = await api(
        kamar,
        "POST",
        "/api/auth/register",
        username="ketua",
        password="rahasia-123",
        display_name="Ketua",
    )
    room = await api(kamar, "POST", "/api/rooms", owner["token"], name="Serikat", kind="work")
    return owner, room


def in_minutes(minutes: int) -> str:
    return datetime.fromtimestamp(time.time() + minutes * 60, tz=UTC).isoformat()


async def test_a_tokenless_link_admits_members_and_explains_itself_to_others(
    chromium: Browser, kamar: RunningServer
) -> None:
    owner, room = await owner_and_room(kamar)
    later = await api(
        kamar,
        "POST",
        f"/api/rooms/{room['id']}/events",
        owner["token"],
        title="Rapat akbar",
        kind="town_hall",
        starts_at=in_minutes(120),
        ends_at=in_minutes(180),
    )
    member = await api(
        kamar,
        "POST",
        "/api/auth/register",
        username="warga",
        password="rahasia-123",
        display_name="Warga",
    )
    invite = await api(kamar, "POST", f"/api/rooms/{room['id']}/invites", owner["token"])
    await api(kamar, "POST", f"/api/invites/{invite['code']}/accept", member["token"])

    pages = [await signed_in_page(chromium, kamar, session) for session in (member["token"],) * 2]
    pages.append(await signed_in_page(chromium, kamar, None))
    try:
        await check_pages(kamar, pages, room["id"], later["id"])
    finally:
        for page in pages:  # the server fixture waits for every meeting session to end
            await page.context.close()


async def check_pages(kamar: RunningServer, pages: list[Page], room_id: int, event_id: int) -> None:
    page, early, stranger = pages
    await page.goto(f"{kamar.base_url}/r/kamar-{room_id}")
    await page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'", timeout=WAIT_MS
    )
    assert "token" not in page.url

    await early.goto(f"{kamar.base_url}/r/kamar-{room_id}-e{event_id}")
    await early.wait_for_selector("#ended:not([hidden])", timeout=WAIT_MS)
    # When it opens, in the member's language (the API's Retry-After, worded by the client).
    assert "not open yet: it opens in" in (await early.text_content("#ended-text") or "")
    # A meeting of no community room (a guest's): membership cannot admit, the link's token must.
    await early.goto(f"{kamar.base_url}/r/gudang")
    await early.wait_for_selector("#ended:not([hidden])", timeout=WAIT_MS)
    assert "token" in (await early.text_content("#ended-text") or "")

    await stranger.goto(f"{kamar.base_url}/r/kamar-{room_id}")
    await stranger.wait_for_selector("#ended:not([hidden])", timeout=WAIT_MS)
    assert "token" in (await stranger.text_content("#ended-text") or "")
