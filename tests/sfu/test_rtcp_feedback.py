"""sfu/rtcp_feedback.py reads what aiortc (as a stand-in for a browser) encodes."""

from __future__ import annotations

import struct

import pytest
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    pack_remb_fci,
)

from sfu.rtcp_feedback import KeyframeRequest, LossReport, Nack, Remb, parse_feedback

SUBSCRIBER, VIDEO, AUDIO = 0x11111111, 0xAAAA0001, 0xBBBB0002


def block(ssrc: int = VIDEO, fraction_lost: int = 0) -> RtcpReceiverInfo:
    return RtcpReceiverInfo(
        ssrc=ssrc,
        fraction_lost=fraction_lost,
        packets_lost=0,
        highest_sequence=7,
        jitter=0,
        lsr=0,
        dlsr=0,
    )


def receiver_report() -> bytes:
    return bytes(RtcpRrPacket(ssrc=SUBSCRIBER, reports=[block()]))


def nack(media: int, lost: list[int]) -> bytes:
    packet = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=SUBSCRIBER, media_ssrc=media)
    packet.lost = lost
    return bytes(packet)


def wrapping_nack() -> bytes:
    """PID 65534 and, in its bitmask, 65535, 0 and 3 (bits 0, 1 and 4): aiortc cannot pack it."""
    return struct.pack("!BBHIIHH", 0x81, 205, 3, SUBSCRIBER, VIDEO, 65534, 0b10011)


def pli(media: int) -> bytes:
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=SUBSCRIBER, media_ssrc=media))


def remb(bitrate: int, ssrcs: list[int]) -> bytes:
    fci = pack_remb_fci(bitrate, ssrcs)
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=SUBSCRIBER, media_ssrc=0, fci=fci))


def fir(*targets: int) -> bytes:
    fci = b"".join(struct.pack("!IB3x", ssrc, n) for n, ssrc in enumerate(targets))
    return struct.pack("!BBHII", 0x84, 206, 2 + len(fci) // 4, SUBSCRIBER, 0) + fci


@pytest.mark.parametrize(
    ("compound", "expected"),
    [
        # A browser's usual second: a receiver report and its estimate.
        (
            receiver_report() + remb(2_500_000, [VIDEO, AUDIO]),
            [LossReport(VIDEO, 0.0, 0, 7), Remb(2_500_000, [VIDEO, AUDIO])],
        ),
        (receiver_report(), [LossReport(VIDEO, 0.0, 0, 7)]),
        (receiver_report() + pli(VIDEO), [LossReport(VIDEO, 0.0, 0, 7), KeyframeRequest(VIDEO)]),
        (fir(VIDEO, AUDIO), [KeyframeRequest(VIDEO), KeyframeRequest(AUDIO)]),
        # A NACK's bitmask names the 16 numbers after its PID; across the 16-bit wrap too.
        (nack(VIDEO, [100, 101, 117]), [Nack(VIDEO, [100, 101, 117])]),
        (wrapping_nack(), [Nack(VIDEO, [65534, 65535, 0, 3])]),
        (nack(VIDEO, [10, 40]), [Nack(VIDEO, [10, 40])]),  # two items
        (
            pli(VIDEO) + nack(AUDIO, [5]) + remb(300_000, [VIDEO]),
            [KeyframeRequest(VIDEO), Nack(AUDIO, [5]), Remb(300_000, [VIDEO])],
        ),
    ],
)
def test_what_a_subscriber_asks_for(compound: bytes, expected: list[object]) -> None:
    assert parse_feedback(compound) == expected


def test_a_large_remb_keeps_its_bitrate_to_the_mantissas_precision() -> None:
    (request,) = parse_feedback(remb(123_456_789, [VIDEO]))
    assert isinstance(request, Remb)
    assert 123_456_789 - request.bitrate < 123_456_789 >> 17  # 18 bits of mantissa


@pytest.mark.parametrize(
    "damaged",
    [
        pli(VIDEO)[:8],  # shorter than the common header
        pli(VIDEO)[:-1],  # length field beyond the data
        bytes([0x41]) + pli(VIDEO)[1:],  # version 1
        remb(1_000_000, [VIDEO])[:-4],  # fewer SSRCs than the count says
        bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=b"ABCD" + bytes(8))),
    ],
)
def test_malformed_or_unknown_feedback_asks_for_nothing(damaged: bytes) -> None:
    assert parse_feedback(damaged) == []


def test_what_precedes_a_malformed_part_still_counts() -> None:
    assert parse_feedback(pli(VIDEO) + b"\x81\xce\x00\x09") == [KeyframeRequest(VIDEO)]


def test_every_report_block_gives_its_streams_fraction_lost() -> None:
    rr = RtcpRrPacket(ssrc=SUBSCRIBER, reports=[block(VIDEO, 64), block(AUDIO, 3)])
    sender = RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=2, packet_count=3, octet_count=4)
    sr = RtcpSrPacket(ssrc=SUBSCRIBER, sender_info=sender, reports=[block(AUDIO, 128)])
    assert parse_feedback(bytes(rr) + bytes(sr)) == [
        LossReport(VIDEO, 0.25, 0, 7),
        LossReport(AUDIO, 3 / 256, 0, 7),
        LossReport(AUDIO, 0.5, 0, 7),
    ]


@pytest.mark.parametrize(
    ("packets_lost", "highest"),
    [(0, 7), (1234, 0x0002_FFFF), (-3, 70_000), (0x7FFFFF, 0xFFFF_FFFF), (-0x800000, 1)],
)
def test_a_report_block_gives_its_losses_and_the_sender_report_it_answers(
    packets_lost: int, highest: int
) -> None:
    """RFC 3550 6.4.1: cumulative lost is a signed 24-bit count (duplicates can make it
    negative); the extended highest sequence number holds the cycles in its upper 16 bits;
    LSR and DLSR (1/65536 s) name the sender report answered and how long ago it came."""
    report = RtcpReceiverInfo(
        ssrc=VIDEO,
        fraction_lost=9,
        packets_lost=packets_lost,
        highest_sequence=highest,
        jitter=55,
        lsr=0xDEADBEEF,
        dlsr=65536 * 3 // 2,
    )
    packet = bytes(RtcpRrPacket(ssrc=SUBSCRIBER, reports=[report]))
    assert parse_feedback(packet) == [
        LossReport(VIDEO, 9 / 256, packets_lost, highest, 0xDEADBEEF, 65536 * 3 // 2)
    ]


def test_a_report_cut_short_gives_the_blocks_that_fit() -> None:
    rr = bytearray(bytes(RtcpRrPacket(ssrc=SUBSCRIBER, reports=[block(VIDEO, 64)])))
    rr[0] = (rr[0] & 0xE0) | 2  # says two blocks, holds one
    assert parse_feedback(bytes(rr)) == [LossReport(VIDEO, 0.25, 0, 7)]
