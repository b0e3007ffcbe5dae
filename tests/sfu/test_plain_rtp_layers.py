"""A plain-RTP sink (sfu/plain_rtp.py) sends a simulcast camera from its best layer that is
arriving: Chromium on a loaded machine left its top layer off for a whole minute, and a sink
kept on it gave the egress encoder no picture at all."""

from __future__ import annotations

import socket

from sfu.forwarding import VIDEO
from sfu.plain_rtp import LAYER_CHECK
from tests.sfu.test_plain_rtp import Clock, nothing_more, received, sink_to
from tests.sfu.test_simulcast_forwarding import Track


def _consumer_layer(track: Track) -> int:
    (consumer,) = track.producer.consumers
    return track.producer.layers.index(consumer.layer)


def test_a_camera_starts_on_its_best_layer_that_has_sent_anything(reader: socket.socket) -> None:
    track = Track()
    for layer in (0, 1):  # the top layer was never turned on
        track.frame(layer, key=True)
    sink = sink_to(reader, VIDEO, Clock())
    sink.follow(track.producer)
    assert _consumer_layer(track) == 1 and track.requests[1].count == 1
    track.frame(2, key=True)  # too late to be chosen at the start: the next look takes it
    track.frame(1, key=True)
    assert len(received(reader, 1)) == 1 and nothing_more(reader)
    sink.close()


def test_a_camera_never_seen_starts_on_its_top_layer(reader: socket.socket) -> None:
    track = Track()
    sink = sink_to(reader, VIDEO, Clock())
    sink.follow(track.producer)
    assert _consumer_layer(track) == 2
    sink.close()


def test_the_sink_moves_down_when_its_layer_stops_and_up_when_it_comes_back(
    reader: socket.socket,
) -> None:
    clock = Clock()
    track = Track()
    track.all_layers(key=True)
    sink = sink_to(reader, VIDEO, clock)
    sink.follow(track.producer)
    track.all_layers(key=True)
    assert _consumer_layer(track) == 2 and len(received(reader, 1)) == 1
    clock.now += LAYER_CHECK
    sink.follow(track.producer)  # every layer arriving: the top one is the best
    assert sink.layer_changes == 0

    for layer in (0, 1):  # the browser turned its top layer off
        track.frame(layer)
    clock.now += LAYER_CHECK / 2
    sink.follow(track.producer)  # a tick too soon to tell: nothing changes
    assert sink.layer_changes == 0
    clock.now += LAYER_CHECK / 2
    sink.follow(track.producer)
    assert sink.layer_changes == 1 and track.requests[1].count == 1  # its key frame, asked for
    track.frame(1)  # not a key frame: the top layer is still what the sink sends
    assert _consumer_layer(track) == 2 and nothing_more(reader)
    track.frame(1, key=True)
    assert _consumer_layer(track) == 1 and len(received(reader, 1)) == 1

    clock.now += LAYER_CHECK
    sink.follow(track.producer)  # layer 1 arriving, layer 2 still not: nothing to change
    assert sink.layer_changes == 1
    track.all_layers()  # the top layer is back
    clock.now += LAYER_CHECK
    sink.follow(track.producer)
    assert sink.layer_changes == 2
    track.frame(2, key=True)
    assert _consumer_layer(track) == 2
    assert len(received(reader, 2)) == 2 and nothing_more(reader)  # layer 1's delta, then 2's key
    sink.close()


def test_a_camera_that_sends_nothing_keeps_its_layer(reader: socket.socket) -> None:
    clock = Clock()
    track = Track()
    track.all_layers(key=True)
    sink = sink_to(reader, VIDEO, clock)
    sink.follow(track.producer)
    clock.now += LAYER_CHECK * 3  # a camera turned off, or a publisher's link gone
    sink.follow(track.producer)
    assert sink.layer_changes == 0 and _consumer_layer(track) == 2
    sink.close()
