"""Sender reports end to end: a subscriber of the in-process server gets the publisher's
NTP/RTP mapping (RFC 3550 6.4.1); the unit tests are in tests/sfu/test_sender_reports.py."""

from __future__ import annotations

import pytest
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.rtp import RtcpSrPacket

from sfu.forwarding import Producer
from tests.conftest import RunningServer, eventually, participants


@pytest.mark.webrtc
async def test_a_subscriber_gets_sender_reports_with_the_publishers_wall_clock(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[tuple[int, int, int]] = []  # (NTP, RTP, clock rate)
    received: list[tuple[RTCRtpReceiver, int, int]] = []
    original_report, original_handle = Producer.sender_report, RTCRtpReceiver._handle_rtcp_packet

    def record_published(self: Producer, ssrc: int, ntp: int, rtp: int, now: float) -> None:
        if ssrc == self.ssrc:
            published.append((ntp, rtp, self.clock_rate))
        original_report(self, ssrc, ntp, rtp, now)

    async def record_received(self: RTCRtpReceiver, packet: object) -> None:
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            received.append((self, info.ntp_timestamp, info.rtp_timestamp))
        await original_handle(self, packet)

    monkeypatch.setattr(Producer, "sender_report", record_published)
    monkeypatch.setattr(RTCRtpReceiver, "_handle_rtcp_packet", record_received)
    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        await alice.publish([AudioStreamTrack(), VideoStreamTrack()])

        def bob_reports() -> list[tuple[int, int]]:
            pc = bob.subscribe_pc
            mine = set() if pc is None else {id(r) for r in pc.getReceivers()}
            return [(ntp, rtp) for r, ntp, rtp in received if id(r) in mine]

        def with_clock() -> list[tuple[int, int]]:
            return [report for report in bob_reports() if report[0] != 0]

        await eventually(lambda: len(with_clock()) >= 2, timeout=15, what="two SRs at bob")
        # Only reports with alice's wall clock: none before her first SR passes (aiortc's own
        # loop would have sent NTP 0), and they carry alice's own pairs, moved on to when they
        # were sent, both clocks together (sfu/sender_reports.py `extrapolated`).
        assert with_clock() == bob_reports()
        for ntp, rtp in with_clock():
            assert any(_on_the_line(ntp, rtp, *pair) for pair in published), (ntp, rtp)
        assert len({ntp for ntp, _rtp in with_clock()}) == len(with_clock())  # each its own


def _on_the_line(ntp: int, rtp: int, ntp0: int, rtp0: int, clock_rate: int) -> bool:
    """(ntp, rtp) is the publisher's pair (ntp0, rtp0) a few seconds on (or none)."""
    elapsed = (ntp - ntp0) / (1 << 32)
    ticks = (rtp - rtp0) & 0xFFFFFFFF
    return 0 <= elapsed < 5 and abs(ticks - elapsed * clock_rate) <= 1
