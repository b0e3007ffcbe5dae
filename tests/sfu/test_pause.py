"""Pausing and resuming one subscriber's copy of a video (hidden tiles, last-N)."""

from __future__ import annotations

from sfu.consumer import Consumer
from sfu.forwarding import Producer
from tests.sfu.test_forwarding import (
    VP8_DELTA,
    VP8_KEY,
    Output,
    Requests,
    attach,
    fields,
    producer,
    rtp,
)


def running() -> tuple[Producer, Requests, Consumer, Output]:
    source, requests = producer()
    consumer, out = attach(source)
    source.receive(rtp(100, 9000, VP8_KEY))
    source.receive(rtp(101, 12000, VP8_DELTA))
    return source, requests, consumer, out


def test_a_paused_video_sends_nothing_not_even_key_frames() -> None:
    source, _requests, consumer, out = running()
    consumer.pause()
    source.receive(rtp(102, 15000, VP8_DELTA))
    source.receive(rtp(103, 18000, VP8_KEY))
    assert len(out.packets) == 2 and consumer.packets_skipped == 2


def test_resuming_asks_for_a_key_frame_and_starts_there() -> None:
    source, requests, consumer, out = running()
    consumer.pause()
    asked = requests.count
    consumer.resume()
    assert requests.count == asked + 1
    source.receive(rtp(150, 90000, VP8_DELTA))  # useless without the key frame before it
    source.receive(rtp(151, 93000, VP8_KEY))
    assert len(out.packets) == 3 and out.packets[2][12:] == VP8_KEY


def test_numbering_continues_without_a_gap_and_the_clock_shows_the_pause() -> None:
    source, _requests, consumer, out = running()
    _m, _pt, seq_before, ts_before, _ssrc = fields(out.packets[-1])
    consumer.pause()
    for seq in range(102, 160):
        source.receive(rtp(seq, 12000 + 3000 * (seq - 101), VP8_DELTA))
    consumer.resume()
    source.receive(rtp(160, 12000 + 3000 * 59, VP8_KEY))
    _m, _pt, seq_after, ts_after, _ssrc = fields(out.packets[-1])
    assert seq_after == (seq_before + 1) & 0xFFFF
    assert ts_after - ts_before == 3000 * 59


def test_nacks_for_packets_from_before_the_pause_are_ignored_after_it() -> None:
    source, _requests, consumer, out = running()
    old = fields(out.packets[0])[2]
    consumer.pause()
    consumer.resume()
    source.receive(rtp(200, 50000, VP8_KEY))
    out.packets.clear()
    consumer.nack([old], now=1.0)
    assert out.packets == []


def test_pausing_a_consumer_still_waiting_for_a_key_frame_stops_the_wait() -> None:
    source, requests = producer()
    consumer, out = attach(source)
    consumer.pause()
    consumer.resume()
    consumer.pause()
    asked = requests.count
    source.receive(rtp(1, 0, VP8_KEY))
    assert out.packets == [] and not consumer.waiting_for_keyframe
    consumer.resume()
    source.receive(rtp(2, 3000, VP8_KEY))
    assert len(out.packets) == 1 and requests.count == asked + 1


def test_pause_and_resume_are_idempotent() -> None:
    source, requests, consumer, out = running()
    consumer.resume()  # not paused: nothing to do
    consumer.pause()
    consumer.pause()
    asked = requests.count
    consumer.resume()
    consumer.resume()
    assert requests.count == asked + 1
