"""Three real Chromium pages meet through the real web client and the SFU on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def open_room(
    browser: Browser,
    kamar: RunningServer,
    room: str,
    name: str,
    can_publish: bool = True,
    init_script: str | None = None,
    locale: str | None = None,
) -> Page:
    """A 360x640 phone joined to `room` as `name`; `init_script` runs before the page's own."""
    context = await browser.new_context(viewport={"width": 360, "height": 640}, locale=locale)
    if init_script is not None:
        await context.add_init_script(script=init_script)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    token = kamar.token(room, identity=name.lower(), name=name, can_publish=can_publish)
    await page.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
    )
    assert errors == [], errors
    return page


# Receiver reports show as remote-inbound-rtp; REMB (the server's estimate of the uplink, at
# most the default cap of 1000 kbit/s) bounds Chromium's bandwidth estimate.
RECEIVER_REPORTS_SEEN = """async () => {
  const report = await window.kamarDebug.client.publishPc.getStats();
  const kinds = [];
  let estimate = 0;
  report.forEach((s) => {
    if (s.type === "remote-inbound-rtp") kinds.push(s.kind);
    if (s.type === "candidate-pair" && s.nominated) estimate = s.availableOutgoingBitrate;
  });
  return kinds.includes("audio") && kinds.includes("video") && estimate > 0 && estimate <= 1000000;
}"""


async def stats(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate("window.kamarDebug.stats()")
    return result


async def receives_everyone(page: Page, others: set[str]) -> bool:
    by_participant = await stats(page)
    return set(by_participant) == others and all(
        entry["video"]["framesDecoded"] > 0 and entry["audio"]["packetsReceived"] > 0
        for entry in by_participant.values()
    )


async def video_stalls(page: Page, sender: str) -> bool:
    """True when no video frame from `sender` arrives over a second while audio does."""
    before = (await stats(page))[sender]
    await asyncio.sleep(1.0)
    after = (await stats(page))[sender]
    audio_flows = after["audio"]["packetsReceived"] > before["audio"]["packetsReceived"]
    return bool(
        audio_flows and after["video"]["packetsReceived"] == before["video"]["packetsReceived"]
    )


async def frames_above(page: Page, sender: str, frames: int) -> bool:
    return bool((await stats(page))[sender]["video"]["framesDecoded"] > frames)


async def participant_id(page: Page) -> str:
    return str(await page.evaluate("window.kamarDebug.state.self.id"))


async def test_three_browsers_see_and_hear_each_other(
    kamar: RunningServer, chromium: Browser
) -> None:
    names = ["Siti", "Budi", "Wati"]
    pages = [await open_room(chromium, kamar, "rapat-serikat", name) for name in names]
    ids = [await participant_id(page) for page in pages]

    for page, own_id in zip(pages, ids, strict=True):
        others = set(ids) - {own_id}
        await eventually(
            lambda page=page, others=others: receives_everyone(page, others),
            timeout=30,
            what=f"{own_id} to decode video and receive audio from {others}",
        )
        # Every other participant has a tile with their name; the page shows ours as well.
        labels = await page.locator("figcaption .name").all_inner_texts()
        assert len(labels) == 3
        assert {label.split(" (")[0] for label in labels} == set(names)

    # The SFU sends each publisher receiver reports and a REMB bitrate cap.
    for page in pages:
        await eventually(
            lambda page=page: page.evaluate(RECEIVER_REPORTS_SEEN), what="receiver reports"
        )

    # Chromium's fake microphone beeps: the others see that participant's tile marked as speaking.
    for page in pages:
        await page.wait_for_selector(".tile.speaking:not(.self)", timeout=10_000)

    # A tile that cannot be seen gets its video paused at the server; showing it resumes it.
    hidden = f"[data-participant-id='{ids[1]}']"
    await pages[0].eval_on_selector(hidden, "el => { el.style.display = 'none'; }")
    await eventually(lambda: video_stalls(pages[0], ids[1]), timeout=15, what="paused video")
    frames = (await stats(pages[0]))[ids[1]]["video"]["framesDecoded"]
    await pages[0].eval_on_selector(hidden, "el => { el.style.display = ''; }")
    await eventually(
        lambda: frames_above(pages[0], ids[1], frames + 5), timeout=15, what="resumed video"
    )

    # Leaving is reflected at once on the other pages.
    await pages[2].click("#btn-leave")
    for page in pages[:2]:
        await page.wait_for_function("() => document.querySelectorAll('.tile').length === 2")
    assert await pages[2].locator("#ended").is_visible()

    # Muting the microphone shows on the others' tile.
    await pages[0].click("#btn-mic")
    await pages[1].wait_for_selector(f"[data-participant-id='{ids[0]}'] .badge:not(:empty)")

    for page in pages:
        await page.context.close()


async def test_a_watcher_without_camera_or_microphone_sees_and_hears_the_speaker(
    kamar: RunningServer, chromium: Browser
) -> None:
    """The town-hall audience: a token without the publish grant, so the page never asks for
    camera or microphone and has no publish connection."""
    speaker = await open_room(chromium, kamar, "balai-warga", "Ketua")
    watcher = await open_room(chromium, kamar, "balai-warga", "Warga", can_publish=False)
    speaker_id = await participant_id(speaker)
    await eventually(
        lambda: receives_everyone(watcher, {speaker_id}), timeout=30, what="the speaker"
    )
    assert await watcher.evaluate("window.kamarDebug.client.publishPc === null")
    # An audience member sees the stage (the town-hall layout): the speaker's tile, not its own.
    assert await watcher.locator(".tile").count() == 1
    for page in (speaker, watcher):
        await page.context.close()


async def test_a_full_server_says_so_and_offers_to_try_again(
    kamar: RunningServer, chromium: Browser
) -> None:
    kamar.server.app[SERVICES_KEY].max_participants = 1
    inside = await open_room(chromium, kamar, "penuh", "Ani")
    context = await chromium.new_context(viewport={"width": 360, "height": 640})
    page = await context.new_page()
    await page.goto(f"{kamar.base_url}/r/penuh?token={kamar.token('penuh', 'budi')}")
    await page.wait_for_selector("#ended:not([hidden])")
    assert "full" in await page.inner_text("#ended-text")
    assert await page.locator("#btn-rejoin").is_visible()
    for open_page in (inside, page):
        await open_page.context.close()
