"""A page whose socket drops while it is applying a subscribe offer answers the offers of its
next visit (issue: a step left pending by the closed connection blocked every later offer)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room, participant_id, receives_everyone

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# While `kamarHold.on`, setRemoteDescription never settles: what Chromium does to a step that
# was under way when its connection was closed (the spec leaves such promises pending).
HOLD_REMOTE_DESCRIPTIONS = """() => {
  window.kamarHold = { on: false, held: 0 };
  const native = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (...args) {
    if (!window.kamarHold.on) return native.apply(this, args);
    window.kamarHold.held += 1;
    return new Promise(() => {});
  };
}"""


async def test_a_drop_during_a_subscribe_offer_does_not_block_the_next_visit(
    kamar: RunningServer, chromium: Browser
) -> None:
    siti = await open_room(chromium, kamar, "rapat", "Siti")
    await siti.evaluate(HOLD_REMOTE_DESCRIPTIONS)
    await siti.evaluate("window.kamarHold.on = true")
    budi = await open_room(chromium, kamar, "rapat", "Budi")
    await siti.wait_for_function("() => window.kamarHold.held > 0")  # the offer for Budi's tracks
    # The link drops mid-step; the next visit's steps run normally.
    await siti.evaluate("window.kamarDebug.client.ws.close(); window.kamarHold.on = false")
    await siti.wait_for_function("() => window.kamarDebug.state.reconnects > 0")
    await siti.wait_for_function("() => window.kamarDebug.state.phase === 'joined'")
    budi_id = await participant_id(budi)
    await eventually(
        lambda: receives_everyone(siti, {budi_id}),
        timeout=15,
        what="Budi's media on Siti's page after the reconnect",
    )
    for page in (siti, budi):
        await page.context.close()
