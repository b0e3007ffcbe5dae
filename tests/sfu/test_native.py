"""The native send step (sfu/_rtpsend.c via sfu/native.py): protect with the subscriber's SRTP
session and send on its socket in one call, with the same results as the Python step."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest
from pylibsrtp._binding import ffi, lib

from sfu import native, packet_output
from tests.sfu.test_forwarding import VP8_KEY, fields, rtp

KEY = bytes(range(30))  # AES-128 key + 14-byte salt

pytestmark = pytest.mark.skipif(
    os.environ.get("KAMAR_NATIVE") == "0", reason="KAMAR_NATIVE=0 turns the native step off"
)


def session(direction: int, allow_repeat_tx: bool = True) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=KEY, ssrc_type=direction, srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80
    )
    policy.allow_repeat_tx = allow_repeat_tx
    return pylibsrtp.Session(policy)


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


@pytest.fixture
def sender() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    yield sock
    sock.close()


def rtpsend() -> Any:
    assert native.rtpsend is not None, (
        "sfu/_rtpsend.c was not built: install with a C compiler and Python's headers "
        "(scripts/bootstrap does), or run with KAMAR_NATIVE=0"
    )
    return native.rtpsend


def test_the_native_step_is_built_and_calls_the_libsrtp_that_aiortc_loaded() -> None:
    rtpsend()
    # The C side calls srtp_protect through this pointer with libsrtp 2's signature.
    assert ffi.getctype(ffi.typeof(lib.srtp_protect)) == (
        "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"
    )


def test_a_packet_sent_natively_decrypts_to_what_was_given(
    receiver: socket.socket, sender: socket.socket
) -> None:
    out = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    address = rtpsend().pack_address(*receiver.getsockname())
    buf = bytearray(rtp(1, 0, VP8_KEY))
    sent = rtpsend().protect_and_send(
        packet_output.srtp_session_address(out), sender.fileno(), address, buf
    )
    assert sent == native.SENT
    buf[2:4] = (2).to_bytes(2, "big")  # the caller reuses its buffer for the next subscriber
    sent = rtpsend().protect_and_send(
        packet_output.srtp_session_address(out), sender.fileno(), address, buf
    )
    assert sent == native.SENT
    assert buf == rtp(2, 0, VP8_KEY)  # the input is left as it was (protected in a copy)
    back = session(pylibsrtp.Policy.SSRC_ANY_INBOUND)
    first = back.unprotect(receiver.recv(2048))
    second = back.unprotect(receiver.recv(2048))
    assert first == rtp(1, 0, VP8_KEY) and fields(second)[2] == 2


def test_ipv6_addresses_are_packed_too() -> None:
    v4 = rtpsend().pack_address("127.0.0.1", 5000)
    v6 = rtpsend().pack_address("::1", 5000)
    assert (len(v4), len(v6)) == (16, 28)
    assert v4[2:4] == (5000).to_bytes(2, "big") and v4[4:8] == bytes([127, 0, 0, 1])


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("example.org", 9, "not a numeric IPv4 or IPv6 address"),
        ("fe80::1%eth0", 9, "not a numeric IPv4 or IPv6 address"),
        ("127.0.0.1", 70000, "port 70000 is not between 0 and 65535"),
        ("127.0.0.1", -1, "port -1 is not between 0 and 65535"),
    ],
)
def test_an_address_the_c_side_cannot_take_is_refused_clearly(
    host: str, port: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rtpsend().pack_address(host, port)


def test_a_packet_libsrtp_refuses_is_reported_failed_and_not_sent(
    receiver: socket.socket, sender: socket.socket
) -> None:
    out = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND, allow_repeat_tx=False)
    address = rtpsend().pack_address(*receiver.getsockname())
    send = rtpsend().protect_and_send
    assert (
        send(packet_output.srtp_session_address(out), sender.fileno(), address, rtp(7, 0, VP8_KEY))
        == 0
    )
    # The same index twice: libsrtp refuses (RFC 3711 3.3.2) unless repeats are allowed.
    again = send(
        packet_output.srtp_session_address(out), sender.fileno(), address, rtp(7, 0, VP8_KEY)
    )
    assert again == native.FAILED
    receiver.recv(2048)
    receiver.setblocking(False)
    with pytest.raises(BlockingIOError):
        receiver.recv(2048)


@pytest.mark.parametrize("size", [11, 1905])
def test_a_packet_too_short_or_too_long_for_the_buffer_fails(
    receiver: socket.socket, sender: socket.socket, size: int
) -> None:
    out = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    address = rtpsend().pack_address(*receiver.getsockname())
    packet = rtp(1, 0, VP8_KEY)[:size].ljust(size, b"\0")
    result = rtpsend().protect_and_send(
        packet_output.srtp_session_address(out), sender.fileno(), address, packet
    )
    assert result == native.FAILED
    assert rtpsend().MAX_PACKET == 1904


def test_a_send_error_of_the_kernel_is_reported_failed(receiver: socket.socket) -> None:
    out = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    address = rtpsend().pack_address(*receiver.getsockname())
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fd = closed.fileno()
    closed.close()  # EBADF
    result = rtpsend().protect_and_send(
        packet_output.srtp_session_address(out), fd, address, rtp(1, 0, b"")
    )
    assert result == native.FAILED


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((0, 0, b"", b""), "no SRTP session"),
        ((1, -1, b"", b""), "-1 is not a file descriptor"),
        ((1, 3, "127.0.0.1", b""), "address must be bytes"),
        ((1, 3, b"short", b""), "address must come from pack_address"),
        ((1, 3), "takes four arguments"),
    ],
)
def test_wrong_arguments_raise_instead_of_reaching_libsrtp(
    arguments: tuple[Any, ...], error: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=error):
        rtpsend().protect_and_send(*arguments)


class Transport:
    """uvloop's UDP transport as NativePacketOutput sees it: a socket and a closing flag."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closing = False
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None

    def is_closing(self) -> bool:
        return self.closing

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:  # the Python step's way
        self.sent.append((data, addr))

    def get_write_buffer_size(self) -> int:
        return 0


