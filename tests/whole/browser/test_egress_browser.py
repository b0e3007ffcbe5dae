"""Egress in real Chromium pages on 360x640 phones in Indonesian: a moderator fills the form
(RTMP URL, stream key, record) and starts; everyone's header shows "LIVE + REKAM" with a
running duration, and it goes away when the moderator stops. Screenshots for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from loadtest.rtmp_server import RtmpServer, running_rtmp_server
from tests.conftest import RunningServer
from tests.whole.browser.test_townhall_browser import join
from tests.whole.egress.conftest import use_test_encoding

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE = {"viewport": {"width": 360, "height": 640}, "locale": "id-ID"}
WAIT_MS = 20_000


@pytest.fixture
def rtmp(tmp_path: Path) -> Iterator[RtmpServer]:
    with running_rtmp_server(tmp_path / "rtmp") as server:
        yield server


async def test_a_moderator_goes_live_and_records_and_everyone_sees_the_badge(
    kamar: RunningServer,
    chromium: Browser,
    rtmp: RtmpServer,
    tmp_path: Path,
) -> None:
    use_test_encoding(kamar, tmp_path / "recordings")
    room = "balai-siaran"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator", **PHONE)
    viewer = await join(chromium, kamar, room, "Warga", "audience", **PHONE)
    page = moderator.page
    await page.wait_for_selector("#egress-form:not([hidden])", timeout=WAIT_MS)
    await page.fill("#egress-url", rtmp.url)
    await page.fill("#egress-key", "rahasia-123")
    await page.locator("#egress-form").scroll_into_view_if_needed()
    await page.screenshot(path=str(tmp_path / "egress-form-360.png"))
    await page.click("#btn-egress-start")
    for attendee in (moderator, viewer):
        await attendee.page.wait_for_function(
            "() => /LIVE \\+ REKAM 00:0[1-9]/.test("
            "document.querySelector('#egress-badge').textContent)",
            timeout=WAIT_MS,
        )
    await page.wait_for_selector("#btn-egress-stop:not([hidden])", timeout=WAIT_MS)
    assert await page.is_hidden("#egress-key")  # the form gives way to the stop button
    await viewer.page.screenshot(path=str(tmp_path / "egress-badge-360.png"))
    assert "rahasia" not in await viewer.page.content()
    await page.click("#btn-egress-stop")
    for attendee in (moderator, viewer):
        await attendee.page.wait_for_selector("#egress-badge", state="hidden", timeout=WAIT_MS)
    assert not moderator.errors and not viewer.errors
    for attendee in (moderator, viewer):
        await attendee.page.context.close()
