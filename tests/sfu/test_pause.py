"""Pausing and resuming one subscriber's copy of a video (hidden tiles, last-N)."""

from __future__ import annotations

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, Producer
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


OPUS = bytes([0x78, 0x01, 0x02, 0x03])  # any Opus packet decodes on its own


def test_a_paused_voice_resumes_at_its_next_packet_numbered_on_without_asking_for_anything() -> (
    None
):
    # A data saver hears only the active speaker: the others' audio pauses and resumes.
    source, requests = producer(AUDIO, pt=111, clock_rate=48000)
    consumer, out = attach(source, pt=109)
    source.receive(rtp(500, 48000, OPUS, pt=111))
    _m, _pt, seq_before, ts_before, _ssrc = fields(out.packets[-1])
    consumer.pause()
    for seq in range(501, 551):
        source.receive(rtp(seq, 48000 + 960 * (seq - 500), OPUS, pt=111))
    assert len(out.packets) == 1
    consumer.resume()
    source.receive(rtp(551, 48000 + 960 * 51, OPUS, pt=111))
    assert len(out.packets) == 2 and requests.count == 0
    _m, pt, seq_after, ts_after, _ssrc = fields(out.packets[-1])
    assert (pt, seq_after) == (109, (seq_before + 1) & 0xFFFF)
    assert ts_after - ts_before == 960 * 51  # the silence shows as the time that passed
    assert not consumer.waiting_for_keyframe
    consumer.pause()  # pausing again does not touch the producer's key-frame bookkeeping
    consumer.resume()
    source.receive(rtp(552, 48000 + 960 * 52, OPUS, pt=111))
    assert fields(out.packets[-1])[2] == (seq_before + 2) & 0xFFFF and requests.count == 0


def test_after_an_outage_a_video_restarts_at_a_key_frame_and_repairs_nothing_before_it() -> None:
    # The field benchmark: repairing seconds of video sent into a dead link refilled the link
    # that had just come back; a key frame is what the subscriber needs.
    source, requests, consumer, out = running()
    for seq in range(102, 140):  # sent while the link was down: none arrived
        source.receive(rtp(seq, 12000 + 3000 * (seq - 101), VP8_DELTA))
    lost = [fields(packet)[2] for packet in out.packets[2:]]
    last_sent = fields(out.packets[-1])[2]
    asked = requests.count
    consumer.restart_at_keyframe()
    assert requests.count == asked + 1 and consumer.waiting_for_keyframe
    out.packets.clear()
    consumer.nack(lost, now=1.0)  # before the key frame
    source.receive(rtp(140, 12000 + 3000 * 39, VP8_DELTA))  # cannot decode without it
    assert out.packets == []
    source.receive(rtp(141, 12000 + 3000 * 40, VP8_KEY))
    assert len(out.packets) == 1 and fields(out.packets[0])[2] == (last_sent + 1) & 0xFFFF
    out.packets.clear()
    consumer.nack(lost, now=2.0)  # after it: from before the restart, mapped to nothing
    assert out.packets == []


def test_restarting_at_a_key_frame_leaves_paused_unstarted_and_audio_consumers_alone() -> None:
    source, requests, consumer, _out = running()
    consumer.pause()
    asked = requests.count
    consumer.restart_at_keyframe()
    assert requests.count == asked and not consumer.waiting_for_keyframe
    waiting, _waiting_out = attach(producer()[0])  # no packet yet: it waits anyway
    waiting.restart_at_keyframe()
    assert waiting.waiting_for_keyframe
    voice_source, _voice_requests = producer(kind=AUDIO)
    voice, _voice_out = attach(voice_source)
    voice_source.receive(rtp(1, 960, b"\x01"))
    voice.restart_at_keyframe()
    assert not voice.waiting_for_keyframe and voice.packets_sent == 1
