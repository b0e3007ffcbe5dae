"""sfu/ice_demux.py: RTP and RTCP reach the ICE connection without aioice's STUN parser, plain
consent checks on the selected pair are answered without aioice, other STUN still takes
aioice's path (RFC 7983 section 7). Async tests: aioice's protocol wants a running loop."""

from __future__ import annotations

import asyncio
import struct
from types import SimpleNamespace
from typing import Any

import aioice
import aioice.ice
import pytest
from aioice import stun

from sfu import ice_demux, peer

ADDR = ("127.0.0.1", 40000)


class _Connection:
    """Records what a real aioice StunProtocol hands its connection."""

    def __init__(self) -> None:
        self.data: list[tuple[bytes, int]] = []
        self.requests: list[Any] = []
        self._protocols: list[aioice.ice.StunProtocol] = []
        self._nominated: dict[int, Any] = {}  # no pair selected: every STUN goes to aioice
        self._check_list: list[Any] = []  # the pairs ICE tries: their remotes may send media
        self._closing = False
        self._query_consent_task: Any = None  # not connected: no consent checks yet

    def data_received(self, data: bytes, component: int) -> None:
        self.data.append((data, component))

    def request_received(self, message: Any, addr: Any, protocol: Any) -> None:
        self.requests.append(message)


def _protocol(connection: _Connection, component: int = 1) -> aioice.ice.StunProtocol:
    """A socket of the connection, with a candidate pair to ADDR on it."""
    protocol = aioice.ice.StunProtocol(connection)  # type: ignore[arg-type]
    protocol.local_candidate = SimpleNamespace(component=component)  # type: ignore[assignment]
    connection._protocols.append(protocol)
    connection._check_list.append(SimpleNamespace(protocol=protocol, remote_addr=ADDR))
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
    ice_demux.media_before_stun(_dtls_transport(connection))
    rtp = _rtp_that_looks_like_stun()
    rtcp = bytes([0x81, 201, 0, 7]) + bytes(28)  # a receiver report, first byte 129
    first.datagram_received(rtp, ADDR)
    second.datagram_received(rtcp, ADDR)
    first.datagram_received(_binding_request(), ADDR)
    assert connection.data == [(rtp, 1), (rtcp, 2)]
    assert len(connection.requests) == 1


async def test_dtls_from_the_remote_reaches_the_connection() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    ice_demux.media_before_stun(_dtls_transport(connection))
    dtls = bytes([22, 0xFE, 0xFD]) + bytes(30)  # a DTLS record (RFC 7983: 20..63)
    protocol.datagram_received(dtls, ADDR)
    assert connection.data == [(dtls, 1)]
    assert connection.requests == []


async def test_the_connection_is_looked_up_at_each_packet_and_hooking_twice_changes_nothing() -> (
    None
):
    connection = _Connection()
    protocol = _protocol(connection)
    ice_demux.media_before_stun(_dtls_transport(connection))
    hooked = protocol.datagram_received
    ice_demux.media_before_stun(_dtls_transport(connection))
    assert protocol.datagram_received is hooked
    seen: list[bytes] = []
    connection.data_received = lambda data, component: seen.append(data)  # type: ignore[method-assign]
    rtp = _rtp_that_looks_like_stun()
    protocol.datagram_received(rtp, ADDR)
    assert seen == [rtp]


async def _connected_pair() -> tuple[aioice.Connection, aioice.Connection]:
    """Two real aioice agents over loopback, ICE completed: the SFU side controlled."""
    server = aioice.Connection(ice_controlling=False, components=1)
    client = aioice.Connection(ice_controlling=True, components=1)
    for agent in (server, client):
        await agent.gather_candidates()
    for local, remote in ((server, client), (client, server)):
        local.remote_username = remote.local_username
        local.remote_password = remote.local_password
        for candidate in remote.local_candidates:
            await local.add_remote_candidate(candidate)
        await local.add_remote_candidate(None)
    await asyncio.gather(server.connect(), client.connect())
    return server, client


async def test_consent_checks_from_a_real_aioice_peer_are_answered_here() -> None:
    original = aioice.ice.get_host_addresses
    peer.gather_on(["127.0.0.1"])
    server, client = await _connected_pair()
    try:
        ice_demux.media_before_stun(_dtls_transport(server))  # type: ignore[arg-type]
        left_to_aioice: list[bytes] = []  # transaction ids of the requests aioice handled
        answer_in_aioice = server.request_received

        def counted(message: stun.Message, addr: tuple[str, int], protocol: Any) -> None:
            left_to_aioice.append(message.transaction_id)
            answer_in_aioice(message, addr, protocol)

        server.request_received = counted  # type: ignore[method-assign]
        pair = client._nominated[1]
        assert client.remote_password is not None
        key = client.remote_password.encode()
        # A consent check, as aioice's own consent loop sends it: answered by sfu/consent.py.
        check = client.build_request(pair, nominate=False)
        response, _addr = await pair.protocol.request(check, pair.remote_addr, key, 0)
        assert response.message_class == stun.Class.RESPONSE
        assert response.transaction_id == check.transaction_id
        local = pair.local_candidate
        assert response.attributes["XOR-MAPPED-ADDRESS"] == (local.host, local.port)
        assert left_to_aioice == []
        # A nomination is ICE's business: aioice answers it.
        nomination = client.build_request(pair, nominate=True)
        response, _addr = await pair.protocol.request(nomination, pair.remote_addr, key, 0)
        assert response.message_class == stun.Class.RESPONSE
        assert left_to_aioice == [nomination.transaction_id]
    finally:
        await client.close()
        await server.close()
        aioice.ice.get_host_addresses = original


