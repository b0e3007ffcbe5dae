"""Two Chromium pages that may only use relayed candidates meet through a real coturn, one over
UDP and one over TCP, with the credentials Kamar hands out in `welcome`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually, running_kamar
from tests.turn_server import running_coturn
from tests.whole.browser.test_three_browsers import open_room, participant_id, receives_everyone

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# Every peer connection of the page: relay candidates only (iceTransportPolicy "relay"), through
# the TURN URLs of one transport only, so the test knows which way the media went.
RELAY_ONLY = """(tcp) => {
  const Native = window.RTCPeerConnection;
  const keep = (url) => url.startsWith("turn") && url.includes("transport=tcp") === tcp;
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      const iceServers = (config.iceServers || [])
        .map((server) => ({ ...server, urls: [].concat(server.urls).filter(keep) }))
        .filter((server) => server.urls.length > 0);
      super({ ...config, iceServers, iceTransportPolicy: "relay" }, ...rest);
    }
  };
}"""

# The local candidates of the pairs each connection of the page actually uses.
SELECTED_LOCAL_CANDIDATES = """async () => {
  const client = window.kamarDebug.client;
  const found = [];
  for (const pc of [client.publishPc, client.subscribePc]) {
    const report = await pc.getStats();
    report.forEach((pair) => {
      if (pair.type !== "candidate-pair" || !pair.nominated || pair.state !== "succeeded") return;
      const local = report.get(pair.localCandidateId);
      found.push({ type: local.candidateType, relayProtocol: local.relayProtocol });
    });
  }
  return found;
}"""


async def open_relayed(browser: Browser, kamar: RunningServer, name: str, tcp: bool) -> Page:
    relay_only = f"({RELAY_ONLY})({'true' if tcp else 'false'})"
    return await open_room(browser, kamar, "rapat", name, init_script=relay_only)


async def test_chromium_meets_through_coturn_over_udp_and_tcp(
    tmp_path: Path, chromium: Browser
) -> None:
    with running_coturn(tmp_path / "turn") as coturn:
        settings = {"turn_secret": coturn.secret, "turn_urls": coturn.urls}
        async with running_kamar(tmp_path / "kamar", **settings) as kamar:
            over_udp = await open_relayed(chromium, kamar, "Siti", tcp=False)
            over_tcp = await open_relayed(chromium, kamar, "Budi", tcp=True)
            ids = {page: await participant_id(page) for page in (over_udp, over_tcp)}
            for page, other in ((over_udp, over_tcp), (over_tcp, over_udp)):
                await eventually(
                    lambda page=page, other=other: receives_everyone(page, {ids[other]}),
                    timeout=30,
                    what="video and audio through the TURN relay",
                )
            for page, protocol in ((over_udp, "udp"), (over_tcp, "tcp")):
                used = await page.evaluate(SELECTED_LOCAL_CANDIDATES)
                assert used, "no connection has a selected pair"
                assert all(
                    candidate == {"type": "relay", "relayProtocol": protocol} for candidate in used
                ), used
            for page in (over_udp, over_tcp):
                await page.context.close()
