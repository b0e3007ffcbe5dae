"""RED (RFC 2198) end to end: a Chromium publisher sends its Opus inside RED; a Chromium
subscriber that accepts RED receives it as RED, an aiortc subscriber that does not gets the
primary frames as plain Opus; both play the sound."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from loadtest.client import SyntheticParticipant
from sfu.forwarding import Producer
from sfu.subscriber_slot import Slot
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room, participant_id, stats
from tests.whole.browser.test_video_suspended_browser import subscriber_of

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


def audio_producer(kamar: RunningServer, room: str, owner: str) -> Producer:
    meeting = kamar.server.app[SERVICES_KEY].registry.find(room)
    assert meeting is not None
    media = meeting.media
    (audio,) = [p for p in media.producers_of(owner) if p.kind == "audio"]
    return audio


async def test_red_reaches_a_red_subscriber_as_red_and_an_aiortc_one_as_opus(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "red"
    sari = await open_room(chromium, kamar, room, "Sari")
    sender = await participant_id(sari)
    budi = await open_room(chromium, kamar, room, "Budi", can_publish=False, locale="id-ID")
    cici = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, "cici", can_publish=False), room=room, receive="decode"
    )
    await cici.join()
    try:
        await eventually(lambda: _hears(budi, sender), timeout=30, what="Sari's sound at Budi")
        await eventually(
            lambda: cici.received.frames[(sender, "audio")] > 50,
            timeout=30,
            what="Sari's sound decoded by aiortc",
        )
        # Sari's browser sends RED: every audio packet the server took had red's payload type.
        producer = audio_producer(kamar, room, sender)
        assert producer.red and producer.packets_received > 50
        assert producer.packets_dropped == 0
        # Budi's answer accepted RED, so his copy is RED; cici's (aiortc) is plain Opus.
        budi_audio = _audio_slot(kamar, await participant_id(budi))
        assert budi_audio.red_payload_type is not None
        assert budi_audio.consumer is not None
        assert budi_audio.consumer.payload_type == budi_audio.red_payload_type
        cici_audio = _audio_slot(kamar, cici.id)
        assert cici_audio.red_payload_type is None and cici_audio.consumer is not None
        assert cici_audio.consumer.payload_type == cici_audio.payload_type
        assert cici_audio.consumer.packets_skipped == 0

        # Budi turns on "Hemat data": RED doubles the audio, so he gets plain Opus now, and
        # still hears Sari (the one speaking).
        await budi.click("#btn-saver")
        await eventually(
            lambda: (
                budi_audio.consumer is not None
                and budi_audio.consumer.payload_type == budi_audio.payload_type
            ),
            what="plain Opus for the data saver",
        )
        total, concealed = await budi.evaluate(PLAYOUT)
        await eventually(lambda: _plays_on(budi, total, concealed), what="sound after the switch")
    finally:
        await cici.close()
        for page in (sari, budi):
            await page.context.close()


def _audio_slot(kamar: RunningServer, participant: str) -> Slot:
    subscriber = subscriber_of(kamar, participant)
    (slot,) = [s for s in subscriber.slots if s.kind == "audio"]
    return slot


# The one audio stream Budi receives: samples played out and how many of them were concealed.
PLAYOUT = """async () => {
  const report = await window.kamarDebug.client.subscribePc.getStats();
  let total = 0, concealed = 0;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      total += s.totalSamplesReceived || 0;
      concealed += s.concealedSamples || 0;
    }
  });
  return [total, concealed];
}"""


async def _plays_on(page: Page, total_before: int, concealed_before: int) -> bool:
    total, concealed = await page.evaluate(PLAYOUT)
    played, filled = total - total_before, concealed - concealed_before
    return bool(played > 48_000 and filled < played / 4)


async def _hears(page: Page, sender: str) -> bool:
    if not (await stats(page)).get(sender, {}).get("audio", {}).get("packetsReceived"):
        return False
    total, concealed = await page.evaluate(PLAYOUT)
    return bool(total > 48_000 and concealed < total / 4)  # a second of sound, mostly real
