"""Sender reports to a subscriber (RFC 3550 6.4.1), built by the SFU: one compound RTCP packet
for all the streams of one subscriber connection, about once a second.

aiortc runs a task per sender that wakes every 0.5-1.5 s, builds its packets as objects and
sends them through its transport. With 80 subscribers and no media flowing, that loop was half
of the server's Python time (docs/benchmarks.md); here a subscriber's reports go out from one
timer, packed with struct, protected and sent on its ICE pair directly (sfu/packet_output.py).

Sans-I/O: packets in, bytes out; the caller owns the timer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sfu.ticks import on_tick

REPORT_INTERVAL = 1.0  # seconds between reports on average (RFC 3550 6.3.1 varies it 0.5-1.5x)
# Streams per compound packet: 12 SRs (28 bytes) and their CNAMEs stay well under one MTU
# with aiortc's 36-character CNAMEs; a subscriber with more streams gets several packets.
STREAMS_PER_PACKET = 12

RTCP_SR, RTCP_SDES = 200, 202
SDES_CNAME = 1
_SR = struct.Struct("!BBHIQIII")  # V=2 RC=0 | PT | length | SSRC | NTP | RTP | packets | octets
_CHUNK_HEAD = struct.Struct("!IBB")  # SSRC | item type | item length


@dataclass(frozen=True)
class StreamReport:
    """What one forwarded stream reports: the publisher's wall clock (NTP) against the time
    in this stream's own RTP clock, and what the SFU sent on it so far."""

    ssrc: int
    ntp: int
    rtp: int
    packets: int
    octets: int  # with RTP headers: a small overstatement of RFC 3550's payload octet count


NTP_UNIT = 1 << 32  # an NTP timestamp counts seconds in its upper 32 bits (RFC 5905 6)


def extrapolated(ntp: int, rtp: int, elapsed: float, clock_rate: int) -> tuple[int, int]:
    """The publisher's NTP/RTP pair moved `elapsed` seconds on, both clocks together, so that
    every sender report the SFU sends carries its own wall-clock time.

    Why: a receiver's report echoes the last SR's NTP (LSR, RFC 3550 6.4.1), and the round
    trip it times (sfu/round_trip.py) is the only measure of the downlink's standing queue. A
    publisher reports its audio every few seconds; passed on as it came, one NTP went out in
    several SRs, and their answers could not say which one they timed, so most were thrown
    away and most loss verdicts had no queue of their own. Moving both clocks by the same
    time keeps lip sync: the pair still names one instant of the publisher's media."""
    if elapsed <= 0:
        return ntp, rtp
    return (
        (ntp + round(elapsed * NTP_UNIT)) & 0xFFFFFFFFFFFFFFFF,
        (rtp + round(elapsed * clock_rate)) & 0xFFFFFFFF,
    )


def sender_report(stream: StreamReport) -> bytes:
    """An SR with no report blocks (the SFU receives nothing on a subscriber connection)."""
    return _SR.pack(
        0x80,
        RTCP_SR,
        6,  # length in 32-bit words minus one
        stream.ssrc,
        stream.ntp,
        stream.rtp,
        stream.packets & 0xFFFFFFFF,
        stream.octets & 0xFFFFFFFF,
    )


def source_description(chunks: Sequence[tuple[int, bytes]]) -> bytes:
    """An SDES packet (RFC 3550 6.5) with a CNAME item per SSRC. Each chunk's item list ends
    with at least one null octet, padded to a 32-bit boundary."""
    if len(chunks) > 31:
        raise ValueError("an SDES packet holds at most 31 chunks")
    body = bytearray()
    for ssrc, cname in chunks:
        if len(cname) > 255:
            raise ValueError("a CNAME is at most 255 octets")
        chunk = _CHUNK_HEAD.pack(ssrc, SDES_CNAME, len(cname)) + cname
        body += chunk + bytes(4 - len(chunk) % 4)
    return struct.pack("!BBH", 0x80 | len(chunks), RTCP_SDES, len(body) // 4) + bytes(body)


def compound_reports(streams: Iterable[StreamReport], cname: bytes) -> list[bytes]:
    """Compound packets (RFC 3550 6.1: SRs first, then an SDES with the CNAME) for `streams`,
    STREAMS_PER_PACKET at a time. Every stream of one connection shares the CNAME."""
    pending = list(streams)
    packets = []
    for start in range(0, len(pending), STREAMS_PER_PACKET):
        group = pending[start : start + STREAMS_PER_PACKET]
        reports = b"".join(sender_report(stream) for stream in group)
        packets.append(reports + source_description([(s.ssrc, cname) for s in group]))
    return packets


def due_time(now: float, random_fraction: float) -> float:
    """When the next report is due, from a random number in [0, 1): 0.5 to 1.5 intervals on
    (RFC 3550 6.3.1), rounded up to a whole tick (sfu/ticks.py), so the reports of many
    subscribers that fall due close together go out in one wake-up of the event loop."""
    return on_tick(now + REPORT_INTERVAL * (0.5 + random_fraction))
