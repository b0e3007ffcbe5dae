"""Property-based fuzzing of the RTCP and STUN the SFU reads: a subscriber's feedback
(sfu/rtcp_feedback.py), a publisher's sender reports (aiortc's parser, then our hook, the
producer and the reports we send on: sfu/sender_reports.py), consent checks (sfu/consent.py)
and the transport-wide feedback built from arrivals (sfu/transport_feedback.py). Whatever
arrives: an answer, nothing, or ValueError; never another exception."""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any

import pytest
from aiortc.rtp import RtcpPacket, RtcpSrPacket
from hypothesis import given
from hypothesis import strategies as st

from sfu import peer, rtcp_feedback, sender_reports
from sfu.consent import binding_response
from sfu.consumer import Consumer
from sfu.forwarding import VIDEO, Producer, ProducerId
from sfu.subscriber_slot import Slot
from sfu.transport_feedback import ArrivalLog

pytestmark = pytest.mark.fuzz


@st.composite
def rtcp_packets(draw: st.DrawFn) -> bytes:
    """One RTCP packet: a header whose count, type and length may lie, then random words."""
    words = draw(st.integers(0, 12))
    first = 0x80 | draw(st.integers(0, 0x3F))
    packet_type = draw(st.sampled_from([200, 201, 202, 203, 204, 205, 206, 207, 192, 223]))
    length = draw(st.sampled_from([words, words + 1, max(words - 1, 0), 0xFFFF]))
    return struct.pack("!BBH", first, packet_type, length) + draw(
        st.binary(min_size=4 * words, max_size=4 * words)
    )


compound = st.lists(rtcp_packets(), min_size=1, max_size=4).map(b"".join) | st.binary(max_size=120)


@given(data=compound)
def test_a_subscribers_feedback_parses_to_requests_or_nothing(data: bytes) -> None:
    for request in rtcp_feedback.parse_feedback(data):
        assert isinstance(
            request, rtcp_feedback.KeyframeRequest | rtcp_feedback.Nack | rtcp_feedback.Remb
        )


def _run(coroutine: Any) -> None:
    """Run a coroutine that never waits (the hooks below await only no-ops)."""
    with pytest.raises(StopIteration):
        coroutine.send(None)


@given(data=compound)
def test_a_publishers_sender_reports_reach_the_reports_we_send_without_error(data: bytes) -> None:
    try:
        packets = RtcpPacket.parse(data)  # aiortc's parser, in its DTLS task
    except ValueError:
        return
    producer = Producer(
        ProducerId("alice/video/1"), "alice", VIDEO, 0, 96, 90000, None, lambda: None
    )
    slot = SimpleNamespace(clock=None)
    consumer = Consumer(
        producer,
        0xBBBB0001,
        100,
        lambda packet: True,
        report=lambda n, r, at: Slot.note_sender_report(slot, n, r, at),
    )  # type: ignore[arg-type]
    producer.add_consumer(consumer)

    async def aiortcs_own(packet: Any) -> None:
        return None

    receiver = SimpleNamespace(_handle_rtcp_packet=aiortcs_own)
    peer.hook_sender_reports(
        receiver, lambda ssrc, ntp, rtp: producer.sender_report(ssrc, ntp, rtp, 1.0)
    )
    for packet in packets:
        if isinstance(packet, RtcpSrPacket):
            producer.ssrc = packet.ssrc
            consumer._started = True  # as after its first forwarded packet
        _run(receiver._handle_rtcp_packet(packet))
    if slot.clock is not None:
        ntp, rtp, _at = slot.clock
        report = sender_reports.StreamReport(0xBBBB0001, ntp, rtp, 1, 100)
        for sent in sender_reports.compound_reports([report], b"kamar"):
            assert RtcpPacket.parse(sent)


@st.composite
def stun_like(draw: st.DrawFn) -> bytes:
    """A STUN header (maybe a Binding request, maybe with the cookie and a true length), then
    attributes whose types and lengths may lie."""
    attributes = b""
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(
            st.sampled_from(
                # USERNAME, MESSAGE-INTEGRITY, PRIORITY, USE-CANDIDATE, FINGERPRINT, the ICE
                # roles, MAPPED-, XOR-MAPPED-, XOR-PEER-, XOR-RELAYED-ADDRESS, ERROR-CODE,
                # LIFETIME, SOFTWARE, and one no one knows
                [0x0006, 0x0008, 0x0024, 0x0025, 0x8028, 0x8029, 0x802A, 0x0001, 0x0020]
                + [0x0012, 0x0016, 0x0009, 0x000D, 0x8022, 0xC057]
            )
        )
        value = draw(st.binary(max_size=24))
        declared = draw(st.sampled_from([len(value), len(value) + 4, 20]))
        attributes += struct.pack("!HH", kind, declared) + value + bytes(-len(value) % 4)
    kind = draw(st.sampled_from([0x0001, 0x0101, 0x0111, 0x0011, 0x0003]))
    cookie = draw(st.sampled_from([0x2112A442, 0]))
    length = draw(st.sampled_from([len(attributes), len(attributes) + 4]))
    return struct.pack("!HHI", kind, length, cookie) + bytes(12) + attributes


@given(request=stun_like() | st.binary(max_size=120), controlling=st.booleans())
def test_a_consent_check_is_answered_or_left_to_aioice(request: bytes, controlling: bool) -> None:
    answer = binding_response(request, b"abcd:efgh", b"password", ("127.0.0.1", 5000), controlling)
    assert answer is None or answer[:2] == b"\x01\x01"


@given(
    arrivals=st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 2**40)), max_size=300),
    ssrcs=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
)
def test_transport_feedback_is_well_formed_whatever_sequence_numbers_arrive(
    arrivals: list[tuple[int, int]], ssrcs: tuple[int, int]
) -> None:
    log = ArrivalLog()
    for sequence, arrival_us in arrivals:
        log.record(sequence, arrival_us)
    for packet in log.feedback(*ssrcs):
        first, packet_type, length = struct.unpack_from("!BBH", packet)
        assert (first >> 6, first & 0x1F, packet_type) == (
            2,
            15,
            205,
        )  # RTPFB, FMT 15: transport-cc
        assert 4 * (length + 1) == len(packet)
