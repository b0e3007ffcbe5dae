"""A downlink that cannot carry even the lowest simulcast layer: the server stops that video
(the sound goes on), the page says so on the tile in the member's language, and the video
comes back by itself when the estimate allows (sfu/simulcast.py OFF, `video_suspended`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from sfu.simulcast import LayerChooser
from sfu.subscriber import SubscriberPeer
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_simulcast_browser import video_of
from tests.whole.browser.test_three_browsers import open_room, participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


def subscriber_of(kamar: RunningServer, participant: str) -> SubscriberPeer:
    for session in kamar.server.app[SERVICES_KEY].live_sessions:
        if session.participant is not None and session.participant.id == participant:
            assert session.media.subscriber is not None
            return session.media.subscriber
    raise AssertionError(f"no session for {participant}")


async def test_a_video_the_link_cannot_carry_stops_with_a_note_and_comes_back(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    room = "sinyal-lemah"
    publisher = await open_room(chromium, kamar, room, "Sari")
    sender = await participant_id(publisher)
    watcher = await open_room(chromium, kamar, room, "Budi", can_publish=False, locale="id-ID")
    subscriber = subscriber_of(kamar, await participant_id(watcher))
    await eventually(lambda: _decodes(watcher, sender, 0), timeout=30, what="Sari's video at Budi")
    # Short waits, so the restart comes within the test; the rules are the same.
    subscriber.receiving.chooser = LayerChooser(up_interval=0.5, backoff=1.0)
    await eventually(
        lambda: subscriber.receiving.estimate is not None and subscriber.receiving.sent_rate > 0,
        what="Budi's first REMB and receiver reports",
    )

    # The estimate collapses below what Sari's lowest layer and her audio cost.
    subscriber.receiving.on_remb(10_000)
    tile = f"[data-participant-id='{sender}']"
    await watcher.wait_for_selector(f"{tile}.suspended .suspended-note", state="visible")
    note = await watcher.inner_text(f"{tile} .suspended-note")
    assert note == "Video dijeda: sinyal lemah. Suara tetap jalan."
    (consumer,) = [c for c in subscriber.consumers if c.producer.kind == "video"]
    assert consumer.paused
    await watcher.screenshot(path=str(tmp_path / "video-suspended.png"))  # to look at

    # The sound goes on while the video is stopped.
    heard = await _audio_packets(watcher, sender)
    await eventually(
        lambda: _audio_grows(watcher, sender, heard + 50), timeout=15, what="audio goes on"
    )

    # Chromium's next REMBs do not fall: after the wait the video restarts at a key frame.
    frames = (await video_of(watcher, sender))["framesDecoded"]
    await watcher.wait_for_selector(f"{tile}.suspended", state="detached", timeout=30_000)
    await eventually(lambda: _decodes(watcher, sender, frames + 10), timeout=30, what="video again")
    assert not consumer.paused
    for page in (publisher, watcher):
        await page.context.close()


async def _decodes(page: Page, sender: str, frames_after: int) -> bool:
    return (await video_of(page, sender))["framesDecoded"] > frames_after


async def _audio_packets(page: Page, sender: str) -> int:
    entry = (await stats(page)).get(sender, {}).get("audio", {})
    return int(entry.get("packetsReceived", 0))


async def _audio_grows(page: Page, sender: str, at_least: int) -> bool:
    return await _audio_packets(page, sender) >= at_least
