"""Sending RTP to a subscriber: protect with its SRTP session and send on its ICE pair, one call
per packet, without a coroutine; or, where the native step was built (sfu/native.py), hand out
routes on which the C fan-out sends for whole groups of consumers.

Part of the aiortc boundary with sfu/peer.py (the only other module allowed to touch aiortc's
transport packages): it reads aioice's `Connection._nominated` (the selected pair), aiortc's
`RTCDtlsTransport._tx_srtp` and pylibsrtp's `Session._srtp`, `_cdata` and `_buffer`, all pinned
(aiortc==1.16.0, aioice==0.13.0, pylibsrtp==1.0.0) and checked by
tests/sfu/test_aiortc_contract.py and tests/sfu/test_native.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pylibsrtp
from pylibsrtp._binding import ffi as _srtp_ffi
from pylibsrtp._binding import lib as _srtp_lib

from sfu import native

# Bytes a subscriber's socket may hold in the event loop's queue before the SFU drops: about
# 170 ms of six 1.2 Mbps videos. The queue only grows when the kernel refuses to send.
MAX_QUEUED_BYTES = 128 * 1024
# pylibsrtp protects in a 1500-byte buffer and keeps room for the largest SRTP trailer.
SRTP_MAX_RTP = 1500 - pylibsrtp.SRTP_MAX_TRAILER_LEN

if native.rtpsend is not None:
    # The C side calls the libsrtp that pylibsrtp loaded, through these pointers (sfu/native.py);
    # unprotecting is the publisher's ingress (sfu/_ingress.c, made in sfu/peer.py).
    _protect = _srtp_ffi.addressof(_srtp_lib, "srtp_protect")
    native.rtpsend.use_protect(int(_srtp_ffi.cast("uintptr_t", _protect)))
    _unprotect = _srtp_ffi.addressof(_srtp_lib, "srtp_unprotect")
    native.rtpsend.use_unprotect(int(_srtp_ffi.cast("uintptr_t", _unprotect)))
    _protect_and_send_natively = native.rtpsend.protect_and_send
    _pack_address = native.rtpsend.pack_address
    _Route = native.rtpsend.Route


class PacketOutput:
    """Protects and sends RTP on a subscriber's transport without a coroutine per packet.

    The hot path of the SFU: one call per packet per subscriber. It calls libsrtp through
    pylibsrtp's cffi binding itself (pylibsrtp's `protect` allocates a length cell and checks
    types on every call) and resolves the socket and address only when ICE picks a new pair.
    `packet_output` gives the native variant below where it was built.
    """

    __slots__ = (
        "_dtls", "_ice", "_pair", "_sendto", "_queued", "_addr", "_srtp", "_session", "_cdata",
        "_buffer", "_length", "dropped", "congested",
    )  # fmt: skip

    def __init__(self, dtls_transport: Any) -> None:
        self._dtls = dtls_transport
        self._ice = dtls_transport.transport._connection
        self._pair: Any = None
        self._sendto: Callable[[bytes, tuple[str, int]], None] | None = None
        self._queued: Callable[[], int] = lambda: 0
        self._addr: tuple[str, int] = ("", 0)
        self._srtp: Any = None
        self._session: Any = None
        self._cdata: Any = None
        self._buffer: Any = None
        self._length = _srtp_ffi.new("int *")
        self.dropped = 0  # packets not sent for any reason
        self.congested = 0  # of which: the socket's queue was full

    def send(self, packet: bytes | bytearray) -> bool:
        """Protect and send `packet`; it is copied at once, so the caller may reuse it.
        False when it was dropped: no path or keys yet, or the socket's queue is full."""
        self._refresh()
        return self._protect_and_send(packet)

    def _refresh(self) -> None:
        """Follow ICE's selected pair and the DTLS keys, which change only at set-up."""
        pair = self._ice._nominated.get(1)
        if pair is not self._pair:
            self._use_pair(pair)
        srtp = self._dtls._tx_srtp
        if srtp is not self._srtp:
            self._use_srtp(srtp)

    def _protect_and_send(self, packet: bytes | bytearray) -> bool:
        sendto = self._sendto
        size = len(packet)
        if sendto is None or self._session is None or size > SRTP_MAX_RTP:
            self.dropped += 1
            return False
        if self._queued() > MAX_QUEUED_BYTES:
            # The kernel refuses more for now and the event loop is holding the rest: queueing
            # without limit would only grow memory and delay (Galene drops to the next key frame).
            self.dropped += 1
            self.congested += 1
            return False
        protected = self._protected(packet, _srtp_lib.srtp_protect)
        if protected is None:
            self.dropped += 1  # e.g. an index libsrtp already used
            return False
        sendto(protected, self._addr)
        return True

    def send_rtcp(self, packet: bytes) -> bool:
        """Protect (SRTCP, RFC 3711 3.4) and send one compound RTCP packet. Rare (about once a
        second), so it takes the event loop's transport, like aiortc would."""
        self._refresh()
        sendto = self._sendto
        size = len(packet)
        # SRTCP adds a 4-byte index before the tag: keep room for both.
        if sendto is None or self._session is None or size > SRTP_MAX_RTP - 4:
            return False
        protected = self._protected(packet, _srtp_lib.srtp_protect_rtcp)
        if protected is None:
            return False
        sendto(protected, self._addr)
        return True

    def _protected(self, packet: bytes | bytearray, protect: Callable[..., int]) -> Any | None:
        """`packet` protected by libsrtp's `protect` (RTP or RTCP) in the session's buffer, or
        None when libsrtp refuses it."""
        buffer = self._buffer
        size = len(packet)
        buffer[0:size] = packet
        length = self._length
        length[0] = size
        if protect(self._session, self._cdata, length):
            return None
        return buffer[0 : length[0]]

    def _use_pair(self, pair: Any) -> None:
        self._pair = pair
        transport = None if pair is None else pair.protocol.transport
        self._sendto = None if transport is None else transport.sendto
        self._queued = (lambda: 0) if transport is None else transport.get_write_buffer_size
        if pair is not None:
            self._addr = pair.remote_addr

    def _use_srtp(self, srtp: pylibsrtp.Session | None) -> None:
        self._srtp = srtp
        if srtp is None:
            self._session = None
            return
        self._session = srtp._srtp[0]
        self._cdata = srtp._cdata
        self._buffer = srtp._buffer