STUN_REQUEST = _binding_request()
RTP = struct.pack("!BBHII", 0x80, 96, 1, 1, 0x1234) + bytes(20)


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (b"", "empty"),
        (b"\x80", "short"),
        (RTP[:11], "short"),  # no full RTP header
        (bytes([22, 0xFE, 0xFD]) + bytes(9), "short"),  # no full DTLS record header
        (bytes([16]) + bytes(40), "unknown"),  # ZRTP (RFC 7983: 16..19), no WebRTC peer's
        (bytes([64]) + bytes(40), "unknown"),  # TURN channel data: never on the peer path
        (bytes([100]) + bytes(40), "unknown"),
        (bytes([255]) + bytes(40), "unknown"),
        (STUN_REQUEST[:4] + b"\x00\x00\x00\x00" + STUN_REQUEST[8:], "not_stun"),  # no cookie
        (STUN_REQUEST + b"\x00", "not_stun"),  # the length field says otherwise
        (b"\xc0" + STUN_REQUEST[1:], "unknown"),  # the two leading bits are not zero
    ],
)
async def test_what_no_peer_sends_is_dropped_and_counted_by_reason(
    datagram: bytes, reason: str
) -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))
    protocol.datagram_received(datagram, ADDR)
    assert connection.data == [] and connection.requests == []
    assert dropped.as_dict() == {**dict.fromkeys(dropped.as_dict(), 0), reason: 1}
    assert dropped.total == 1


async def test_media_from_another_address_than_the_remote_is_dropped_stun_is_not() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))
    stranger = ("127.0.0.1", 40001)
    protocol.datagram_received(RTP, stranger)
    protocol.datagram_received(bytes([22, 0xFE, 0xFD]) + bytes(30), stranger)
    protocol.datagram_received(STUN_REQUEST, stranger)  # a check may find a new address
    assert connection.data == [] and len(connection.requests) == 1
    assert dropped.foreign == 2


async def test_once_a_pair_is_selected_only_its_remote_may_send_media() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    other = ("127.0.0.1", 40002)
    connection._check_list.append(SimpleNamespace(protocol=protocol, remote_addr=other))
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))
    protocol.datagram_received(RTP, other)  # before: any pair's remote
    connection._nominated[1] = SimpleNamespace(protocol=protocol, remote_addr=ADDR)
    protocol.datagram_received(RTP, other)
    protocol.datagram_received(RTP, ADDR)
    assert connection.data == [(RTP, 1), (RTP, 1)] and dropped.foreign == 1


async def test_a_failure_behind_the_door_is_contained_and_counted() -> None:
    connection = _Connection()
    protocol = _protocol(connection)
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))

    def broken(data: bytes, component: int) -> None:
        raise RuntimeError("a bug")

    connection.data_received = broken  # type: ignore[method-assign]
    protocol.datagram_received(RTP, ADDR)
    assert dropped.failed == 1


async def test_every_socket_of_a_connection_shares_one_set_of_counters() -> None:
    connection = _Connection()
    first, second = _protocol(connection, 1), _protocol(connection, 1)
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))
    assert ice_demux.media_before_stun(_dtls_transport(connection)) is dropped
    first.datagram_received(b"", ADDR)
    second.datagram_received(b"", ADDR)
    assert dropped.empty == 2
    assert ice_demux.dropped_datagrams(_dtls_transport(connection)) is dropped


async def test_stun_that_aioices_parser_raises_on_is_dropped_and_counted() -> None:
    """A Binding request with a zero-length PRIORITY: aioice's parser raises struct.error, not
    the ValueError its socket callback expects, and the exception would escape it."""
    request = bytes.fromhex("000100042112a442") + bytes(12) + bytes.fromhex("00240000")
    with pytest.raises(struct.error):
        stun.parse_message(request)
    connection = _Connection()
    protocol = _protocol(connection)
    dropped = ice_demux.media_before_stun(_dtls_transport(connection))
    protocol.datagram_received(request, ADDR)
    assert dropped.bad_stun == 1 and dropped.failed == 0
    assert connection.data == [] and connection.requests == []
