"""NACK repair: the packet cache, the resend limiter, and a consumer answering NACKs."""

from __future__ import annotations

import struct

import pytest

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, MAX_NACK_GAP, VIDEO, Producer, ProducerId
from sfu.retransmit import PacketCache, ResendLimiter
from sfu.rtp import unwrap_rtx, wrap_rtx
from tests.sfu.test_forwarding import (
    VP8_DELTA,
    VP8_KEY,
    Output,
    attach,
    fields,
    producer,
    rtp,
)


def test_the_cache_returns_a_packet_by_its_sequence_number() -> None:
    cache = PacketCache(8)
    packet = rtp(1000, 0)
    cache.put(1000, packet)
    assert cache.get(1000) is packet
    assert cache.get(1001) is None


def test_an_overwritten_slot_does_not_answer_for_its_old_sequence_number() -> None:
    cache = PacketCache(8)
    cache.put(1000, rtp(1000, 0))
    cache.put(1008, rtp(1008, 0))  # same slot, eight packets later
    assert cache.get(1000) is None and cache.get(1008) is not None


def test_the_cache_works_across_the_sequence_number_wrap() -> None:
    cache = PacketCache(8)
    for seq in (65534, 65535, 0, 1):
        cache.put(seq, rtp(seq, 0))
    assert [fields(cache.get(s) or b"")[2] for s in (65534, 65535, 0, 1)] == [65534, 65535, 0, 1]


