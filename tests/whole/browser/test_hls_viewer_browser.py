"""Beyond the interactive limit: a member whose town hall is full (server_full) watches its
HLS stream on a 360x640 phone in Indonesian, still asks a question and comments, and the
moderator's page sees both live; the viewer sees the moderator's comment (docs/egress.md)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_community_browser import api_call, signed_in_page
from tests.whole.browser.test_live_hls_browser import _town_hall
from tests.whole.browser.test_townhall_browser import Attendee
from tests.whole.egress.conftest import load_clip, speaker, use_test_encoding

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE = {"width": 360, "height": 640}
WAIT_MS = 20_000


@pytest.fixture
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[bytes]]:
    return load_clip(tmp_path_factory)


async def _member(kamar: RunningServer, owner: str, room_id: int) -> str:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"username": "budi", "password": "rahasia-123", "display_name": "Budi"}
        budi: str = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        invite = await api_call(http, "POST", f"/api/rooms/{room_id}/invites", owner, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
    return budi


async def _moderator(
    browser: Browser, kamar: RunningServer, meeting: str, event_id: int
) -> Attendee:
    """The town hall's moderator on a desktop page; its token names the event, so egress
    writes the event's HLS stream."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    moderator = Attendee(await context.new_page())
    token = kamar.token(meeting, "ketua", name="Ketua", role="moderator", event_id=event_id)
    await moderator.page.goto(f"{kamar.base_url}/r/{meeting}?token={token}")
    await moderator.page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
    )
    return moderator


async def _open_tab(page: Page, name: str) -> None:
    """Clicking the open tab would fold the panel: click only one that is not open."""
    tab = page.locator(f"#tab-{name}")
    if await tab.get_attribute("aria-selected") != "true":
        await tab.click()


async def _player_state(page: Page, live: Path, kamar: RunningServer, meeting: str) -> str:
    """What the page shows and its player's state, with the stream's files and the meeting's
    people and egress on the server: for a failure."""
    found = kamar.server.app[SERVICES_KEY].registry.find(meeting)
    server = (
        "no meeting"
        if found is None
        else f"people {[p.identity for p in found.participants.values()]}, "
        f"egress {None if found.egress is None else found.egress.state()}"
    )
    if found is not None and found.egress is not None:
        # Where the programme stopped: no picture in, none out of the encoder, or not relayed.
        egress = found.egress
        encoder = egress.encoder
        server += (
            f", pictures sent (packets, layer changes) "
            f"{[(sink.packets_sent, sink.layer_changes) for sink in egress.pictures]}, encoder out "
            f"{encoder.bytes_out} bytes (restarts {encoder.restarts}, key frames asked again "
            f"{encoder.pictures.asked} times), relays "
            f"{[(r.name, r.bytes_fed, r.restarts) for r in encoder.relays]}"
        )
    state = await page.evaluate(
        "() => { const v = document.querySelector('#watch video');"
        " const text = document.querySelector('#watch').innerText;"
        " if (!v) return {text}; return {text, time: v.currentTime, ready: v.readyState,"
        " network: v.networkState, error: v.error && v.error.message, src: v.src}; }"
    )
    return f"{state}, files {_files(live)}, {server}"


def _files(live: Path) -> list[str]:
    return sorted(p.name for p in live.iterdir()) if live.exists() else []


async def test_a_viewer_beyond_the_limit_watches_hls_and_asks_the_moderator(
    kamar: RunningServer, chromium: Browser, tmp_path: Path, clip: tuple[list[bytes], list[bytes]]
) -> None:
    use_test_encoding(kamar, tmp_path / "recordings")
    owner, room_id, event_id = await _town_hall(kamar)
    budi = await _member(kamar, owner, room_id)
    meeting = f"balai-{event_id}"
    live = tmp_path / "live" / f"event-{event_id}"
    async with contextlib.AsyncExitStack() as stack:
        moderator = await _moderator(chromium, kamar, meeting, event_id)
        stack.push_async_callback(moderator.page.context.close)
        await stack.enter_async_context(
            contextlib.asynccontextmanager(speaker)(kamar, meeting, "ani", clip)
        )
        kamar.server.app[SERVICES_KEY].max_participants = 2  # the moderator and the speaker
        await moderator.page.evaluate("window.kamarDebug.client.egressStart([], false, true)")
        await moderator.page.wait_for_selector("#egress-badge:visible", timeout=WAIT_MS)
        # The viewer comes at once, most often before the first segment (~6 s after the
        # start): the page must keep asking, as the stream's state will not change again.

        token = kamar.token(meeting, "budi", name="Budi", role="audience", event_id=event_id)
        viewer = await signed_in_page(chromium, kamar, budi, f"r/{meeting}?token={token}", PHONE)
        stack.push_async_callback(viewer.context.close)
        page = viewer.page
        await page.wait_for_function(
            "() => { const s = window.kamarDebug && window.kamarDebug.state;"
            " return s && s.watching && s.phase === 'joined'; }",
            timeout=WAIT_MS,
        )
        try:
            await page.wait_for_function(
                "() => { const v = document.querySelector('#watch video');"
                " return v && v.currentTime > 0.5 && v.videoWidth > 0; }",
                timeout=3 * WAIT_MS,  # a loaded machine: ffmpeg, two Chromiums and the server
            )
        except PlaywrightTimeout as error:
            state = await _player_state(page, live, kamar, meeting)
            raise AssertionError(f"not playing: {state}") from error
        assert await page.locator("#tiles").is_hidden()
        assert "menonton siaran webnya" in await page.inner_text("#watch")

        await _open_tab(page, "qa")
        await page.fill("#ask-text", "Kapan upah minimum naik?")
        await page.click("#ask-form button[type='submit']")
        question = "#questions li.question:has-text('Kapan upah minimum naik?')"
        await _open_tab(moderator.page, "qa")
        await moderator.page.wait_for_selector(question, timeout=WAIT_MS)

        await _open_tab(moderator.page, "comments")
        await moderator.page.fill("#comment-text", "Selamat datang penonton siaran")
        await moderator.page.press("#comment-text", "Enter")
        await _open_tab(page, "comments")
        await page.wait_for_selector(
            "#comments li:has-text('Selamat datang penonton siaran')", timeout=WAIT_MS
        )
        await page.fill("#comment-text", "Suara jelas dari sini")
        await page.press("#comment-text", "Enter")
        await moderator.page.wait_for_selector(
            "#comments li:has-text('Suara jelas dari sini')", timeout=WAIT_MS
        )
        await _open_tab(page, "qa")
        await page.screenshot(path=str(tmp_path / "hls-viewer-360.png"))
        assert viewer.errors == [] and moderator.errors == []
        stopped = moderator.page.evaluate("window.kamarDebug.client.egressStop()")
        await stopped
    await eventually(lambda: not live.exists(), what="the live segments to be removed")
