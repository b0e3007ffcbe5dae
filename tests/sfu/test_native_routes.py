"""Consumers that forward through native routes (sfu/_rtpsend.c `fan_out`) send exactly what the
same consumer sends through Python, across starts, pauses, simulcast switches and a changed ICE
pair; the C side refuses arguments it cannot use."""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest

from sfu import native, packet_output
from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, Producer
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, Output, producer, rtp
from tests.sfu.test_native import KEY, Transport, rtpsend
from tests.sfu.test_simulcast_forwarding import Track

pytestmark = pytest.mark.skipif(
    native.rtpsend is None, reason="needs sfu/_rtpsend.c (tests/sfu/test_native.py insists)"
)

SSRC = 0xC0000001


class Subscriber:
    """A subscriber's end: a UDP socket on loopback that decrypts what the SFU sent it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        policy = pylibsrtp.Policy(
            key=KEY,
            ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
            srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        )
        self.session = pylibsrtp.Session(policy)
        self.packets: list[bytes] = []

    def pair(self, transport: Transport) -> Any:
        return SimpleNamespace(
            protocol=SimpleNamespace(transport=transport), remote_addr=self.sock.getsockname()
        )

    def read(self) -> list[bytes]:
        while True:
            try:
                self.packets.append(self.session.unprotect(self.sock.recv(2048)))
            except BlockingIOError:
                return self.packets


class Sfu:
    """One subscriber's native packet output: a sending socket, ICE's pair, SRTP keys."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.transport = Transport(self.sock)
        self.subscriber = Subscriber()
        policy = pylibsrtp.Policy(
            key=KEY,
            ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
            srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        )
        policy.allow_repeat_tx = True  # as aiortc's sessions: repairs reuse an index
        self.ice = SimpleNamespace(_nominated={1: self.subscriber.pair(self.transport)})
        dtls = SimpleNamespace(
            _tx_srtp=pylibsrtp.Session(policy), transport=SimpleNamespace(_connection=self.ice)
        )
        self.output = packet_output.NativePacketOutput(dtls)

    def close(self) -> None:
        self.sock.close()
        self.subscriber.sock.close()


@pytest.fixture
def sfu() -> Iterator[Sfu]:
    made = Sfu()
    yield made
    made.close()


def twins(source: Producer, sfu: Sfu, layer: int = 0) -> tuple[Consumer, Output, Consumer]:
    """The same consumer twice on one producer: one sending through Python, one natively."""
    python_out = Output()
    python = Consumer(source, SSRC, 100, python_out.send, layer=layer)
    routed = Consumer(source, SSRC, 100, sfu.output.send, layer=layer, routes=sfu.output)
    source.add_consumer(python)
    source.add_consumer(routed)
    return python, python_out, routed


def test_a_forwarding_consumer_moves_to_a_route_and_sends_what_python_would(sfu: Sfu) -> None:
    source, _requests = producer()
    python, python_out, routed = twins(source, sfu)
    for seq in range(1000, 1040):
        payload = VP8_KEY if seq in (1000, 1020) else VP8_DELTA
        source.receive(rtp(seq & 0xFFFF, seq * 3000, payload, marker=seq % 4 == 3))
    assert routed.route is not None and source.routes == [routed.route]
    assert python.route is None
    assert sfu.subscriber.read() == python_out.packets and len(python_out.packets) == 40
    assert (routed.packets_sent, routed.octets_sent) == (python.packets_sent, python.octets_sent)
    assert routed.last_sent == python.last_sent


def test_audio_goes_native_from_its_first_packet_on(sfu: Sfu) -> None:
    source, _requests = producer(AUDIO, pt=111, clock_rate=48000)
    _python, python_out, routed = twins(source, sfu)
    for seq in range(65530, 65546):  # across the sequence number's wrap
        source.receive(rtp(seq & 0xFFFF, seq * 960, b"\xfc\xff\xfe", pt=111))
    assert routed.route is not None
    assert sfu.subscriber.read() == python_out.packets and len(python_out.packets) == 16


def test_a_pause_takes_the_route_back_and_resuming_numbers_on_like_python(sfu: Sfu) -> None:
    source, _requests = producer()
    python, python_out, routed = twins(source, sfu)
    seq = 0

    def frames(count: int, key_first: bool = False) -> None:
        nonlocal seq
        for n in range(count):
            seq += 1
            source.receive(rtp(seq, seq * 3000, VP8_KEY if key_first and n == 0 else VP8_DELTA))

    frames(5, key_first=True)
    python.pause()
    routed.pause()
    assert routed.route is None and source.routes == []
    frames(5)
    python.resume()
    routed.resume()
    frames(3)  # deltas: both wait for a key frame
    frames(5, key_first=True)
    assert routed.route is not None
    assert sfu.subscriber.read() == python_out.packets and len(python_out.packets) == 10
    assert routed.packets_skipped == python.packets_skipped
    assert routed.packets_sent == python.packets_sent == 10


