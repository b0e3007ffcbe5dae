"""A Chromium publisher sends Opus with in-band FEC and DTX, as the SFU's answer asks."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# The fmtp of the codec Chromium's audio sender uses, once it has sent something.
SENDING_OPUS_FMTP = """async () => {
  const report = await window.kamarDebug.client.publishPc.getStats();
  let fmtp = null;
  report.forEach((entry) => {
    if (entry.type === "outbound-rtp" && entry.kind === "audio" && entry.packetsSent > 0) {
      const codec = report.get(entry.codecId);
      if (codec && codec.mimeType === "audio/opus") fmtp = codec.sdpFmtpLine;
    }
  });
  return fmtp;
}"""


async def test_chromium_sends_opus_with_in_band_fec_and_dtx(
    kamar: RunningServer, chromium: Browser
) -> None:
    page = await open_room(chromium, kamar, "rapat", "Siti")
    fmtp: list[str] = []

    async def sending() -> bool:
        line = await page.evaluate(SENDING_OPUS_FMTP)
        fmtp[:] = [line] if line else []
        return bool(line)

    await eventually(sending, timeout=15, what="Opus going out")
    parameters = dict(part.partition("=")[::2] for part in fmtp[0].split(";"))
    assert parameters["useinbandfec"] == "1" and parameters["usedtx"] == "1", fmtp
    assert parameters["maxaveragebitrate"] == "24000", fmtp  # the default max_audio_kbps
    await page.context.close()
