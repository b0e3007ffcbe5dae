"""The SFU's own sender reports (sfu/sender_reports.py), read back with aiortc's RTCP parser."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtcpPacket, RtcpSdesPacket, RtcpSrPacket

from sfu.sender_reports import (
    STREAMS_PER_PACKET,
    StreamReport,
    compound_reports,
    due_time,
    source_description,
)
from sfu.ticks import TICK

CNAME = b"0c5f4d9e-8f64-4c2b-9a57-6f1e2d3c4b5a"  # aiortc's CNAMEs are UUIDs


def streams(count: int) -> list[StreamReport]:
    return [
        StreamReport(0x1000 + i, 0xE000_0000_8000_0000 + i, 90_000 * i, 10 + i, 12_000 + i)
        for i in range(count)
    ]


def test_a_compound_packet_has_the_reports_then_the_cnames() -> None:
    (packet,) = compound_reports(streams(2), CNAME)
    first, second, sdes = RtcpPacket.parse(packet)
    assert isinstance(first, RtcpSrPacket) and isinstance(second, RtcpSrPacket)
    assert isinstance(sdes, RtcpSdesPacket)
    for parsed, stream in zip((first, second), streams(2), strict=True):
        info = parsed.sender_info
        assert parsed.ssrc == stream.ssrc and parsed.reports == []
        assert (info.ntp_timestamp, info.rtp_timestamp) == (stream.ntp, stream.rtp)
        assert (info.packet_count, info.octet_count) == (stream.packets, stream.octets)
    assert [(chunk.ssrc, chunk.items) for chunk in sdes.chunks] == [
        (0x1000, [(1, CNAME)]),
        (0x1001, [(1, CNAME)]),
    ]


def test_counts_wrap_at_32_bits() -> None:
    stream = StreamReport(1, 2, 3, (1 << 32) + 5, (1 << 33) + 7)
    ((report, _sdes),) = [RtcpPacket.parse(p) for p in compound_reports([stream], CNAME)]
    assert (report.sender_info.packet_count, report.sender_info.octet_count) == (5, 7)


def test_many_streams_go_in_several_packets_each_under_one_mtu() -> None:
    packets = compound_reports(streams(30), CNAME)
    assert len(packets) == 3 and all(len(p) <= 1200 for p in packets)
    parsed = [RtcpPacket.parse(p) for p in packets]
    reported = [p.ssrc for group in parsed for p in group if isinstance(p, RtcpSrPacket)]
    assert reported == [s.ssrc for s in streams(30)]
    assert [len(group) for group in parsed] == [STREAMS_PER_PACKET + 1] * 2 + [6 + 1]


@pytest.mark.parametrize("cname_length", [1, 2, 3, 4, 5])
def test_each_chunk_ends_with_a_null_and_is_padded_to_32_bits(cname_length: int) -> None:
    sdes = source_description([(7, b"x" * cname_length)])
    assert len(sdes) % 4 == 0
    chunk = sdes[4:]
    assert chunk[6 : 6 + cname_length] == b"x" * cname_length
    assert chunk[6 + cname_length :] and not any(chunk[6 + cname_length :])


def test_what_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="31 chunks"):
        source_description([(i, b"c") for i in range(32)])
    with pytest.raises(ValueError, match="255 octets"):
        source_description([(1, b"c" * 256)])


@pytest.mark.parametrize(
    ("now", "fraction", "due"),
    [
        (100.0, 0.0, 100.5),  # half an interval on, already on the grid
        (100.0, 0.999, 101.5),  # 101.499 rounds up to the next tick
        (100.1, 0.1, 100.75),  # 100.7 rounds up
    ],
)
def test_reports_are_due_half_to_one_and_a_half_seconds_on_a_grid(
    now: float, fraction: float, due: float
) -> None:
    assert due_time(now, fraction) == pytest.approx(due)
    assert due_time(now, fraction) / TICK == pytest.approx(round(due_time(now, fraction) / TICK))
