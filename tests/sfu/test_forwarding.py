"""Producer -> Consumer forwarding: header rewrite, key-frame gating, numbering continuity."""

from __future__ import annotations

import struct

import pytest

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.rtp import build_id_map

VP8_KEY = bytes([0x10, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])  # descriptor S=1, then P bit 0
VP8_DELTA = bytes([0x10, 0x31, 0x05, 0x00])  # descriptor S=1, then P bit 1
VP8_MIDDLE = bytes([0x00, 0x10, 0x02, 0x00])  # S=0: a later packet of a frame


def rtp(
    seq: int,
    ts: int,
    payload: bytes = VP8_DELTA,
    *,
    pt: int = 96,
    ssrc: int = 0xAAAA0001,
    marker: bool = False,
    ext: bytes = b"",
) -> bytes:
    first = 0x90 if ext else 0x80
    header = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    return header + ext + payload


def fields(data: bytes) -> tuple[int, int, int, int, int]:
    """(marker, payload type, sequence, timestamp, ssrc) of an RTP packet."""
    _first, second, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    return second >> 7, second & 0x7F, seq, ts, ssrc


class Output:
    """Stands in for the SRTP sender: collects what a consumer hands it."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def send(self, data: bytes | bytearray) -> bool:
        # Like the SRTP output, copy at once: the producer rewrites the buffer for the next one.
        self.packets.append(bytes(data))
        return True


class Requests:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def producer(
    kind: str = VIDEO, *, pt: int = 96, clock_rate: int = 90000, ext_map: bytes | None = None
) -> tuple[Producer, Requests]:
    requests = Requests()
    made = Producer(
        ProducerId(f"alice/{kind}/1"), "alice", kind, 0xAAAA0001, pt, clock_rate, ext_map, requests
    )
    return made, requests


def attach(
    source: Producer, ssrc: int = 0xBBBB0001, pt: int = 100, resume: tuple[int, int] | None = None
) -> tuple[Consumer, Output]:
    out = Output()
    consumer = Consumer(source, ssrc, pt, out.send, resume)
    source.add_consumer(consumer)
    return consumer, out


def test_an_audio_consumer_forwards_at_once_with_its_own_ssrc_and_payload_type() -> None:
    source, requests = producer(AUDIO, pt=111, clock_rate=48000)
    consumer, out = attach(source, ssrc=0xBBBB0001, pt=109)
    source.receive(rtp(500, 96000, b"opus-frame", pt=111, marker=True))
    assert requests.count == 0 and not consumer.waiting_for_keyframe
    assert [fields(p) for p in out.packets] == [(1, 109, 500, 96000, 0xBBBB0001)]
    assert out.packets[0][12:] == b"opus-frame"
    assert (source.packets_received, consumer.packets_sent) == (1, 1)


def test_the_marker_bit_is_kept_per_packet() -> None:
    source, _ = producer(AUDIO, pt=111)
    _consumer, out = attach(source, pt=111)
    for seq, marker in [(1, False), (2, True), (3, False)]:
        source.receive(rtp(seq, 0, b"x", pt=111, marker=marker))
    assert [fields(p)[0] for p in out.packets] == [0, 1, 0]


@pytest.mark.parametrize("data", [rtp(1, 0, pt=97), rtp(1, 0)[:11], b""])
def test_other_payload_types_and_runts_are_dropped_and_counted(data: bytes) -> None:
    source, _ = producer(AUDIO)
    _consumer, out = attach(source)
    source.receive(data)
    assert out.packets == []
    assert (source.packets_received, source.packets_dropped) == (0, 1)


def test_a_video_consumer_asks_for_a_keyframe_and_skips_packets_until_one_arrives() -> None:
    source, requests = producer()
    consumer, out = attach(source)
    assert consumer.waiting_for_keyframe and requests.count == 1
    source.receive(rtp(10, 9000, VP8_DELTA))
    source.receive(rtp(11, 9000, VP8_MIDDLE))
    assert out.packets == [] and consumer.packets_skipped == 2
    source.receive(rtp(12, 12000, VP8_KEY))
    source.receive(rtp(13, 12000, VP8_MIDDLE))
    source.receive(rtp(14, 15000, VP8_DELTA))
    assert [fields(p)[2] for p in out.packets] == [12, 13, 14]
    assert not consumer.waiting_for_keyframe
    assert consumer.packets_sent == 3 and consumer.packets_skipped == 2


def test_a_late_joiner_waits_for_the_next_keyframe_while_others_keep_receiving() -> None:
    source, requests = producer()
    _first, first_out = attach(source, ssrc=1)
    source.receive(rtp(1, 0, VP8_KEY))
    second, second_out = attach(source, ssrc=2)
    assert requests.count == 2
    source.receive(rtp(2, 3000, VP8_DELTA))
    source.receive(rtp(3, 6000, VP8_KEY))
    assert [fields(p)[2] for p in first_out.packets] == [1, 2, 3]
    assert [fields(p)[2] for p in second_out.packets] == [3]
    assert second.packets_skipped == 1


def test_every_consumer_gets_its_own_header_over_the_same_payload() -> None:
    source, _ = producer()
    outs = [attach(source, ssrc=0x100 + i, pt=100 + i)[1] for i in range(3)]
    source.receive(rtp(7, 700, VP8_KEY))
    sent = [out.packets[0] for out in outs]
    assert [fields(p)[1] for p in sent] == [100, 101, 102]
    assert [fields(p)[4] for p in sent] == [0x100, 0x101, 0x102]
    assert all(p[12:] == VP8_KEY for p in sent)


def test_without_resume_from_the_publishers_numbering_passes_through_its_wraps() -> None:
    source, _ = producer()
    _consumer, out = attach(source)
    source.receive(rtp(65534, 2**32 - 3000, VP8_KEY))
    source.receive(rtp(65535, 2**32 - 3000, VP8_MIDDLE))
    source.receive(rtp(0, 0, VP8_DELTA))
    source.receive(rtp(1, 3000, VP8_DELTA))
    assert [fields(p)[2:4] for p in out.packets] == [
        (65534, 2**32 - 3000),
        (65535, 2**32 - 3000),
        (0, 0),
        (1, 3000),
    ]


def test_resume_from_continues_the_sequence_and_moves_the_clock_one_second_on() -> None:
    source, _ = producer(clock_rate=90000)
    consumer, out = attach(source, resume=(4000, 1_000_000))
    assert consumer.last_sent == (4000, 1_000_000)  # nothing sent yet: keeps the predecessor's
    source.receive(rtp(30000, 500, VP8_KEY))
    source.receive(rtp(30001, 3500, VP8_DELTA))
    assert [fields(p)[2:4] for p in out.packets] == [(4001, 1_090_000), (4002, 1_093_000)]
    assert consumer.last_sent == (4002, 1_093_000)


@pytest.mark.parametrize(
    ("resume", "incoming", "expected"),
    [
        ((65535, 100), [(10, 1000), (11, 2000)], [(0, 48100), (1, 49100)]),
        ((65534, 2**32 - 1000), [(10, 5), (11, 965)], [(65535, 47000), (0, 47960)]),
        ((5, 2**32 - 48000), [(65535, 2**32 - 1), (0, 959)], [(6, 0), (7, 960)]),
    ],
)
def test_resumed_numbering_wraps_at_2_16_and_2_32(
    resume: tuple[int, int], incoming: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    source, _ = producer(AUDIO, clock_rate=48000)
    _consumer, out = attach(source, resume=resume)
    for seq, ts in incoming:
        source.receive(rtp(seq, ts, b"opus"))
    assert [fields(p)[2:4] for p in out.packets] == expected


def test_a_subscriber_moved_to_another_producer_sees_no_jump_backwards() -> None:
    first, _ = producer(clock_rate=90000)
    old, out = attach(first, ssrc=0xCAFE)
    for i in range(3):
        first.receive(rtp(100 + i, 9000 * i, VP8_KEY if i == 0 else VP8_DELTA))
    old.close()
    second, _ = producer(clock_rate=90000)
    new = Consumer(second, 0xCAFE, 100, out.send, old.last_sent)
    second.add_consumer(new)
    second.receive(rtp(60000, 4_000_000_000, VP8_DELTA))  # skipped: no key frame yet
    assert new.last_sent == (102, 18000)
    second.receive(rtp(60001, 4_000_000_000, VP8_KEY))
    second.receive(rtp(60002, 4_000_003_000, VP8_DELTA))
    assert [fields(p)[2:] for p in out.packets] == [
        (100, 0, 0xCAFE),
        (101, 9000, 0xCAFE),
        (102, 18000, 0xCAFE),
        (103, 108000, 0xCAFE),
        (104, 111000, 0xCAFE),
    ]


def test_last_sent_is_none_for_a_fresh_consumer_that_sent_nothing() -> None:
    source, _ = producer()
    consumer, _out = attach(source)
    source.receive(rtp(1, 0, VP8_DELTA))
    assert consumer.last_sent is None


def test_extension_ids_are_remapped_once_for_all_consumers() -> None:
    mid, twcc = "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:x-test:twcc"
    ext_map = build_id_map({mid: 4, twcc: 3}, {mid: 1})
    ext = struct.pack("!HH", 0xBEDE, 1) + bytes([0x40, ord("0"), 0x31, 0x07])
    source, _ = producer(AUDIO, ext_map=ext_map)
    outs = [attach(source, ssrc=s)[1] for s in (1, 2)]
    source.receive(rtp(1, 0, b"opus", ext=ext))
    expected_ext = struct.pack("!HH", 0xBEDE, 1) + bytes([0x10, ord("0"), 0xE1, 0x07])
    for out in outs:
        assert out.packets[0][12:] == expected_ext + b"opus"


def test_video_leaves_with_the_sfus_send_time_and_a_repair_with_its_own() -> None:
    # A subscriber's REMB compares abs-send-time with arrival: the publisher's stamps would
    # count its uplink's queueing as the subscriber's congestion (sfu/rtp.py).
    send_time = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    ext_map = build_id_map({send_time: 5}, {send_time: 3})
    ext = struct.pack("!HH", 0xBEDE, 1) + bytes([0x52, 0x01, 0x02, 0x03])  # the publisher's
    source = Producer(
        ProducerId("alice/video/1"), "alice", VIDEO, 0xAAAA0001, 96, 90000, ext_map,
        Requests(), send_time_id=3,
    )  # fmt: skip
    consumer, out = attach(source)
    source.receive(rtp(1, 0, VP8_KEY, ext=ext), arrival=1.5)
    assert out.packets[0][12:20] == struct.pack("!HH", 0xBEDE, 1) + bytes([0x32, 0x06, 0, 0])
    consumer.nack([1], now=10.0)  # its own numbering: the same packet once more
    repair = out.packets[1][12:20]
    assert repair[4] == 0x32 and repair[5:8] != bytes([0x06, 0, 0])  # stamped when resent


def test_a_packet_whose_extension_overruns_it_is_dropped() -> None:
    source, _ = producer(AUDIO, ext_map=build_id_map({}, {}))
    _consumer, out = attach(source)
    source.receive(rtp(1, 0, b"", ext=struct.pack("!HH", 0xBEDE, 4)))
    assert out.packets == [] and source.packets_dropped == 1


def test_a_malformed_packet_is_dropped_while_a_consumer_waits_for_a_keyframe() -> None:
    source, _ = producer()
    _consumer, out = attach(source)
    source.receive(bytes([0x40]) + rtp(1, 0, VP8_KEY)[1:])  # RTP version 1
    assert out.packets == [] and source.packets_dropped == 1


def test_keyframe_requests_reach_the_publisher_for_open_video_producers_only() -> None:
    video, video_requests = producer(VIDEO)
    audio, audio_requests = producer(AUDIO)
    video_consumer, _ = attach(video)
    audio_consumer, _ = attach(audio)
    video_consumer.request_keyframe()
    audio_consumer.request_keyframe()
    assert (video_requests.count, audio_requests.count) == (2, 0)  # 1 on attach, 1 asked
    video.close()
    video.request_keyframe()
    assert video_requests.count == 2


def test_closing_a_consumer_detaches_it_and_is_idempotent() -> None:
    source, _ = producer(AUDIO)
    consumer, out = attach(source)
    other, other_out = attach(source)
    consumer.close()
    consumer.close()
    source.receive(rtp(1, 0, b"x"))
    assert consumer.closed and source.consumers == [other]
    assert out.packets == [] and len(other_out.packets) == 1


def test_closing_a_producer_closes_its_consumers_once() -> None:
    source, _ = producer()
    consumers = [attach(source, ssrc=s)[0] for s in (1, 2, 3)]
    source.close()
    source.close()
    assert source.closed and source.consumers == []
    assert all(c.closed for c in consumers)


def test_a_bare_consumer_sends_audio_without_its_header_extensions() -> None:
    source, _ = producer(AUDIO, pt=111, clock_rate=48000)
    consumer, out = attach(source, pt=111)
    level = b"\xbe\xde\x00\x01\x10\xaa\x00\x00"  # RFC 6464 audio level, padded
    source.receive(rtp(1, 960, b"first", pt=111, ext=level))
    consumer.send_bare(True)  # a data saver now
    source.receive(rtp(2, 1920, b"second", pt=111, ext=level))
    consumer.send_bare(False)
    source.receive(rtp(3, 2880, b"third", pt=111, ext=level))
    first, second, third = out.packets
    assert first[0] & 0x10 and first.endswith(b"first")
    assert not second[0] & 0x10 and second[12:] == b"second"
    assert fields(second)[2:4] == (2, 1920)  # numbering goes on as ever
    assert third[0] & 0x10 and third.endswith(b"third")