def output(transport: Transport, remote: tuple[str, int]) -> packet_output.NativePacketOutput:
    pair = SimpleNamespace(protocol=SimpleNamespace(transport=transport), remote_addr=remote)
    dtls = SimpleNamespace(
        _tx_srtp=session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND),
        transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair})),
    )
    return packet_output.NativePacketOutput(dtls)


def test_the_output_sends_natively_and_stops_once_its_transport_closes(
    receiver: socket.socket, sender: socket.socket
) -> None:
    transport = Transport(sender)
    out = output(transport, receiver.getsockname())
    assert out.send(bytearray(rtp(1, 0, VP8_KEY)))
    assert len(receiver.recv(2048)) > 12 and transport.sent == []
    transport.closing = True  # its descriptor may be closed and reused from now on
    assert not out.send(bytearray(rtp(2, 0, VP8_KEY))) and out.dropped == 1


def test_the_output_counts_a_full_kernel_queue_as_congested(
    receiver: socket.socket, sender: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loopback send never finds the queue full (the datagram is handed over at once), so the
    # kernel's answer is played here; the C side maps EAGAIN and ENOBUFS to CONGESTED.
    monkeypatch.setattr(packet_output, "_protect_and_send_natively", lambda *_: native.CONGESTED)
    out = output(Transport(sender), receiver.getsockname())
    assert not out.send(bytearray(rtp(1, 0, VP8_KEY)))
    assert (out.dropped, out.congested) == (1, 1)


def test_an_address_with_a_zone_goes_through_the_python_step(sender: socket.socket) -> None:
    transport = Transport(sender)
    out = output(transport, ("fe80::1%eth0", 9))
    assert out.send(bytearray(rtp(1, 0, VP8_KEY)))
    assert [addr for _data, addr in transport.sent] == [("fe80::1%eth0", 9)]


def test_packet_output_picks_the_native_step_where_it_was_built() -> None:
    dtls = SimpleNamespace(transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={})))
    assert type(packet_output.packet_output(dtls)) is packet_output.NativePacketOutput
