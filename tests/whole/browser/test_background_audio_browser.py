"""A meeting with the screen off or another app in front (issue #16, docs/android.md: "audio that
keeps playing"): the page is hidden, so the web client asks the server to stop the others'
video, which would only cost data, and the voices keep coming and playing. Shown again, the
video comes back. Two real Chromium pages at 360x640 in Indonesian; the hidden state is the
page's own (document.visibilityState and its event), as a phone's browser or WebView host
reports it, since headless Chromium never hides a page. Every wait polls with a deadline."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import (
    open_room,
    participant_id,
    receives_everyone,
    stats,
    video_stalls,
)

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# As a phone's browser says it when the screen goes off: the page is hidden, then told so.
SET_VISIBILITY = """(hidden) => {
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible"),
  });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""

# The other's <audio> element: playing (not paused, its track live) and its clock moving.
AUDIO_CLOCK = """(sender) => {
  const audio = document.querySelector(`.tile[data-participant-id="${sender}"] audio`);
  if (!audio || audio.paused || !audio.srcObject) return null;
  const track = audio.srcObject.getAudioTracks()[0];
  return track && track.readyState === "live" && !audio.muted ? audio.currentTime : null;
}"""


class AudioClock:
    """One page's view of one sender's <audio> element, asked again and again."""

    def __init__(self, page: Page, sender: str) -> None:
        self.page, self.sender = page, sender
        self.last: float | None = None

    async def moves_on(self) -> bool:
        """True when the element plays and its time moved on since the last look."""
        now = await self.page.evaluate(AUDIO_CLOCK, self.sender)
        previous, self.last = self.last, now
        return now is not None and previous is not None and now > previous


async def frames_decoded(page: Page, sender: str) -> int:
    return int((await stats(page))[sender]["video"]["framesDecoded"])


async def test_voices_keep_playing_while_the_page_is_hidden_and_video_stops(
    kamar: RunningServer, chromium: Browser
) -> None:
    siti = await open_room(chromium, kamar, "rapat-malam", "Siti", locale="id-ID")
    budi = await open_room(chromium, kamar, "rapat-malam", "Budi", locale="id-ID")
    budi_id = await participant_id(budi)
    await eventually(
        lambda: receives_everyone(siti, {budi_id}), timeout=30, what="Siti to receive Budi"
    )

    await siti.evaluate(SET_VISIBILITY, True)
    # Budi's video stops reaching Siti's hidden page (the server pauses it), his voice does not.
    await eventually(
        lambda: video_stalls(siti, budi_id), timeout=20, what="Budi's video to pause for Siti"
    )
    voice = AudioClock(siti, budi_id)
    await eventually(voice.moves_on, timeout=10, what="Budi's voice playing for Siti")

    await siti.evaluate(SET_VISIBILITY, False)
    before = await frames_decoded(siti, budi_id)
    await eventually(
        lambda: _more_frames(siti, budi_id, before), timeout=20, what="Budi's video back for Siti"
    )
    for page in (siti, budi):
        await page.context.close()


async def _more_frames(page: Page, sender: str, before: int) -> bool:
    return await frames_decoded(page, sender) > before
