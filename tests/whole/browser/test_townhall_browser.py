"""A town hall with real Chromium pages: a moderator promotes an audience member to the stage
and the others start receiving their video; questions are asked, upvoted and answered live.
The audience pages never touch camera or microphone until promoted. Every wait polls."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


WAIT_MS = 15_000

# Counts getUserMedia calls and the signalling messages the page sends, before any page script.
SPY = """(() => {
  window.kamarSpy = { getUserMedia: 0, sent: [] };
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (...args) => {
      window.kamarSpy.getUserMedia += 1;
      return original(...args);
    };
  }
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try { window.kamarSpy.sent.push(JSON.parse(data).type); } catch (e) {}
    return send.call(this, data);
  };
})();"""


class Attendee:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.id = ""

    async def spy(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.page.evaluate("window.kamarSpy")
        return result

    async def decodes(self, sender: str) -> bool:
        entry = (await stats(self.page)).get(sender)
        return bool(entry and entry["video"]["framesDecoded"] > 0)


async def join(
    browser: Browser, kamar: RunningServer, room: str, name: str, role: str, **context: Any
) -> Attendee:
    context_ = await browser.new_context(**context)
    page = await context_.new_page()
    await page.add_init_script(SPY)
    attendee = Attendee(page)
    token = kamar.token(
        room, identity=name.lower(), name=name, role=role, can_publish=role != "audience"
    )
    await page.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
    )
    attendee.id = await participant_id(page)
    return attendee


async def test_a_moderator_invites_a_raised_hand_to_the_stage_and_everyone_sees_them(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-serikat"
    phone = {"viewport": {"width": 360, "height": 640}, "locale": "id-ID"}
    moderator = await join(
        chromium, kamar, room, "Ketua", "moderator", viewport={"width": 1280, "height": 800}
    )
    ani = await join(chromium, kamar, room, "Ani", "audience", **phone)
    budi = await join(chromium, kamar, room, "Budi", "audience", **phone)

    # The audience watches: no camera or microphone asked for, nothing published, no own tile;
    # the moderator is on stage and the audience is a count.
    for viewer in (ani, budi):
        spy = await viewer.spy()
        assert spy["getUserMedia"] == 0 and "publish_offer" not in spy["sent"], spy
        assert await viewer.page.evaluate("window.kamarDebug.client.publishPc === null")
        await eventually(partial(viewer.decodes, moderator.id), what="the stage")
        assert await viewer.page.locator(".tile").count() == 1
        assert await viewer.page.locator("#btn-mic").is_hidden()
        # The server's count, at most a second after the last arrival (docs/protocol.md).
        await viewer.page.wait_for_selector(
            "#audience-count:has-text('👥 2 penonton')", timeout=WAIT_MS
        )
    await moderator.page.wait_for_selector("#audience-count:has-text('2 in the audience')")

    # Ani raises her hand; it shows in the moderator's people panel, who invites her on stage.
    await ani.page.click("#btn-hand")
    await ani.page.wait_for_selector("#btn-hand[aria-pressed='true']")
    invite = f"#hands li[data-participant-id='{ani.id}'] button.invite"
    await moderator.page.click(invite, timeout=WAIT_MS)

    # Promoted: Ani opens camera and microphone and publishes; Budi and the moderator decode her.
    await ani.page.wait_for_selector("#stage-notice:not([hidden])", timeout=WAIT_MS)
    await ani.page.wait_for_function(
        "() => window.kamarSpy.sent.includes('publish_offer')", timeout=WAIT_MS
    )
    assert (await ani.spy())["getUserMedia"] == 1
    for viewer in (budi, moderator):
        await eventually(partial(viewer.decodes, ani.id), timeout=15, what="Ani's video")
        await viewer.page.wait_for_selector(f".tile[data-participant-id='{ani.id}']")
    assert await ani.page.locator("#btn-hand").is_hidden()
    assert await moderator.page.locator(f"#hands li[data-participant-id='{ani.id}']").count() == 0

    # The moderator mutes Ani's microphone: her page turns it off and says why.
    await moderator.page.click(f"#on-stage li[data-participant-id='{ani.id}'] button.mute-audio")
    await ani.page.wait_for_selector("#btn-mic[aria-pressed='true']", timeout=WAIT_MS)
    assert await ani.page.evaluate(
        "window.kamarDebug.client.localStream.getAudioTracks().every((track) => !track.enabled)"
    )
    assert "Moderator mematikan mikrofon" in await ani.page.inner_text("#stage-notice")

    # Q&A: Ani asks, Budi upvotes, everyone sees the vote; the moderator marks it answered.
    await ani.page.fill("#ask-text", "Kapan upah minimum naik?")
    await ani.page.click("#ask-form button[type='submit']")
    question = "#questions li.question:has-text('Kapan upah minimum naik?')"
    await budi.page.click(f"{question} button.vote", timeout=WAIT_MS)
    await moderator.page.click("#tab-qa")
    for viewer in (ani, budi, moderator):
        await viewer.page.wait_for_selector(f"{question} .votes:text-is('1')", timeout=WAIT_MS)
    assert await budi.page.get_attribute(f"{question} button.vote", "aria-pressed") == "true"
    assert await ani.page.get_attribute(f"{question} button.vote", "aria-pressed") == "false"
    assert await ani.page.locator(f"{question} button.answer").count() == 0  # moderators only
    await moderator.page.click(f"{question} button.answer")
    for viewer in (ani, budi, moderator):
        await viewer.page.wait_for_selector(f"{question}.answered", timeout=WAIT_MS)

    # Back to the audience: Ani's camera stops and her tile leaves the others' stage.
    await moderator.page.click("#tab-people")
    await moderator.page.click(f"#on-stage li[data-participant-id='{ani.id}'] button.to-audience")
    await ani.page.wait_for_function(
        "() => !window.kamarDebug.client.publishPc && !window.kamarDebug.client.localStream",
        timeout=WAIT_MS,
    )
    await budi.page.wait_for_selector(
        f".tile[data-participant-id='{ani.id}']", state="detached", timeout=WAIT_MS
    )

    # Budi never needed camera or microphone, and nobody's page failed.
    spy = await budi.spy()
    assert spy["getUserMedia"] == 0 and "publish_offer" not in spy["sent"], spy
    for attendee in (moderator, ani, budi):
        assert attendee.errors == [], attendee.errors
        await attendee.page.context.close()


async def test_a_hand_raised_and_lowered_too_often_is_told_in_the_members_language(
    kamar: RunningServer, chromium: Browser
) -> None:
    phone = {"viewport": {"width": 360, "height": 640}, "locale": "id-ID"}
    budi = await join(chromium, kamar, "balai", "Budi", "audience", **phone)
    # Past the burst of toggles (signalling/ratelimit.py): the server answers rate_limited.
    await budi.page.evaluate(
        "() => { for (let i = 0; i < 30; i++) window.kamarDebug.client.raiseHand(i % 2 === 0); }"
    )
    await budi.page.wait_for_selector("#stage-notice:not([hidden])", timeout=WAIT_MS)
    assert (
        await budi.page.inner_text("#stage-notice")
        == "Terlalu cepat. Tunggu sebentar, lalu coba lagi."
    )
    await budi.page.context.close()
