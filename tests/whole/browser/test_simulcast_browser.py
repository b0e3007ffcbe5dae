"""Simulcast with real Chromium: a publisher sends its camera as VP8 layers told apart by rid,
a subscriber's tile size picks the layer it receives, and each switch shows as a new decoded
frame size while frames keep being decoded."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room, participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


def layers_of(kamar: RunningServer, room: str, owner: str) -> list[Any]:
    meeting = kamar.server.app[SERVICES_KEY].registry.find(room)
    assert meeting is not None
    media = meeting.media
    (video,) = [p for p in media.producers_of(owner) if p.kind == "video"]
    return list(video.layers)


async def video_of(page: Page, sender: str) -> dict[str, int]:
    entry: dict[str, int] = (await stats(page)).get(sender, {}).get("video", {})
    return {"frameWidth": 0, "framesDecoded": 0, **entry}


async def shows(page: Page, sender: str, width: int, frames_after: int) -> bool:
    video = await video_of(page, sender)
    return video["frameWidth"] == width and video["framesDecoded"] > frames_after


async def test_a_smaller_tile_gets_a_smaller_layer_and_frames_keep_coming_across_switches(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "simulcast"
    publisher = await open_room(chromium, kamar, room, "Sari")
    sender = await participant_id(publisher)
    context = await chromium.new_context(viewport={"width": 1280, "height": 800})
    watcher = await context.new_page()
    token = kamar.token(room, identity="watcher", name="Watcher", can_publish=False)
    await watcher.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await watcher.wait_for_function("() => window.kamarDebug.state.phase === 'joined'")

    # Every layer the publisher sends is told apart by its rid and learns its size.
    await eventually(
        lambda: all(layer.size is not None for layer in layers_of(kamar, room, sender)),
        timeout=30,
        what="every layer to arrive with a known size",
    )
    # The fake camera gives 640x360: Chromium sends two layers of that (half and full size).
    assert [layer.rid for layer in layers_of(kamar, room, sender)] == ["h", "f"]
    sizes = sorted(
        layer.size[0] for layer in layers_of(kamar, room, sender) if layer.size is not None
    )
    small, big = sizes[0], sizes[-1]
    assert sizes == [320, 640]

    # A big tile: the watcher climbs to the biggest layer.
    await eventually(lambda: shows(watcher, sender, big, 0), timeout=30, what=f"{big} wide")

    # A small tile: down to the smallest layer at its next key frame, frames still flowing.
    frames = (await video_of(watcher, sender))["framesDecoded"]
    tile = f"[data-participant-id='{sender}']"
    await watcher.eval_on_selector(tile, "el => { el.style.width = '120px'; }")
    await eventually(
        lambda: shows(watcher, sender, small, frames), timeout=15, what=f"{small} wide"
    )
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(
        lambda: shows(watcher, sender, small, frames + 30), timeout=15, what="no freeze after"
    )

    # Big again: back up, still without a freeze.
    await watcher.eval_on_selector(tile, "el => { el.style.width = ''; }")
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(lambda: shows(watcher, sender, big, frames), timeout=30, what="big again")
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await eventually(
        lambda: shows(watcher, sender, big, frames + 30), timeout=15, what="no freeze after"
    )
    (consumer,) = [c for layer in layers_of(kamar, room, sender) for c in layer.consumers]
    assert consumer.switches >= 3  # up (the ramp), down, up: each at a new layer's key frame
    for page in (publisher, watcher):
        await page.context.close()
