"""Publishers hear back from the SFU: receiver reports (RFC 3550) and a REMB bitrate cap."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


async def remote_inbound(sender: Any) -> list[Any]:
    return [s for s in (await sender.getStats()).values() if s.type == "remote-inbound-rtp"]


async def test_a_publisher_gets_receiver_reports_and_the_configured_bitrate_cap(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "alice", "bob") as (alice, _bob):
        await alice.publish([VideoStreamTrack()])
        assert alice.publish_pc is not None
        sender = alice.publish_pc.getSenders()[0]
        await eventually(lambda: _has_report(sender), timeout=10, what="a receiver report at alice")
        [report] = await remote_inbound(sender)
        assert report.packetsLost == 0 and report.packetsReceived > 0
        # aiortc's VP8 encoder takes the REMB value as its target (kamar's default: 1000 kbps).
        await eventually(
            lambda: sender._RTCRtpSender__encoder.target_bitrate == 1_000_000,
            what="the REMB cap at alice's encoder",
        )


async def _has_report(sender: Any) -> bool:
    return bool(await remote_inbound(sender))
