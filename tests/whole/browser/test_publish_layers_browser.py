"""Simulcast layers nobody receives are paused at the publisher: the server says which layers
are watched (`publish_layers`), the browser turns the others off, and turns one on again as
soon as a subscriber needs it (sfu/layer_demand.py)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_simulcast_browser import layers_of, shows, video_of
from tests.whole.browser.test_three_browsers import open_room, participant_id

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

ENCODINGS = """() => {
  const pc = window.kamarDebug.client.publishPc;
  const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
  return sender ? sender.getParameters().encodings.map((e) => [e.rid, e.active]) : [];
}"""


async def encodings(page: Page) -> dict[str, bool]:
    return {rid: active for rid, active in await page.evaluate(ENCODINGS)}


async def test_the_top_layer_stops_while_nobody_watches_it_and_comes_back_when_needed(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "hemat-unggah"
    publisher = await open_room(chromium, kamar, room, "Sari", locale="id-ID")
    sender = await participant_id(publisher)
    context = await chromium.new_context(viewport={"width": 1280, "height": 800})
    watcher = await context.new_page()
    token = kamar.token(room, identity="watcher", name="Watcher", can_publish=False)
    await watcher.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await watcher.wait_for_function("() => window.kamarDebug.state.phase === 'joined'")
    await eventually(lambda: shows(watcher, sender, 640, 0), timeout=30, what="the top layer")
    assert await encodings(publisher) == {"h": True, "f": True}

    # A small tile: the watcher moves to the lower layer, and after the hold the publisher
    # stops sending the top one.
    tile = f"[data-participant-id='{sender}']"
    await watcher.eval_on_selector(tile, "el => { el.style.width = '120px'; }")
    await eventually(lambda: shows(watcher, sender, 320, 0), timeout=15, what="320 wide")
    await eventually(
        lambda: _encodings_are(publisher, {"h": True, "f": False}),
        timeout=20,
        what="the top layer off at the publisher",
    )
    top = layers_of(kamar, room, sender)[-1]
    arrived = top.packets_received
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(lambda: shows(watcher, sender, 320, frames + 30), what="frames go on")
    assert top.packets_received - arrived < 10  # at most what was on its way

    # Big again: the top layer comes back and the watcher climbs to it.
    await watcher.eval_on_selector(tile, "el => { el.style.width = ''; }")
    await eventually(
        lambda: _encodings_are(publisher, {"h": True, "f": True}), timeout=20, what="top on"
    )
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(lambda: shows(watcher, sender, 640, frames), timeout=30, what="640 again")
    for page in (publisher, watcher):
        await page.context.close()


async def _encodings_are(page: Page, expected: dict[str, bool]) -> bool:
    return await encodings(page) == expected
