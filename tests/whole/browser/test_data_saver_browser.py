"""Data saver ("Hemat data") on a 360x640 phone in Indonesian: the camera starts off, others'
video stays paused until tapped and then comes at the lowest layer, and the page counts the
megabytes this meeting used."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import (
    frames_above,
    open_room,
    participant_id,
    stats,
    video_stalls,
)
from tests.whole.browser.test_video_suspended_browser import subscriber_of

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# Set to a folder (e.g. docs/screens) to keep the screenshot this test takes.
SCREENSHOTS = os.environ.get("KAMAR_SCREENS_DIR")


async def open_with_data_saver(browser: Browser, kamar: RunningServer, name: str) -> Page:
    remembered = "localStorage.setItem('kamar.dataSaver', '1')"
    return await open_room(browser, kamar, "rapat", name, init_script=remembered, locale="id-ID")


async def audio_packets(page: Page, sender: str) -> int:
    return int((await stats(page)).get(sender, {}).get("audio", {}).get("packetsReceived", 0))


async def test_data_saver_holds_video_back_until_tapped_and_counts_megabytes(
    kamar: RunningServer, chromium: Browser
) -> None:
    siti = await open_room(chromium, kamar, "rapat", "Siti")
    budi = await open_with_data_saver(chromium, kamar, "Budi")
    siti_id, budi_id = await participant_id(siti), await participant_id(budi)

    # Budi joined with his camera off, and Siti sees it so.
    assert await budi.get_attribute("#btn-saver", "aria-pressed") == "true"
    assert await budi.inner_text("#btn-saver") == "Hemat data"
    await siti.wait_for_function(
        "(id) => window.kamarDebug.client.participants.get(id)?.video_muted === true", arg=budi_id
    )
    # The server was told: Budi hears the loudest speaker's voice only (Siti, the one talking).
    await eventually(
        lambda: subscriber_of(kamar, budi_id).receiving.speakers_only,
        what="data_saver at the server",
    )
    # Siti's sound plays; her video is held back behind a button.
    await eventually(lambda: _audio_above(budi, siti_id, 50), timeout=20, what="Siti's audio")
    tap = budi.locator(f'figure[data-key="{siti_id}"] .tap-video')
    assert await tap.is_visible()
    assert await tap.inner_text() == "Ketuk untuk melihat video"
    await eventually(lambda: video_stalls(budi, siti_id), timeout=15, what="video held back")

    await tap.click()
    await eventually(lambda: frames_above(budi, siti_id, 10), timeout=20, what="video after a tap")
    assert not await tap.is_visible()
    received = (await stats(budi))[siti_id]["video"]
    assert 0 < received["frameWidth"] <= 320, received  # the lowest simulcast layer

    await budi.wait_for_function("() => window.kamarDebug.dataUsedBytes() > 0")
    await eventually(
        lambda: _counter_shows_megabytes(budi), timeout=10, what="the megabytes counter"
    )
    if SCREENSHOTS:
        await budi.screenshot(path=str(Path(SCREENSHOTS) / "meeting-data-saver.png"))

    # At most four videos play at once: a fifth tap stops the oldest.
    shown = await budi.evaluate(
        """() => {
          const board = window.kamarDebug.board;
          for (const key of ["a", "b", "c", "d", "e"]) board.toggleShown(key);
          return board.shown;
        }"""
    )
    assert shown[-4:] == ["b", "c", "d", "e"] and len(shown) == 4
    for page in (siti, budi):
        await page.context.close()


async def _audio_above(page: Page, sender: str, packets: int) -> bool:
    return await audio_packets(page, sender) > packets


async def _counter_shows_megabytes(page: Page) -> bool:
    text = await page.inner_text("#data-used")
    return bool(re.fullmatch(r"\d+,\d\d? MB terpakai", text)) and await page.is_visible(
        "#data-used"
    )
