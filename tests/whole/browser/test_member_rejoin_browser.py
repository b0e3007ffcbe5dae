"""A member's join token lives minutes (rooms/meeting/grants.py MEMBER_TTL): the meeting page
fetches a fresh one for every rejoin, so a dropped connection long after the first join still
comes back."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Browser

from rooms.meeting import grants
from signalling.errors import ProtocolError
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_meeting_links_browser import WAIT_MS, owner_and_room, signed_in_page

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]
SHORT_TTL = 3  # seconds


async def test_a_member_rejoins_after_their_first_token_expired(
    chromium: Browser, kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grants, "MEMBER_TTL", SHORT_TTL)
    owner, room = await owner_and_room(kamar)
    page = await signed_in_page(chromium, kamar, owner["token"])
    try:
        await page.goto(f"{kamar.base_url}/r/kamar-{room['id']}")
        joined = "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
        await page.wait_for_function(joined, timeout=WAIT_MS)
        mark_rejoin = "() => { window.rejoined = true; }"
        await page.evaluate(f"window.kamarDebug.client.addEventListener('welcome', {mark_rejoin})")
        first_join = time.monotonic()
        await eventually(
            lambda: time.monotonic() > first_join + SHORT_TTL + 1, what="the first token to expire"
        )
        for session in list(kamar.server.app[SERVICES_KEY].live_sessions):
            session.fail(ProtocolError("internal", "the server dropped this connection"))
        await page.wait_for_function("() => window.rejoined === true", timeout=WAIT_MS)
        await page.wait_for_function(joined, timeout=WAIT_MS)
    finally:
        await page.context.close()
