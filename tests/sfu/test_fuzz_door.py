"""Property-based fuzzing of what arrives on a media port: the door (sfu/ice_demux.py) in front
of aioice, then the native ingress (sfu/_ingress.c) or the Python one (sfu/peer.py) that
unprotect a publisher's RTP. Whatever the datagram and wherever it came from: it is dropped
and counted, or handed on, and what reaches aiortc's DTLS task is never empty nor of a kind
it does not sort; nothing raises, and only authentic packets reach the SFU."""

from __future__ import annotations

from typing import Any

import pylibsrtp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfu import ice_demux, native, peer
from tests.sfu.test_fuzz_rtcp import stun_like
from tests.sfu.test_media_demux import ADDR, _Connection, _dtls_transport, _protocol
from tests.sfu.test_native import session
from tests.sfu.test_native_ingress import Ingress, Publisher
from tests.sfu.test_rtp import packet

pytestmark = pytest.mark.fuzz

STRANGER = ("127.0.0.1", 40999)
# RFC 7983 section 7: STUN, ZRTP, DTLS, TURN channels, RTP/RTCP, and bytes no one sends.
FIRST_BYTES = [0, 1, 2, 3, 16, 19, 20, 22, 23, 63, 64, 79, 80, 127, 128, 129, 144, 191, 192, 255]


@st.composite
def datagrams(draw: st.DrawFn) -> bytes:
    size = draw(st.sampled_from([0, 1, 2, 11, 12, 13, 19, 20, 21, 100]) | st.integers(0, 1500))
    body = bytearray(draw(st.binary(min_size=size, max_size=size)))
    if body:
        body[0] = draw(st.sampled_from(FIRST_BYTES) | st.integers(0, 255))
    if len(body) > 1 and draw(st.booleans()):
        body[1] = draw(st.sampled_from([96, 111, 200, 201, 205, 206, 223]))
    return bytes(body)


def protected(publisher: Publisher, seq: int, payload: bytes) -> tuple[bytes, bytes]:
    plain = packet(seq=seq, payload=payload)
    return plain, publisher.send(plain)


@st.composite
def traffic(draw: st.DrawFn) -> list[tuple[int, bytes, tuple[str, int]]]:
    """(kind, data, source): kind 0 a random datagram, 1 an authentic RTP packet (`data` its
    payload), 2 a forged one (an authentic packet with one byte changed)."""
    sent = []
    for _ in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from([0, 0, 1, 2]))
        source = draw(st.sampled_from([ADDR, ADDR, STRANGER]))
        if kind == 0:
            sent.append((0, draw(datagrams() | stun_like()), source))
        else:
            sent.append((kind, draw(st.binary(max_size=200)), source))
    return sent


class Stack:
    """The door, then an ingress (native or Python), then what stands for aiortc's queue."""

    def __init__(self, native_ingress: bool) -> None:
        self.connection = _Connection()
        self.protocol = _protocol(self.connection)
        self.to_aiortc: list[bytes] = []
        self.handled: list[bytes] = []
        self.connection.data_received = self._queue_for_aiortc  # type: ignore[method-assign]
        if native_ingress:
            self.ingress: Any = Ingress()
            self.ingress.native = native.rtpsend.Ingress(  # type: ignore[union-attr]
                self.ingress.dtls,
                self.handled.append,
                self._queue_for_aiortc,
                self.ingress._resolve,
                lambda: None,
            )
            self.connection.data_received = self.ingress.native  # type: ignore[method-assign]
        else:
            dtls = _dtls_transport(self.connection)
            dtls._rx_srtp = session(pylibsrtp.Policy.SSRC_ANY_INBOUND)
            peer.receive_rtp_directly(dtls, lambda data: self.handled.append(bytes(data)))
        self.dropped = ice_demux.media_before_stun(_dtls_transport(self.connection))

    def _queue_for_aiortc(self, data: bytes, component: int) -> None:
        self.to_aiortc.append(data)


def run(stack: Stack, sent: list[tuple[int, bytes, tuple[str, int]]]) -> set[bytes]:
    publisher = Publisher()
    authentic: set[bytes] = set()
    for seq, (kind, data, source) in enumerate(sent, start=1):
        if kind:
            plain, datagram = protected(publisher, seq, data)
            if kind == 2:
                datagram = datagram[:-1] + bytes([datagram[-1] ^ 1])
            elif source == ADDR:
                authentic.add(plain)
            data = datagram
        stack.protocol.datagram_received(data, source)  # must not raise
    return authentic


@pytest.mark.parametrize(
    "native_ingress",
    [
        pytest.param(True, marks=pytest.mark.skipif(native.rtpsend is None, reason="not built")),
        False,
    ],
)
@settings(max_examples=60)
@given(sent=traffic())
async def test_whatever_reaches_a_media_port_is_dropped_counted_or_handed_on_safely(
    native_ingress: bool, sent: list[tuple[int, bytes, tuple[str, int]]]
) -> None:
    stack = Stack(native_ingress)
    authentic = run(stack, sent)
    assert stack.dropped.failed == 0
    assert set(stack.handled) <= authentic  # nothing forged, nothing from a stranger
    for data in stack.to_aiortc:  # what aiortc's DTLS task sorts by its first byte
        first = data[0]
        assert len(data) >= 12 and (first < 4 or 19 < first < 64 or 127 < first < 192)
    strangers = sum(1 for kind, data, source in sent if source == STRANGER and _media(kind, data))
    assert stack.dropped.foreign == strangers


def _media(kind: int, data: bytes) -> bool:
    """Whether the door takes `data` for SRTP or DTLS (then only the remote may send it)."""
    if kind:
        return True
    first, size = (data[0], len(data)) if data else (-1, 0)
    return (127 < first < 192 and size >= 12) or (19 < first < 64 and size >= 13)
