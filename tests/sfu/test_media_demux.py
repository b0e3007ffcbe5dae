"""peer.media_before_stun: RTP and RTCP reach the ICE connection without aioice's STUN parser;
STUN still takes aioice's path (RFC 7983 section 7). Async tests: aioice's protocol wants a
running event loop."""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any

import aioice.ice
from aioice import stun

from sfu import peer

ADDR = ("127.0.0.1", 40000)


class _Connection:
    """Records what a real aioice StunProtocol hands its connection."""

    def __init__(self) -> None:
        self.data: list[tuple[bytes, int]] = []
        self.requests: list[Any] = []
        self._protocols: list[aioice.ice.StunProtocol] = []

    def data_received(self, data: bytes, component: int) -> None:
        self.data.append((data, component))

    def request_received(self, message: Any, addr: Any, protocol: Any) -> None:
        self.requests.append(message)


def _protocol(connection: _Connection, component: int = 1) -> aioice.ice.StunProtocol:
    protocol = aioice.ice.StunProtocol(connection)  # type: ignore[arg-type]
    protocol.local_candidate = SimpleNamespace(component=component)  # type: ignore[assignment]
    connection._protocols.append(protocol)
    return protocol


def _dtls_transport(connection: _Connection) -> Any:
    return SimpleNamespace(transport=SimpleNamespace(_connection=connection))


def _rtp_that_looks_like_stun() -> bytes:
    """A PCMA packet (static payload type 8) whose sequence number equals its length minus 20:
    aioice's parser reads it as a STUN request (it checks neither the leading zero bits nor the
    cookie, and 0x80 0x08 reads as a valid method in the request class)."""
    size = 180
    header = struct.pack("!BBHII", 0x80, 8, size - 20, 8_000, 0x1234)
    return header + bytes(size - len(header))


def _binding_request() -> bytes:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    return bytes(message)


async def test_without_the_demux_aioice_takes_such_an_rtp_packet_for_stun() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    protocol.datagram_received(_rtp_that_looks_like_stun(), ADDR)
    assert connection.data == [] and len(connection.requests) == 1


async def test_media_reaches_the_connection_and_stun_still_reaches_aioice() -> None:
    connection = _Connection()
    first, second = _protocol(connection, 1), _protocol(connection, 2)
    peer.media_before_stun(_dtls_transport(connection))
    rtp = _rtp_that_looks_like_stun()
    rtcp = bytes([0x81, 201, 0, 7]) + bytes(28)  # a receiver report, first byte 129
    first.datagram_received(rtp, ADDR)
    second.datagram_received(rtcp, ADDR)
    first.datagram_received(_binding_request(), ADDR)
    assert connection.data == [(rtp, 1), (rtcp, 2)]
    assert len(connection.requests) == 1


async def test_other_datagrams_keep_aioices_path() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    peer.media_before_stun(_dtls_transport(connection))
    dtls = bytes([22, 0xFE, 0xFD]) + bytes(30)  # a DTLS record (RFC 7983: 20..63)
    protocol.datagram_received(dtls, ADDR)
    protocol.datagram_received(b"", ADDR)
    assert connection.data == [(dtls, 1), (b"", 1)]  # not STUN: aioice passes them on
    assert connection.requests == []


async def test_the_connection_is_looked_up_at_each_packet_and_hooking_twice_changes_nothing() -> (
    None
):
    connection = _Connection()
    protocol = _protocol(connection)
    peer.media_before_stun(_dtls_transport(connection))
    hooked = protocol.datagram_received
    peer.media_before_stun(_dtls_transport(connection))
    assert protocol.datagram_received is hooked
    seen: list[bytes] = []
    connection.data_received = lambda data, component: seen.append(data)  # type: ignore[method-assign]
    rtp = _rtp_that_looks_like_stun()
    protocol.datagram_received(rtp, ADDR)
    assert seen == [rtp]
