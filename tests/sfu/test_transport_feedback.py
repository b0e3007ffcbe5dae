"""Transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1):
what the SFU reports is read back here by a decoder written from the draft, independently
of the encoder, and checked against the arrivals that were recorded."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from sfu.transport_feedback import (
    MAX_PENDING,
    MAX_SPAN,
    MAX_STATUSES,
    ArrivalLog,
    encode_chunks,
)

SENDER, MEDIA = 0x11111111, 0x22222222
T0 = 1_000_000_000  # an arrival time in microseconds, a whole number of 64 ms periods


@dataclass
class Feedback:
    sender: int
    media: int
    base: int
    reference_us: int
    count: int
    # sequence number (16 bits) -> arrival in microseconds, or None: reported as lost
    arrivals: dict[int, int | None]


def decode(packet: bytes) -> Feedback:
    first, packet_type, length = struct.unpack_from("!BBH", packet)
    assert first >> 6 == 2 and first & 0x1F == 15 and packet_type == 205
    assert (length + 1) * 4 == len(packet)
    end = len(packet) - (packet[-1] if first & 0x20 else 0)
    sender, media, base, status_count = struct.unpack_from("!IIHH", packet, 4)
    reference = int.from_bytes(packet[16:19], "big")
    count = packet[19]
    statuses: list[int] = []
    pos = 20
    while len(statuses) < status_count:
        chunk = int.from_bytes(packet[pos : pos + 2], "big")
        pos += 2
        if not chunk & 0x8000:  # run length
            statuses += [chunk >> 13 & 3] * (chunk & 0x1FFF)
        elif not chunk & 0x4000:  # 14 one-bit statuses
            statuses += [chunk >> (13 - i) & 1 for i in range(14)]
        else:  # 7 two-bit statuses
            statuses += [chunk >> (12 - 2 * i) & 3 for i in range(7)]
    statuses = statuses[:status_count]
    time_us = reference * 64_000
    arrivals: dict[int, int | None] = {}
    for offset, status in enumerate(statuses):
        sequence = (base + offset) & 0xFFFF
        if status == 0:
            arrivals[sequence] = None
            continue
        if status == 1:
            delta = packet[pos]
            pos += 1
        else:
            assert status == 2
            delta = int.from_bytes(packet[pos : pos + 2], "big", signed=True)
            pos += 2
        time_us += delta * 250
        arrivals[sequence] = time_us
    assert pos <= end and not any(packet[pos:end]), "bytes after the last delta"
    return Feedback(sender, media, base, reference * 64_000, count, arrivals)


def report(recorded: list[tuple[int, int]]) -> list[Feedback]:
    log = ArrivalLog()
    for sequence, arrival in recorded:
        log.record(sequence, arrival)
    return [decode(packet) for packet in log.feedback(SENDER, MEDIA)]


def test_consecutive_arrivals_come_back_in_250_microsecond_ticks() -> None:
    (feedback,) = report([(7, T0 + 1_000), (8, T0 + 2_000), (9, T0 + 2_600), (10, T0 + 40_000)])
    assert (feedback.sender, feedback.media, feedback.base, feedback.count) == (SENDER, MEDIA, 7, 0)
    assert feedback.reference_us == T0
    # 2,600 us is 10.4 ticks: reported as 10 (2,500 us), never drifting further than a tick.
    assert feedback.arrivals == {7: T0 + 1_000, 8: T0 + 2_000, 9: T0 + 2_500, 10: T0 + 40_000}


def test_a_gap_is_reported_as_not_received() -> None:
    (feedback,) = report([(1, T0), (2, T0 + 1_000), (5, T0 + 4_000)])
    assert feedback.arrivals == {1: T0, 2: T0 + 1_000, 3: None, 4: None, 5: T0 + 4_000}


def test_reordered_packets_get_negative_deltas() -> None:
    (feedback,) = report([(1, T0), (3, T0 + 5_000), (2, T0 + 6_000)])
    assert feedback.arrivals == {1: T0, 2: T0 + 6_000, 3: T0 + 5_000}


def test_a_gap_over_64_ms_uses_a_two_byte_delta() -> None:
    (feedback,) = report([(1, T0), (2, T0 + 500_000)])
    assert feedback.arrivals == {1: T0, 2: T0 + 500_000}


def test_a_gap_longer_than_two_bytes_of_ticks_starts_a_new_packet() -> None:
    first, second = report([(1, T0), (2, T0 + 9_000_000), (3, T0 + 9_001_000)])
    assert first.arrivals == {1: T0}
    assert second.arrivals == {2: T0 + 9_000_000, 3: T0 + 9_001_000}
    assert (first.count, second.count) == (0, 1)


def test_the_sequence_number_wraps() -> None:
    (feedback,) = report([(65534, T0), (65535, T0 + 1_000), (1, T0 + 3_000)])
    assert feedback.base == 65534
    assert feedback.arrivals == {65534: T0, 65535: T0 + 1_000, 0: None, 1: T0 + 3_000}


def test_many_packets_are_split_and_counted() -> None:
    recorded = [(s, T0 + s * 100) for s in range(1000)]
    packets = report(recorded)
    assert [p.base for p in packets] == [0, MAX_STATUSES, 2 * MAX_STATUSES]
    assert [p.count for p in packets] == [0, 1, 2]
    merged: dict[int, int | None] = {}
    for packet in packets:
        merged.update(packet.arrivals)
    # 100 us apart: each lands on the 250 us tick at or below it.
    assert merged == {s: T0 + (s * 100 // 250) * 250 for s in range(1000)}


def test_each_packet_is_reported_once_and_late_ones_are_dropped() -> None:
    log = ArrivalLog()
    log.record(1, T0)
    log.record(3, T0 + 2_000)
    (first,) = [decode(p) for p in log.feedback(SENDER, MEDIA)]
    assert first.arrivals == {1: T0, 2: None, 3: T0 + 2_000}
    assert log.feedback(SENDER, MEDIA) == []  # nothing new
    log.record(2, T0 + 3_000)  # too late: already reported lost
    log.record(3, T0 + 3_000)  # a duplicate
    log.record(4, T0 + 4_000)
    (second,) = [decode(p) for p in log.feedback(SENDER, MEDIA)]
    assert second.base == 4 and second.arrivals == {4: T0 + 4_000}
    assert second.count == 1


def test_packets_are_padded_to_whole_words() -> None:
    log = ArrivalLog()
    log.record(1, T0)  # header 20 + one chunk 2 + one delta 1 = 23 bytes: one byte of padding
    (packet,) = log.feedback(SENDER, MEDIA)
    assert len(packet) == 24 and packet[0] & 0x20 and packet[-1] == 1


@pytest.mark.parametrize(
    ("statuses", "chunks"),
    [
        ([1] * 14, [0x200E]),  # a run of 14 received: T=0, status 01, length 14
        ([0] * 20 + [1], [0x0014, 0xA000]),  # 20 lost as a run, then a one-bit vector
        ([1, 0] * 7, [0xAAAA]),  # T=1, S=0, 14 alternating bits
        ([2, 1], [0xE400]),  # T=1, S=1: 10 01, the rest unused
        ([1] * 3 + [2] * 5, [0xD5AA, 0xE000]),  # 01 01 01 10 10 10 10 | 10
    ],
)
def test_status_chunks(statuses: list[int], chunks: list[int]) -> None:
    encoded = encode_chunks(statuses)
    assert [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)] == chunks


def test_a_jump_far_ahead_is_reported_from_a_bounded_span() -> None:
    packets = report([(1, T0), (30_001, T0 + 1_000)])
    # Only the last MAX_SPAN numbers are looked at, and only the stretch holding an arrival
    # becomes a packet: number 1 is left unreported.
    span_start = 30_002 - MAX_SPAN
    stretch = span_start + (30_001 - span_start) // MAX_STATUSES * MAX_STATUSES
    assert [p.base for p in packets] == [stretch]
    assert packets[0].arrivals[30_001] == T0 + 1_000


def test_a_full_log_forgets_its_oldest_arrivals() -> None:
    log = ArrivalLog()
    extra = 100
    for sequence in range(MAX_PENDING + extra):
        log.record(sequence, T0 + sequence * 1_000)
    assert len(log) == MAX_PENDING
    log.record(5, T0)  # older than what was forgotten: not kept either
    assert len(log) == MAX_PENDING
    merged: dict[int, int | None] = {}
    for packet in log.feedback(SENDER, MEDIA):
        merged.update(decode(packet).arrivals)
    assert min(merged) == extra and max(merged) == MAX_PENDING + extra - 1
    assert None not in merged.values()
