"""Simulcast with real Chromium capturing 1280x720: three VP8 layers (rid q, h, f) reach the
SFU with their own sizes, and a watcher gets the layer that fills its tile, switched at a key
frame while frames keep being decoded; with transport-cc feedback from the SFU, the browser's
own estimate lets it keep all three layers on. A watcher with a tile as wide as the top layer
is there from the start: the publisher sends only the layers someone receives
(sfu/layer_demand.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.conftest import RunningServer, eventually, running_kamar
from tests.whole.browser.test_simulcast_browser import layers_of, shows, video_of
from tests.whole.browser.test_three_browsers import participant_id

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# The page asks for 640x360 (web/meeting/room.js); this camera is an HD one, as on a laptop.
HD_CAMERA = """(() => {
  const media = navigator.mediaDevices;
  const original = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => original(constraints && constraints.video
    ? { ...constraints, video: { width: { exact: 1280 }, height: { exact: 720 } } }
    : constraints);
})()"""


@pytest.fixture
async def roomy_kamar(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server whose video cap leaves room for all three layers of a 720p camera."""
    async with running_kamar(tmp_path, max_video_kbps=4000) as running:
        yield running


async def join_with_hd_camera(
    kamar: RunningServer, chromium: Browser, room: str
) -> tuple[BrowserContext, Page, str]:
    """A phone-sized page whose camera is 1280x720, joined to `room`: (context, page, id)."""
    context = await chromium.new_context(viewport={"width": 360, "height": 640})
    await context.add_init_script(HD_CAMERA)
    publisher = await context.new_page()
    token = kamar.token(room, identity="sari", name="Sari")
    await publisher.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await publisher.wait_for_function("() => window.kamarDebug.state.phase === 'joined'")
    return context, publisher, await participant_id(publisher)


async def join_big_watcher(kamar: RunningServer, chromium: Browser, room: str, sender: str) -> Page:
    """A desktop-sized page whose tile of `sender` is 1400 px wide: it wants the top layer."""
    context = await chromium.new_context(viewport={"width": 1600, "height": 1000})
    watcher = await context.new_page()
    token = kamar.token(room, identity="watcher", name="Watcher", can_publish=False)
    await watcher.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await watcher.wait_for_function("() => window.kamarDebug.state.phase === 'joined'")
    tile = f"[data-participant-id='{sender}']"
    await watcher.wait_for_selector(tile)
    await watcher.eval_on_selector(tile, "el => { el.style.width = '1400px'; }")
    return watcher


async def test_an_hd_camera_arrives_as_three_layers_and_a_tile_gets_the_one_that_fills_it(
    roomy_kamar: RunningServer, chromium: Browser
) -> None:
    kamar, room = roomy_kamar, "hd"
    context, publisher, sender = await join_with_hd_camera(kamar, chromium, room)
    watcher = await join_big_watcher(kamar, chromium, room, sender)

    def sizes() -> list[tuple[int, int] | None]:
        try:
            return [layer.size for layer in layers_of(kamar, room, sender)]
        except ValueError:  # not published yet
            return []

    await eventually(
        lambda: sizes() == [(320, 180), (640, 360), (1280, 720)],
        timeout=60,
        what="three layers of 320, 640 and 1280 pixels",
    )
    assert [layer.rid for layer in layers_of(kamar, room, sender)] == ["q", "h", "f"]

    await eventually(lambda: shows(watcher, sender, 1280, 0), timeout=30, what="1280 wide")
    # A tile about 610 px wide: down to h, which fills it (f would be wasted on it), at h's key
    # frame and without a freeze.
    tile = f"[data-participant-id='{sender}']"
    await watcher.eval_on_selector(tile, "el => { el.style.width = '610px'; }")
    await eventually(lambda: shows(watcher, sender, 640, 0), timeout=30, what="640 wide")
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(
        lambda: shows(watcher, sender, 640, frames + 30), timeout=15, what="no freeze after"
    )
    (consumer,) = [c for layer in layers_of(kamar, room, sender) for c in layer.consumers]
    assert consumer.layer.rid == "h" and consumer.switches >= 1
    for page in (publisher, watcher):
        await page.context.close()


# What the publisher's own congestion controller (fed by the SFU's transport-cc reports) says
# its uplink carries, and what Chromium decided to send of the top layer.
PUBLISH_ESTIMATE = """(async () => {
  const pc = window.kamarDebug.client.publishPc;
  const report = await pc.getStats();
  let estimate = 0, topLayerSent = 0;
  report.forEach((entry) => {
    if (entry.type === "candidate-pair" && entry.nominated && entry.availableOutgoingBitrate)
      estimate = entry.availableOutgoingBitrate;
    if (entry.type === "outbound-rtp" && entry.rid === "f") topLayerSent = entry.bytesSent;
  });
  return { estimate, topLayerSent, negotiated: pc.remoteDescription.sdp.includes("transport-cc") };
})()"""


async def test_with_transport_cc_an_hd_publisher_keeps_its_top_layer(
    roomy_kamar: RunningServer, chromium: Browser
) -> None:
    kamar, room = roomy_kamar, "hd-twcc"
    context, publisher, sender = await join_with_hd_camera(kamar, chromium, room)
    watcher = await join_big_watcher(kamar, chromium, room, sender)

    async def estimate() -> dict[str, float]:
        result: dict[str, float] = await publisher.evaluate(PUBLISH_ESTIMATE)
        return result

    def layer_count() -> int:
        try:
            return len(layers_of(kamar, room, sender))
        except ValueError:  # not published yet
            return 0

    await eventually(lambda: layer_count() == 3, timeout=30, what="three layers")
    assert (await estimate())["negotiated"]
    # With REMB alone the estimate settled near 1.2 Mbit/s and f stopped. With transport-cc,
    # Chromium's estimate climbs past that (toward the SFU's REMB cap, 4 Mbit/s here, as far
    # as the layers someone receives need: once the watcher is on f, h goes off) and the SFU
    # measures f at a rate of its own, about 20 s after joining.
    await eventually(
        # Deadlines, not waits: on a loaded machine the ramp took over 40 s.
        lambda: _above(estimate(), "estimate", 1_500_000),
        timeout=120,
        what="estimate > 1.5 Mbit/s",
    )
    top = layers_of(kamar, room, sender)[2]
    await eventually(lambda: top.bitrate > 500_000, timeout=60, what="f above 500 kbit/s")
    sent = (await estimate())["topLayerSent"]
    await eventually(  # still sending f, not paused
        lambda: _above(estimate(), "topLayerSent", sent + 100_000), timeout=5, what="f flows"
    )
    for page in (publisher, watcher):
        await page.context.close()


async def _above(result: Awaitable[dict[str, float]], key: str, value: float) -> bool:
    return (await result)[key] > value