def test_a_simulcast_switch_keeps_pictures_and_timestamps_like_python(sfu: Sfu) -> None:
    track = Track()
    python, python_out, routed = twins(track.producer, sfu, layer=0)
    track.all_layers(key=True)
    for _ in range(4):
        track.all_layers()
    assert routed.route in track.producer.layers[0].routes
    python.set_layer(2)
    routed.set_layer(2)
    track.all_layers()  # layer 2 has no key frame yet: both stay on layer 0
    track.frame(0)
    track.frame(1)
    track.frame(2, key=True)
    for _ in range(4):
        track.all_layers()
    assert (python.switches, routed.switches) == (1, 1)
    assert routed.route in track.producer.layers[2].routes
    assert track.producer.layers[0].routes == []
    assert sfu.subscriber.read() == python_out.packets and len(python_out.packets) == 12


def test_when_ice_moves_to_another_pair_the_route_stops_and_video_resumes_there(
    sfu: Sfu,
) -> None:
    source, _requests = producer()
    _python, python_out, routed = twins(source, sfu)
    for seq in range(1, 6):
        source.receive(rtp(seq, seq * 3000, VP8_KEY if seq == 1 else VP8_DELTA))
    moved = Subscriber()
    try:
        sfu.ice._nominated[1] = moved.pair(sfu.transport)
        source.receive(rtp(6, 6 * 3000))  # the route finds its pair gone: dropped
        assert routed.route is None and routed.waiting_for_keyframe
        assert (sfu.output.dropped, sfu.output.congested) == (1, 0)
        source.receive(rtp(7, 7 * 3000))
        source.receive(rtp(8, 8 * 3000, VP8_KEY))
        source.receive(rtp(9, 9 * 3000))
        old, new = sfu.subscriber.read(), moved.read()
        assert old == python_out.packets[:5]
        # On the new pair from the key frame on, numbered on without a gap.
        assert [int.from_bytes(p[2:4], "big") for p in new] == [6, 7]
        assert new[0][12:] == VP8_KEY and routed.route is not None
    finally:
        moved.sock.close()


def test_a_route_holds_its_own_descriptor_and_closes_it_when_dropped(sfu: Sfu) -> None:
    source, _requests = producer(AUDIO, pt=111, clock_rate=48000)
    _python, _out, routed = twins(source, sfu)
    source.receive(rtp(1, 960, b"\xfc", pt=111))
    own = routed.route.fd
    assert own != sfu.sock.fileno()
    assert os.fstat(own).st_ino == os.fstat(sfu.sock.fileno()).st_ino  # the same socket
    routed.close()  # the consumer and its route refer to each other: the collector frees both
    del routed
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(own)


def route(sfu: Sfu, **changes: Any) -> Any:
    arguments: dict[str, Any] = dict(
        owner=None,
        session=sfu.output._dtls._tx_srtp,
        srtp=packet_output.srtp_session_address(sfu.output._dtls._tx_srtp),
        fd=sfu.sock.fileno(),
        address=rtpsend().pack_address(*sfu.subscriber.sock.getsockname()),
        nominated=sfu.ice._nominated,
        pair=sfu.ice._nominated[1],
        ssrc=SSRC,
        payload_type=100,
    )
    arguments.update(changes)
    return rtpsend().Route(**arguments)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"payload_type": 128}, "payload type 128 is not 0-127"),
        ({"address": b"\0" * 5}, "address must come from pack_address"),
        ({"srtp": 0}, "no SRTP session"),
        ({"fd": 99999}, "Bad file descriptor"),
        ({"nominated": []}, "must be dict"),
    ],
)
def test_a_route_refuses_what_it_cannot_send_with(
    sfu: Sfu, changes: dict[str, Any], error: str
) -> None:
    with pytest.raises((ValueError, TypeError, OSError), match=error):
        route(sfu, **changes)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((), "takes ten arguments"),
        (("not a list", rtp(1, 0), 0, 1, 0, 0, 0, 0, 0, 0), "routes must be a list of Route"),
        (([object()], rtp(1, 0), 0, 1, 0, 0, 0, 0, 0, 0), "routes must be a list of Route"),
        (([], rtp(1, 0), 1, 1, 0, 0, 0, 0, 0, 0), "marker must be 0 or 0x80"),
        (([], rtp(1, 0), 0, 65536, 0, 0, 0, 0, 0, 0), "seq 65536 is not between"),
        (([], rtp(1, 0)[:11], 0, 1, 0, 0, 0, 0, 0, 0), "too short"),
        (([], rtp(1, 0), 0, 1, 0, 200, 7, 1, 0, 0), "outside it"),
        (([], rtp(1, 0), 0, 1, 0, 0, 0, 0, 5, 0), "outside it"),
    ],
)
def test_fan_out_refuses_arguments_it_cannot_use(arguments: tuple[Any, ...], error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=error):
        rtpsend().fan_out(*arguments)


def test_fan_out_reports_only_the_routes_that_did_not_send(sfu: Sfu) -> None:
    good, gone = route(sfu), route(sfu, pair=object())
    assert rtpsend().fan_out([good], rtp(1, 0), 0, 1, 0, 0, 0, 0, 0, 0) is None
    failed = rtpsend().fan_out([good, gone], rtp(2, 0), 0x80, 2, 0, 0, 0, 0, 0, 0)
    assert failed == [(gone, native.STALE)]
    assert (good.packets_sent, good.last_seq, gone.packets_sent) == (2, 2, 0)
    assert len(sfu.subscriber.read()) == 2