class NativePacketOutput(PacketOutput):
    """The same, with protect and send in one C call (sfu/native.py): a memcpy, libsrtp and
    sendto(2) on the socket's descriptor. The kernel's queue is the only one: when it is full
    the packet is dropped (never queued in the event loop), as the Python variant does once the
    loop holds more than MAX_QUEUED_BYTES. A pair whose address the C side cannot take (an IPv6
    address with a zone) goes through the Python variant."""

    __slots__ = ("_transport", "_fd", "_address", "_session_address")

    def __init__(self, dtls_transport: Any) -> None:
        super().__init__(dtls_transport)
        self._transport: Any = None
        self._fd = -1
        self._address: bytes | None = None
        self._session_address = 0

    def send(self, packet: bytes | bytearray) -> bool:
        self._refresh()
        if not self._ready():
            self.dropped += 1
            return False
        address = self._address
        if address is None:
            return self._protect_and_send(packet)
        result = _protect_and_send_natively(self._session_address, self._fd, address, packet)
        if result == native.SENT:
            return True
        self.dropped += 1
        if result == native.CONGESTED:
            self.congested += 1
        return False

    def _use_pair(self, pair: Any) -> None:
        super()._use_pair(pair)
        self._transport = None if pair is None else pair.protocol.transport
        if self._transport is None:
            return
        self._fd = self._transport.get_extra_info("socket").fileno()
        host, port = pair.remote_addr
        try:
            self._address = _pack_address(host, port)
        except ValueError:
            self._address = None

    def _use_srtp(self, srtp: pylibsrtp.Session | None) -> None:
        super()._use_srtp(srtp)
        self._session_address = 0 if srtp is None else srtp_session_address(srtp)

    def route(self, owner: object, ssrc: int, payload_type: int) -> Any | None:
        """A native route for one consumer on the current pair (sfu/consumer.py), or None
        when there is no usable pair, keys or packable address."""
        self._refresh()
        if not self._ready() or self._address is None:
            return None
        return _Route(
            owner, self._srtp, self._session_address, self._fd, self._address,
            self._ice._nominated, self._pair, ssrc, payload_type,
        )  # fmt: skip

    def _ready(self) -> bool:
        """A selected pair, keys, and a transport that is not closing: a closing transport's
        descriptor may be closed and reused at any moment."""
        transport = self._transport
        return transport is not None and self._session_address != 0 and not transport.is_closing()

    def count_failure(self, code: int) -> None:
        self.dropped += 1
        if code == native.CONGESTED:
            self.congested += 1


def srtp_session_address(session: pylibsrtp.Session) -> int:
    """The `srtp_t` inside a pylibsrtp Session, as the native step takes it."""
    return int(_srtp_ffi.cast("uintptr_t", session._srtp[0]))


def packet_output(dtls_transport: Any) -> PacketOutput:
    """The fastest send path built here for this transport (sfu/native.py)."""
    if native.rtpsend is None:
        return PacketOutput(dtls_transport)
    return NativePacketOutput(dtls_transport)
