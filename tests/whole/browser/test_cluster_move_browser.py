"""A browser in a meeting that moves off its draining home (docs/cluster.md, "Moving a live
meeting"): on `bye` `moved` the page connects again at once, with no back-off wait and no
error shown, only "Menyambungkan kembali ke pertemuan…", and decodes the speaker again on the
meeting's new home. Chromium comes in through node b; the meeting starts on node a."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from playwright.async_api import Browser, Page

from loadtest.client import SyntheticParticipant
from server.drain import move_meetings
from signalling.ws import SERVICES_KEY
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.redis_server import redis_server
from tests.whole.browser.test_three_browsers import stats
from tests.whole.server.test_cluster_meetings import token, two_nodes, ws_url

__all__ = ["database_url_postgresql", "postgres_server", "redis_server", "two_nodes"]
pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# Every text the status line and the stage notice show, in order, from now on.
WATCH_TEXTS = """() => {
  window.kamarShown = [];
  for (const id of ["status", "stage-notice"]) {
    const element = document.getElementById(id);
    new MutationObserver(() => {
      if (element.textContent && !element.hidden) window.kamarShown.push(element.textContent);
    }).observe(element, { childList: true, characterData: true, subtree: true, attributes: true });
  }
}"""


async def _decodes(page: Page, speaker: SyntheticParticipant, frames: int) -> bool:
    entry = (await stats(page)).get(speaker.id)
    return bool(entry) and entry["video"]["framesDecoded"] > frames


async def test_a_page_follows_its_meeting_to_another_node_at_once_and_quietly(
    two_nodes: list[TestServer], tmp_path: Path, chromium: Browser
) -> None:
    a, b = two_nodes
    speakers = [SyntheticParticipant(ws_url(a), token(tmp_path, "rapat", "sari"), room="rapat")]
    context = await chromium.new_context(viewport={"width": 360, "height": 640}, locale="id-ID")
    try:
        await speakers[0].join()
        await speakers[0].publish([AudioStreamTrack(), VideoStreamTrack()])
        page = await context.new_page()
        await page.goto(f"{b.make_url('/r/rapat')}?token={token(tmp_path, 'rapat', 'budi')}")
        await page.wait_for_function("() => window.kamarDebug?.state.phase === 'joined'")
        await eventually(lambda: _decodes(page, speakers[0], 10), timeout=30, what="video")
        first_id = await page.evaluate("window.kamarDebug.state.self.id")
        await page.evaluate(WATCH_TEXTS)

        services = a.app[SERVICES_KEY]
        services.draining = True
        services.placement.drain()
        assert await move_meetings(services)  # what SIGTERM does on node a, short of exiting
        await eventually(lambda: speakers[0].closed.is_set(), what="the speaker told to move")
        speakers.append(
            SyntheticParticipant(ws_url(b), token(tmp_path, "rapat", "sari"), room="rapat")
        )
        await speakers[1].join()  # the speaker's client comes back too, through node b
        await speakers[1].publish([AudioStreamTrack(), VideoStreamTrack()])
        await page.wait_for_function(
            f"() => window.kamarDebug.state.phase === 'joined'"
            f" && window.kamarDebug.state.self.id !== {first_id!r}"
        )
        await eventually(lambda: _decodes(page, speakers[1], 10), timeout=30, what="video")
        assert b.app[SERVICES_KEY].registry.find("rapat") is not None  # its new home
        assert await page.evaluate("window.kamarDebug.state.reconnects") == 0  # no wait
        assert await page.evaluate("window.kamarDebug.state.error") is None
        shown = await page.evaluate("window.kamarShown")
        assert shown == ["Menyambungkan kembali ke pertemuan…"], shown
        assert await page.locator("#status").text_content() == ""
        await page.screenshot(path=str(tmp_path / "moved-360x640.png"))
    finally:
        await context.close()
        for speaker in speakers:
            await speaker.close()
