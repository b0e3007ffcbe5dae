"""The load test's counting subscribers send receiver reports and REMB as browsers do."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import VideoStreamTrack
from aiortc.rtp import RtcpPacket, RtcpRrPacket

from loadtest.client import SyntheticParticipant
from loadtest.subscriber_rtcp import REMB_BITRATE
from sfu.rtcp_feedback import Remb, parse_feedback
from sfu.subscriber import SubscriberPeer
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc


async def test_a_counting_subscriber_reports_its_reception_and_bandwidth(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived: list[tuple[SubscriberPeer, bytes]] = []  # (the server's peer, plain RTCP)
    on_rtcp = SubscriberPeer._on_rtcp

    def record(self: SubscriberPeer, data: bytes) -> None:
        arrived.append((self, bytes(data)))
        on_rtcp(self, data)

    monkeypatch.setattr(SubscriberPeer, "_on_rtcp", record)
    room = "reports"
    alice = SyntheticParticipant(kamar.ws_url, kamar.token(room, "alice"), room=room)
    bob = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, "bob"), room=room, receive="count", report=True
    )
    carol = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, "carol"), room=room, receive="count"
    )
    try:
        for member in (alice, bob, carol):
            await member.join()
        await alice.publish([VideoStreamTrack()])
        await eventually(lambda: bob.received.bytes > 0 and carol.received.bytes > 0)
        bob.received.start_measuring()  # report blocks come from what is measured
        await eventually(lambda: _blocks(arrived) > 0, timeout=10, what="a report block from bob")
        (server_side,) = {peer for peer, _data in arrived}  # bob's alone: carol sends none
        rembs = [r for _peer, data in arrived for r in parse_feedback(data) if isinstance(r, Remb)]
        assert rembs and {remb.bitrate for remb in rembs} == {REMB_BITRATE}
        assert server_side.receiving.estimate == REMB_BITRATE
    finally:
        for member in (alice, bob, carol):
            await member.close()


def _blocks(arrived: list[tuple[SubscriberPeer, bytes]]) -> int:
    """Receiver report blocks in what the server got, with no loss reported."""
    blocks = [
        block
        for _peer, data in arrived
        for packet in RtcpPacket.parse(data)
        if isinstance(packet, RtcpRrPacket)
        for block in packet.reports
    ]
    assert all(block.packets_lost == 0 for block in blocks)
    return len(blocks)