@pytest.mark.parametrize("size", [0, 3, 1000])
def test_the_cache_size_must_be_a_power_of_two(size: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        PacketCache(size)


def test_the_limiter_allows_one_resend_per_interval_per_sequence_number() -> None:
    limiter = ResendLimiter(interval=0.1, size=16)
    assert limiter.allow(7, now=10.0)
    assert not limiter.allow(7, now=10.05)
    assert limiter.allow(8, now=10.05)  # another packet is not held back
    assert limiter.allow(7, now=10.2)


def started_consumer() -> tuple[Producer, Consumer, Output]:
    source, _requests = producer()
    consumer, out = attach(source, ssrc=0xBBBB0001, pt=100)
    source.receive(rtp(5000, 90000, VP8_KEY))
    for seq in range(5001, 5010):
        source.receive(rtp(seq, 90000 + 3000 * (seq - 5000), VP8_DELTA))
    return source, consumer, out


def test_a_nacked_packet_is_resent_exactly_as_it_was_first_sent() -> None:
    source, consumer, out = started_consumer()
    first_sent = out.packets[4]
    out.packets.clear()
    consumer.nack([fields(first_sent)[2]], now=1.0)
    assert out.packets == [first_sent]
    assert source.packets_resent == 1 and consumer.packets_sent == 10


def test_a_repeated_nack_within_the_interval_is_not_answered_twice() -> None:
    _source, consumer, out = started_consumer()
    seq = fields(out.packets[3])[2]
    out.packets.clear()
    consumer.nack([seq, seq], now=1.0)
    consumer.nack([seq], now=1.05)
    assert len(out.packets) == 1
    consumer.nack([seq], now=1.2)
    assert len(out.packets) == 2


def test_packets_from_before_the_consumer_started_or_not_cached_are_not_resent() -> None:
    source, consumer, out = started_consumer()
    first_out_seq = fields(out.packets[0])[2]
    out.packets.clear()
    consumer.nack([(first_out_seq - 1) & 0xFFFF, (first_out_seq + 50) & 0xFFFF], now=1.0)
    assert out.packets == []
    assert source.resend_misses == 1  # the future one; the earlier one is never looked up


def test_a_resend_keeps_the_consumers_numbering_for_new_packets() -> None:
    source, consumer, out = started_consumer()
    last_seq = fields(out.packets[-1])[2]
    consumer.nack([fields(out.packets[2])[2]], now=1.0)
    source.receive(rtp(5010, 90000 + 3000 * 10, VP8_DELTA))
    assert fields(out.packets[-1])[2] == (last_seq + 1) & 0xFFFF


def test_audio_keeps_no_cache_so_a_nack_is_a_miss() -> None:
    source, _requests = producer(AUDIO, pt=111, clock_rate=48000)
    consumer, out = attach(source, pt=109)
    source.receive(rtp(10, 960, b"opus", pt=111))
    consumer.nack([fields(out.packets[0])[2]], now=1.0)
    assert len(out.packets) == 1 and source.resend_misses == 1


def test_a_consumer_that_has_not_started_ignores_nacks() -> None:
    source, _requests = producer()
    consumer, out = attach(source)
    source.receive(rtp(1, 0, VP8_DELTA))  # no key frame yet: nothing was sent
    consumer.nack([0, 1, 2], now=1.0)
    assert out.packets == [] and source.resend_misses == 0


def publisher_side() -> tuple[Producer, list[list[int]]]:
    asked: list[list[int]] = []
    source = Producer(
        ProducerId("alice/video/1"),
        "alice",
        VIDEO,
        0xAAAA0001,
        96,
        90000,
        None,
        lambda: None,
        request_resend=asked.append,
    )
    return source, asked


@pytest.mark.parametrize(
    ("seqs", "asked"),
    [
        ([10, 11, 12], []),
        ([10, 13], [[11, 12]]),
        ([65534, 1], [[65535, 0]]),  # across the wrap
        ([10, 12, 11, 13], [[11]]),  # the late one fills the gap: nothing more to ask
        ([10, 9, 11], []),  # an old packet arriving late is no gap
        ([10, 10 + MAX_NACK_GAP + 1], [list(range(11, 11 + MAX_NACK_GAP))]),
        ([10, 10 + MAX_NACK_GAP + 2], []),  # an outage: leave it to key frames
    ],
)
def test_a_producer_asks_its_publisher_once_for_packets_that_never_arrived(
    seqs: list[int], asked: list[list[int]]
) -> None:
    source, requests = publisher_side()
    for seq in seqs:
        source.receive(rtp(seq, seq * 3000, VP8_DELTA))
    assert requests == asked


def rtx(
    osn: int, payload: bytes, *, ext: bytes = b"", padding: int = 0, marker: bool = True
) -> bytes:
    """An RFC 4588 retransmission on RTX payload type 97, SSRC 0xCCCC0001."""
    first = 0x80 | (0x10 if ext else 0) | (0x20 if padding else 0)
    header = struct.pack("!BBHII", first, (0x80 if marker else 0) | 97, 7, 123456, 0xCCCC0001)
    pad = b"\x00" * (padding - 1) + bytes([padding]) if padding else b""
    return header + ext + struct.pack("!H", osn) + payload + pad


@pytest.mark.parametrize(
    ("ext", "padding"), [(b"", 0), (bytes([0xBE, 0xDE, 0, 1, 0x32, 1, 2, 3]), 0), (b"", 4)]
)
def test_an_rtx_packet_unwraps_to_the_original(ext: bytes, padding: int) -> None:
    original = unwrap_rtx(rtx(5000, VP8_DELTA, ext=ext, padding=padding), 96, 0xAAAA0001)
    assert original is not None
    assert fields(original) == (1, 96, 5000, 123456, 0xAAAA0001)
    assert original[0] & 0x20 == 0  # no padding left
    assert original == struct.pack("!BBHII", original[0], 0x80 | 96, 5000, 123456, 0xAAAA0001) + (
        ext + VP8_DELTA
    )


PROBE_HEADER = struct.pack("!BBHII", 0xA0, 97, 8, 123456, 0xCCCC0001)  # P bit set


@pytest.mark.parametrize(
    "data",
    [
        PROBE_HEADER + b"\x00\x00\x00\x04",  # padding only: a bandwidth probe, no OSN
        rtx(5000, b""),  # an OSN without any payload
        PROBE_HEADER + b"\x00\x00\xff",  # padding longer than the packet
        b"\x80\x61\x00",  # too short for an RTP header
    ],
)
def test_probes_and_malformed_rtx_packets_unwrap_to_nothing(data: bytes) -> None:
    assert unwrap_rtx(data, 96, 0xAAAA0001) is None


def test_a_late_packet_fills_its_gap_without_moving_the_numbering() -> None:
    source, consumer, out = started_consumer()  # sent 5000..5009
    source.receive(rtp(5011, 90000 + 3000 * 11, VP8_DELTA))  # 5010 is missing
    source.receive(rtp(5010, 90000 + 3000 * 10, VP8_DELTA))  # ... and arrives late
    source.receive(rtp(5012, 90000 + 3000 * 12, VP8_DELTA))
    assert [fields(p)[2] for p in out.packets[-3:]] == [5011, 5010, 5012]
    assert consumer.last_sent == (5012, 90000 + 3000 * 12)


def test_a_late_packet_from_before_a_consumer_started_is_not_sent_to_it() -> None:
    source, _requests = producer()
    early, early_out = attach(source)
    source.receive(rtp(10, 0, VP8_KEY))
    source.receive(rtp(12, 6000, VP8_DELTA))
    late_joiner, late_out = attach(source, ssrc=0xBBBB0002)
    source.receive(rtp(13, 9000, VP8_KEY))
    source.receive(rtp(11, 3000, VP8_DELTA))  # older than where late_joiner started
    assert [fields(p)[2] for p in early_out.packets] == [10, 12, 13, 11]
    assert [fields(p)[2] for p in late_out.packets] == [13]
    assert early.packets_sent == 3 and late_joiner.packets_sent == 1


@pytest.mark.parametrize(
    ("ext", "padding"), [(b"", 0), (bytes([0xBE, 0xDE, 0, 1, 0x32, 1, 2, 3]), 0), (b"", 4)]
)
def test_wrapping_as_rtx_and_unwrapping_gives_back_the_packet(ext: bytes, padding: int) -> None:
    first = 0x80 | (0x10 if ext else 0) | (0x20 if padding else 0)
    pad = b"\x00" * (padding - 1) + bytes([padding]) if padding else b""
    header = struct.pack("!BBHII", first, 0x80 | 96, 5000, 123456, 0xAAAA0001)
    packet = header + ext + VP8_DELTA + pad
    wrapped = wrap_rtx(packet, 97, 0xCCCC0001, seq=0xFFFF)
    assert fields(bytes(wrapped)) == (1, 97, 0xFFFF, 123456, 0xCCCC0001)
    assert wrapped[0] & 0x20 == 0 and bytes(wrapped[len(header) + len(ext) :][:2]) == b"\x13\x88"
    unwrapped = unwrap_rtx(bytes(wrapped), 96, 0xAAAA0001)
    assert unwrapped == bytes([first & ~0x20]) + packet[1 : len(packet) - padding]


def test_a_nacked_packet_goes_out_on_the_rtx_stream_when_the_subscriber_took_rtx() -> None:
    source, consumer, out = started_consumer()
    consumer.rtx = (101, 0xBBBB0002)
    first_sent = out.packets[4]
    out.packets.clear()
    for _round in range(2):  # two NACKs, a second apart: two repairs, numbered in turn
        consumer.nack([fields(first_sent)[2]], now=1.0 + _round)
    assert len(out.packets) == 2 and consumer.repairs_sent == 2
    first, second = (fields(packet) for packet in out.packets)
    assert (first[1], first[4]) == (101, 0xBBBB0002)
    assert (second[2] - first[2]) & 0xFFFF == 1
    assert unwrap_rtx(out.packets[0], 100, 0xBBBB0001) == first_sent
    assert consumer.packets_sent == 10  # repairs are not media packets
