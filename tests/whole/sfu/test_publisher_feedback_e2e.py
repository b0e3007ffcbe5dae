"""Publishers hear back from the SFU: receiver reports (RFC 3550) and a REMB bitrate cap."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc import RTCRtpSender
from aiortc.mediastreams import VideoStreamTrack
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

from sfu import native
from tests.conftest import RunningServer, eventually, participants
from tests.sfu.test_transport_feedback import decode

pytestmark = pytest.mark.webrtc


@pytest.fixture(params=["native", "python"])
def receive_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's receive and send steps in C (sfu/_ingress.c, sfu/_routes.c), or in
    Python as where no C compiler was at hand."""
    if request.param == "python":
        monkeypatch.setattr(native, "rtpsend", None)
    elif native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c (tests/sfu/test_native.py insists)")
    return str(request.param)


async def remote_inbound(sender: Any) -> list[Any]:
    return [s for s in (await sender.getStats()).values() if s.type == "remote-inbound-rtp"]


@pytest.fixture
def rembs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bitrates of the REMBs the publishers here receive, in order."""
    received: list[int] = []
    handle = RTCRtpSender._handle_rtcp_packet

    async def record(self: RTCRtpSender, packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            received.append(unpack_remb_fci(packet.fci)[0])
        await handle(self, packet)

    monkeypatch.setattr(RTCRtpSender, "_handle_rtcp_packet", record)
    return received


async def test_a_publisher_gets_receiver_reports_and_a_remb_within_the_cap(
    kamar: RunningServer, rembs: list[int]
) -> None:
    async with participants(kamar, "demo", "alice", "bob") as (alice, _bob):
        await alice.publish([VideoStreamTrack()])
        assert alice.publish_pc is not None
        sender = alice.publish_pc.getSenders()[0]
        await eventually(lambda: _has_report(sender), timeout=10, what="a receiver report at alice")
        [report] = await remote_inbound(sender)
        assert report.packetsLost == 0 and report.packetsReceived > 0
        # First the cap (kamar's default 1000 kbit/s), then the server's estimate of alice's
        # uplink once it has one: aiortc's encoder sends ~500 kbit/s, so that lies below.
        await eventually(lambda: any(r < 1_000_000 for r in rembs), what="an estimated REMB")
        assert all(0 < r <= 1_000_000 for r in rembs)


async def _has_report(sender: Any) -> bool:
    return bool(await remote_inbound(sender))


def capture_feedback(sender: Any) -> list[bytes]:
    """The transport-cc feedback packets (RTPFB, FMT 15) the sender's transport receives from
    now on, in order; aiortc still handles every RTCP packet."""
    feedback: list[bytes] = []
    transport = sender.transport
    original = transport._handle_rtcp_data

    async def capture(data: bytes) -> None:
        if data[1] == 205 and data[0] & 0x1F == 15:
            feedback.append(data)
        await original(data)

    transport._handle_rtcp_data = capture
    return feedback


async def test_a_publisher_asking_for_transport_cc_gets_arrival_reports_and_only_the_cap(
    receive_path: str, kamar: RunningServer, rembs: list[int]
) -> None:
    async with participants(kamar, "demo", "alice", "bob") as (alice, _bob):
        # Like a browser: the offer asks for transport-cc, every packet is numbered.
        await alice.publish([VideoStreamTrack()], transport_cc=True)
        assert alice.publish_pc is not None
        feedback = capture_feedback(alice.publish_pc.getSenders()[0])
        await eventually(lambda: len(feedback) >= 5, timeout=10, what="five feedback packets")
        reports = [decode(packet) for packet in feedback]
        # Each report starts where the last ended, and this loopback loses nothing.
        for earlier, later in zip(reports, reports[1:], strict=False):
            assert later.base == (earlier.base + len(earlier.arrivals)) & 0xFFFF
            assert later.count == (earlier.count + 1) & 0xFF
        arrivals = [t for r in reports for t in r.arrivals.values()]
        assert None not in arrivals
        await eventually(lambda: len(rembs) >= 2, timeout=10, what="two REMBs")
        # The browser estimates its uplink itself: the SFU's REMB only caps it.
        assert set(rembs) == {1_000_000}


async def test_the_last_packets_before_a_publisher_stops_are_reported_too(
    receive_path: str, kamar: RunningServer
) -> None:
    """Feedback goes out with the arrivals while packets flow; when they stop, a timer
    reports the rest."""
    async with participants(kamar, "demo", "alice", "bob") as (alice, _bob):
        track = VideoStreamTrack()
        await alice.publish([track], transport_cc=True)
        assert alice.publish_pc is not None
        sender = alice.publish_pc.getSenders()[0]
        feedback = capture_feedback(sender)
        await eventually(lambda: len(feedback) >= 3, timeout=10, what="feedback while sending")
        track.stop()  # aiortc's sender stops at its next frame
        sent: list[int] = []

        async def stopped() -> bool:
            stats = await sender.getStats()
            sent.extend(s.packetsSent for s in stats.values() if s.type == "outbound-rtp")
            return len(sent) >= 2 and sent[-1] == sent[-2]

        await eventually(stopped, timeout=5, what="the publisher to stop sending")
        # The publisher numbers its packets from 0, one per RTP packet it sends.
        last = (sent[-1] - 1) & 0xFFFF

        def reported(sequence: int) -> bool:
            return any(sequence in decode(packet).arrivals for packet in feedback)

        await eventually(lambda: reported(last), timeout=2, what=f"packet {last} reported")
