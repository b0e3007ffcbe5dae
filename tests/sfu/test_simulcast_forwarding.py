"""A simulcast track: a consumer fed by one layer at a time, switching at key frames with its
sequence numbers, timestamps, VP8 picture ids and TL0PICIDX continuous."""

from __future__ import annotations

import struct

import pytest

from sfu.consumer import Consumer
from sfu.forwarding import VIDEO, Producer, ProducerId
from sfu.rtp import Vp8Fields
from tests.sfu.test_forwarding import Output, Requests, fields
from tests.sfu.test_rtp_simulcast import DELTA_HEADER, descriptor, keyframe_header

SSRCS = (0x51000001, 0x51000002, 0x51000003)
SIZES = ((160, 90), (320, 180), (640, 360))
# Each layer has its own RTP clock offset, sequence numbers and picture numbering.
TS_BASE = (1_000_000, 7_000_000, 3_000_000_000)
SEQ_BASE = (100, 30_000, 65_500)
PID_BASE = (10, 20_000, 32_760)
TL0_BASE = (5, 100, 250)
FRAME = 3000  # 90 kHz ticks per frame at 30 fps


class Track:
    """A simulcast track of three layers, fed frame by frame like Chromium would."""

    def __init__(self) -> None:
        self.requests = [Requests() for _ in SSRCS]
        self.producer = Producer(
            ProducerId("alice/video/1"), "alice", VIDEO, 0, 96, 90000, None, Requests()
        )
        layers = [
            Producer(
                ProducerId(f"alice/video/1/{rid}"), "alice", VIDEO, ssrc, 96, 90000, None, asked
            )
            for rid, ssrc, asked in zip("qhf", SSRCS, self.requests, strict=True)
        ]
        self.producer.add_layers(layers)
        self.frames = [0, 0, 0]  # frames sent per layer so far

    def frame(self, layer: int, key: bool = False, at: float | None = None) -> None:
        """One frame of one layer in one packet, sent at `at` seconds (default: 30 fps)."""
        n = self.frames[layer]
        self.frames[layer] += 1
        payload = descriptor((PID_BASE[layer] + n) & 0x7FFF, (TL0_BASE[layer] + n) & 0xFF) + (
            keyframe_header(*SIZES[layer]) if key else DELTA_HEADER + bytes(6)
        )
        header = struct.pack(
            "!BBHII",
            0x80,
            0x80 | 96,
            (SEQ_BASE[layer] + n) & 0xFFFF,
            (TS_BASE[layer] + FRAME * n) & 0xFFFFFFFF,
            SSRCS[layer],
        )
        self.producer.layers[layer].receive(header + payload, n / 30 if at is None else at)

    def all_layers(self, key: bool = False) -> None:
        for layer in range(3):
            self.frame(layer, key)


def attach(track: Track, layer: int) -> tuple[Consumer, Output]:
    out = Output()
    consumer = Consumer(track.producer, 0xC0000001, 100, out.send, layer=layer)
    track.producer.add_consumer(consumer)
    return consumer, out


def picture(packet: bytes) -> tuple[int, int]:
    """(picture id, TL0PICIDX) of a forwarded packet."""
    found = Vp8Fields()
    found.read(packet, 12)
    return found.picture_id, found.tl0


def running(layer: int = 0) -> tuple[Track, Consumer, Output]:
    track = Track()
    consumer, out = attach(track, layer)
    track.all_layers(key=True)
    track.all_layers()
    return track, consumer, out


def test_a_consumer_receives_only_the_layer_it_starts_on() -> None:
    track, consumer, out = running(layer=1)
    assert consumer.layer is track.producer.layers[1]
    assert len(out.packets) == 2
    assert track.requests[1].count == 1 and track.requests[0].count == 0
    assert track.producer.consumers == [consumer]


def test_each_layer_learns_its_size_from_its_key_frames() -> None:
    track, _consumer, _out = running()
    assert [layer.size for layer in track.producer.layers] == list(SIZES)


def test_a_switch_waits_for_the_target_layers_key_frame_and_asks_for_one() -> None:
    track, consumer, out = running(layer=0)
    consumer.set_layer(2)
    assert track.requests[2].count == 1
    track.all_layers()  # delta frames: the old layer goes on, the target's are useless yet
    assert len(out.packets) == 3 and consumer.layer is track.producer.layers[0]
    track.frame(2, key=True)
    assert consumer.layer is track.producer.layers[2] and consumer.switches == 1
    assert out.packets[-1][-10:] == keyframe_header(*SIZES[2])
    track.all_layers()
    assert len(out.packets) == 5  # one from the new layer, none from the old


@pytest.mark.parametrize("path", [[0, 2], [2, 0], [0, 1, 2, 1, 0], [1, 2, 0, 2]])
def test_numbering_stays_continuous_across_every_switch(path: list[int]) -> None:
    track, consumer, out = running(layer=path[0])
    for target in path[1:]:
        consumer.set_layer(target)
        track.all_layers()
        track.frame(target, key=True)
        track.all_layers()
    sent = [fields(packet) for packet in out.packets]
    seqs = [seq for _m, _pt, seq, _ts, _ssrc in sent]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]
    stamps = [ts for _m, _pt, _seq, ts, _ssrc in sent]
    steps = [(b - a) & 0xFFFFFFFF for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(0 < step < 90000 for step in steps), steps  # forward, less than a second
    pictures = [picture(packet) for packet in out.packets]
    pids = [pid for pid, _tl0 in pictures]
    assert pids == [(pids[0] + i) & 0x7FFF for i in range(len(pids))]
    tl0s = [tl0 for _pid, tl0 in pictures]
    assert tl0s == [(tl0s[0] + i) & 0xFF for i in range(len(tl0s))]
    assert consumer.switches == len(path) - 1


def test_the_clock_moves_on_by_the_time_between_the_last_packet_and_the_key_frame() -> None:
    track, consumer, out = running(layer=0)
    _m, _pt, _seq, ts_before, _ssrc = fields(out.packets[-1])
    consumer.set_layer(1)
    track.frame(1, key=True, at=track.frames[0] / 30 - 1 / 30 + 0.050)  # 50 ms after
    _m, _pt, _seq, ts_after, _ssrc = fields(out.packets[-1])
    assert (ts_after - ts_before) & 0xFFFFFFFF == 4500


NTP_START = (
    3_900_000_000  # seconds: the publisher's wall clock when every layer's frame 0 was taken
)


def report_every_layer(track: Track, frame: int, off: float = 0.0) -> None:
    """Sender reports as Chromium sends them: each layer's frame `frame` in its own RTP clock,
    at one NTP instant (`off` seconds wrong for the last layer, as after a clock restart)."""
    for layer, ssrc in enumerate(SSRCS):
        seconds = NTP_START + frame / 30 + (off if layer == 2 else 0.0)
        ntp = round(seconds * (1 << 32))
        rtp = (TS_BASE[layer] + FRAME * frame) & 0xFFFFFFFF
        track.producer.sender_report(ssrc, ntp, rtp, now=frame / 30)


def test_with_sender_reports_a_switch_keeps_the_capture_clock_whatever_the_jitter() -> None:
    track, consumer, out = running(layer=0)
    report_every_layer(track, frame=1)
    _m, _pt, _seq, ts_before, _ssrc = fields(out.packets[-1])  # layer 0's frame 1
    consumer.set_layer(1)
    track.frame(1, key=True, at=track.frames[0] / 30 - 1 / 30 + 0.050)  # frame 2, 17 ms late
    _m, _pt, _seq, ts_after, _ssrc = fields(out.packets[-1])
    assert (ts_after - ts_before) & 0xFFFFFFFF == FRAME  # the next frame, exactly
    # The layer's later reports reach the subscriber on the line the old layer's drew, so
    # its lip sync does not move.
    reports: list[tuple[int, int]] = []
    consumer._report = lambda ntp, rtp, _at: reports.append((ntp, rtp))
    report_every_layer(track, frame=30)
    assert reports == [(round((NTP_START + 1) * (1 << 32)), TS_BASE[0] + FRAME * 30)]


def test_a_report_far_from_the_arrival_times_is_not_trusted() -> None:
    track, consumer, out = running(layer=0)
    report_every_layer(track, frame=1, off=30.0)  # layer 2's clock restarted meanwhile
    _m, _pt, _seq, ts_before, _ssrc = fields(out.packets[-1])
    consumer.set_layer(2)
    track.frame(2, key=True, at=track.frames[0] / 30 - 1 / 30 + 0.050)
    _m, _pt, _seq, ts_after, _ssrc = fields(out.packets[-1])
    assert (ts_after - ts_before) & 0xFFFFFFFF == 4500  # 50 ms by the arrival times


def test_a_paused_consumer_resumes_on_a_new_layer_in_the_capture_clock() -> None:
    track, consumer, out = running(layer=0)
    report_every_layer(track, frame=1)
    consumer.pause()
    consumer.set_layer(2)
    consumer.set_layer(1)  # moved twice while paused: numbering goes on from layer 0's
    for _ in range(5):
        track.all_layers()
    consumer.resume()
    track.frame(1, key=True, at=7 / 30 + 0.040)  # frame 7, 40 ms late
    _m, _pt, _seq, ts_after, _ssrc = fields(out.packets[-1])
    assert ts_after == (TS_BASE[0] + FRAME * 7) & 0xFFFFFFFF  # layer 1's frame 7


def test_changing_its_mind_before_the_key_frame_cancels_the_switch() -> None:
    track, consumer, out = running(layer=0)
    consumer.set_layer(2)
    consumer.set_layer(0)
    assert track.producer.layers[2].switching == []
    track.frame(2, key=True)
    track.frame(0)
    assert consumer.layer is track.producer.layers[0] and len(out.packets) == 3


def test_a_paused_consumer_moves_at_once_and_resumes_on_the_new_layer_continuously() -> None:
    track, consumer, out = running(layer=0)
    consumer.pause()
    consumer.set_layer(2)
    assert consumer.layer is track.producer.layers[2]
    track.all_layers(key=True)
    assert len(out.packets) == 2  # paused: nothing
    consumer.resume()
    track.frame(2)  # a delta frame: still waiting
    track.frame(2, key=True)
    (_m, _pt, seq_a, _ts, _s), (_m2, _pt2, seq_b, _ts2, _s2) = map(fields, out.packets[1:])
    assert seq_b == seq_a + 1 and len(out.packets) == 3
    assert picture(out.packets[2])[0] == (picture(out.packets[1])[0] + 1) & 0x7FFF


def test_a_consumer_that_has_not_started_moves_at_once() -> None:
    track = Track()
    consumer, out = attach(track, 0)
    consumer.set_layer(1)
    assert consumer.layer is track.producer.layers[1]
    track.frame(0, key=True)
    track.frame(1, key=True)
    assert len(out.packets) == 1 and fields(out.packets[0])[2] == SEQ_BASE[1]
    assert picture(out.packets[0])[0] == PID_BASE[1]  # nothing to continue from: unchanged


def test_a_consumer_stalled_on_the_old_layer_restarts_with_the_target_key_frame() -> None:
    track, consumer, out = running(layer=0)
    consumer.set_layer(1)
    blocked = Output()
    blocked.send = lambda data: False  # type: ignore[method-assign]
    consumer._send = blocked.send  # the subscriber's link is full: skip to a key frame
    track.frame(0)
    consumer._send = out.send
    track.frame(0)  # a delta frame: not sent, the consumer waits
    track.frame(1, key=True)
    assert consumer.layer is track.producer.layers[1] and not consumer.waiting_for_keyframe
    assert [layer._keyframe_waiters for layer in track.producer.layers] == [0, 0, 0]
    assert fields(out.packets[-1])[2] == (fields(out.packets[-2])[2] + 1) & 0xFFFF


def test_nacks_after_a_switch_are_served_from_the_new_layer_and_older_ones_ignored() -> None:
    track, consumer, out = running(layer=0)
    consumer.set_layer(1)
    track.frame(1, key=True)
    track.frame(1)
    old_seq = fields(out.packets[1])[2]
    new_seq = fields(out.packets[-1])[2]
    consumer.nack([old_seq, new_seq], now=1.0)
    assert len(out.packets) == 5
    assert out.packets[-1] == out.packets[-2]  # the repair reads exactly like the original


def test_sender_reports_of_a_layer_reach_its_consumers_in_their_clock() -> None:
    track, consumer, _out = running(layer=1)
    reports: list[tuple[int, int]] = []
    consumer._report = lambda ntp, rtp, _at: reports.append((ntp, rtp))
    track.producer.sender_report(SSRCS[0], 1 << 32, 5, now=1.0)  # another layer: not ours
    track.producer.sender_report(SSRCS[1], 2 << 32, TS_BASE[1], now=1.0)
    assert reports == [(2 << 32, TS_BASE[1])]


def test_closing_the_track_closes_its_layers_and_consumers_even_mid_switch() -> None:
    track, consumer, _out = running(layer=0)
    consumer.set_layer(1)
    track.producer.close()
    assert consumer.closed and all(layer.closed for layer in track.producer.layers)
    assert all(not layer.consumers and not layer.switching for layer in track.producer.layers)
    assert track.producer.consumers == []


def test_layer_bitrate_is_measured_once_a_second_and_smoothed() -> None:
    track = Track()
    layer = track.producer.layers[0]
    layer.measure(0.0)
    layer.octets_received += 12_500
    layer.measure(1.0)
    assert layer.bitrate == 100_000
    layer.octets_received += 37_500
    layer.measure(2.0)
    assert layer.bitrate == 200_000


def test_a_paused_layer_keeps_what_it_cost_while_it_was_sent() -> None:
    """Nobody watches it, so the publisher stops sending it: a subscriber that steps up to it
    again will get what it carried then, not the nothing it carries now."""
    layer = Track().producer.layers[0]
    layer.measure(0.0)
    layer.octets_received += 15_000
    layer.measure(1.0)
    for second in range(2, 6):
        layer.octets_received += 12  # the odd packet of a layer being paused
        layer.measure(float(second))
    assert layer.bitrate < 10_000 and layer.bitrate_when_sent == 120_000
    layer.octets_received += 10_000  # sent again
    layer.measure(6.0)
    assert layer.bitrate_when_sent == 100_000  # smoothed as `bitrate`
