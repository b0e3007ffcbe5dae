"""What arrives on aioice's sockets, sorted and checked before aioice or aiortc sees it (RFC 7983
section 7).

This is the door of every media connection: anyone can send anything to its ports. A datagram
that is empty, too short for what its first byte says it is, of a kind no WebRTC peer sends, or
(for DTLS and SRTP) from an address that is not the connection's remote, is dropped and counted
here, never handed to code that might die on it: aiortc's DTLS task reads `data[0]`, so one empty
datagram used to end a connection's media for good.

One of the three modules allowed private aiortc/aioice names (sfu/peer.py lists them all, and
tests/sfu/test_aiortc_contract.py checks them): it reads the ICE connection's sockets, its
selected pair, its check list and its credentials.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import asdict, dataclass
from typing import Any

from sfu import consent_freshness
from sfu.consent import MAGIC_COOKIE, binding_response

log = logging.getLogger(__name__)

# The smallest datagram of each kind that can be genuine:
STUN_HEADER = 20  # RFC 8489 section 5
DTLS_RECORD_HEADER = 13  # RFC 6347 section 4.1 (content type, version, epoch, sequence, length)
SRTP_SMALLEST = 12  # an RTP fixed header (RFC 3550 5.1); SRTCP adds index and tag to 8 bytes
_STUN_START = struct.Struct("!HHI")  # type, length, magic cookie


@dataclass
class DroppedDatagrams:
    """Datagrams the door dropped on one ICE connection, by reason (plain counters, read for
    stats and logs)."""

    empty: int = 0
    short: int = 0  # shorter than the smallest genuine datagram of its kind
    unknown: int = 0  # a first byte no WebRTC peer sends (RFC 7983: not STUN, DTLS, SRTP)
    not_stun: int = 0  # first byte of STUN without the RFC 8489 header: zero bits, cookie
    bad_stun: int = 0  # a STUN header, then attributes aioice's parser raised on
    foreign: int = 0  # DTLS or SRTP from an address that is not the connection's remote
    failed: int = 0  # something behind the door raised on it (logged): a bug, contained

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def media_before_stun(dtls_transport: Any) -> DroppedDatagrams:
    """Put the door in front of every socket of the DTLS transport's ICE connection; returns
    its counters. Call this once ICE has gathered (the sockets exist then); calling it again
    changes nothing and returns the same counters.

    Besides checking, the door gives RTP and RTCP to the ICE connection's `data_received`
    before aioice tries to read them as STUN, and answers consent checks on the selected pair
    without aioice. aioice hands every datagram to its STUN parser first and only passes it on
    when the parser raises: a Python exception per media packet (0.7 µs; the door takes 0.28
    µs to check and hand on an RTP packet, thread time, timeit). The parser checks neither
    the two zero bits nor the magic cookie of RFC 8489 section 5, so an RTP packet of a static
    payload type such as PCMA (8) whose sequence number equals its length minus 20 is even
    taken for a STUN request and lost. RFC 7983 section 7: a first byte of 128..191 is RTP or
    RTCP, 20..63 DTLS, 0..3 STUN. A STUN Binding request from the selected pair's remote
    address is a consent check (RFC 7675), answered by sfu/consent.py when it is a plain one;
    other STUN goes to aioice, from any address (connectivity checks find new addresses, RFC
    8445 7.3.1.3). Consent checks of our own, with retransmissions, replace aioice's
    (sfu/consent_freshness.py).
    """
    connection = dtls_transport.transport._connection
    counters: DroppedDatagrams | None = None
    for protocol in connection._protocols:
        door = vars(protocol).get("datagram_received")
        if door is not None:
            counters = door.dropped  # done already
    if counters is None:
        counters = DroppedDatagrams()
    for protocol in connection._protocols:
        if "datagram_received" not in vars(protocol):
            _demultiplex(protocol, connection, counters)
    consent_freshness.take_over(connection)
    return counters


def dropped_datagrams(dtls_transport: Any) -> DroppedDatagrams | None:
    """The door's counters of this transport's connection; None before `media_before_stun`."""
    for protocol in dtls_transport.transport._connection._protocols:
        door = vars(protocol).get("datagram_received")
        if door is not None:
            counters: DroppedDatagrams = door.dropped
            return counters
    return None


def log_dropped(connection: str, dropped: DroppedDatagrams | None) -> None:
    """One line for a closing connection's door, when it dropped anything."""
    if dropped is not None and dropped.total:
        log.info("%s: %d datagrams dropped at the door %s", connection, dropped.total, dropped)


def is_stun_header(data: bytes) -> bool:
    """RFC 8489 section 5: two zero bits, a length that is what follows the 20-byte header and a
    multiple of 4, and the magic cookie. Anything else is not STUN, whatever aioice's parser
    (which checks none of this) would make of it."""
    if len(data) < STUN_HEADER:
        return False
    kind, length, cookie = _STUN_START.unpack_from(data)
    return (
        kind < 0x4000
        and length == len(data) - STUN_HEADER
        and not length & 3
        and (cookie == MAGIC_COOKIE)
    )


def _demultiplex(protocol: Any, connection: Any, dropped: DroppedDatagrams) -> None:
    stun_path = protocol.datagram_received
    component = protocol.local_candidate.component
    nominated = connection._nominated  # aioice clears it, never replaces it
    credentials: list[Any] = [None, b"", b""]  # remote ufrag, expected USERNAME, our password

    # The selected pair last seen and its remote host and port (None: the pair is on another
    # socket, or there is none yet). A pair's address never changes; aioice builds the tuple
    # anew at each call.
    selected: list[Any] = [None, None, None]

    def from_remote(addr: tuple[Any, ...]) -> bool:
        """Whether DTLS and SRTP may come from `addr` on this socket: the selected pair's remote
        once ICE has chosen one, before that any pair's remote (the DTLS handshake may start
        as soon as the peer's side of ICE is done)."""
        pair = nominated.get(component)
        if pair is None:
            source = (addr[0], addr[1])
            return any(
                p.protocol is protocol and p.remote_addr == source for p in connection._check_list
            )
        if pair is not selected[0]:
            remote = pair.remote_addr if pair.protocol is protocol else (None, None)
            selected[:] = [pair, *remote]
        return bool(addr[1] == selected[2] and addr[0] == selected[1])

    def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            # The common case first, in as few steps as it takes (0.12 µs more than handing
            # on unchecked): SRTP or DTLS from the selected pair's remote.
            if len(data) >= DTLS_RECORD_HEADER and (
                127 < (first := data[0]) < 192 or 19 < first < 64
            ):
                if (
                    nominated.get(component) is selected[0]
                    and addr[1] == selected[2]
                    and addr[0] == selected[1]
                ) or from_remote(addr):
                    connection.data_received(data, component)  # looked up now: it may be wrapped
                else:
                    dropped.foreign += 1
            else:
                sort_out(data, addr)
        except Exception:  # the socket's callback must survive whatever the datagram was
            dropped.failed += 1
            # A flood of such datagrams must not flood the log: the first one tells the bug.
            report = log.exception if dropped.failed == 1 else log.debug
            report("a datagram from %s could not be handled; dropped", addr)

    def sort_out(data: bytes, addr: tuple[Any, ...]) -> None:
        """Everything but a datagram of 13 bytes or more that may be SRTP or DTLS."""
        size = len(data)
        first = data[0] if size else -1
        if size == 0:
            dropped.empty += 1
        elif 127 < first < 192 and size == SRTP_SMALLEST:  # the smallest RTP packet
            if from_remote(addr):
                connection.data_received(data, component)
            else:
                dropped.foreign += 1
        elif size < SRTP_SMALLEST or 19 < first < 64 or 127 < first < 192:
            dropped.short += 1
        elif first > 3:
            dropped.unknown += 1
        elif not is_stun_header(data):
            dropped.not_stun += 1
        else:
            pair = nominated.get(component)
            if pair is not None and pair.protocol is protocol and not connection._closing:
                source = (addr[0], addr[1])
                if source == pair.remote_addr and answer_consent(data, source):
                    return
            try:
                stun_path(data, addr)
            except (LookupError, TypeError, ValueError, struct.error):
                # aioice's parser raises these on attributes shorter than their type needs
                # (a zero-length PRIORITY: struct.error), past its own ValueError.
                dropped.bad_stun += 1

    def answer_consent(data: bytes, source: tuple[str, int]) -> bool:
        remote = connection.remote_username
        if credentials[0] != remote:
            credentials[:] = [
                remote,
                f"{connection.local_username}:{remote}".encode(),
                connection.local_password.encode(),
            ]
        response = binding_response(
            data, credentials[1], credentials[2], source, connection.ice_controlling
        )
        if response is None:
            return False
        protocol.transport.sendto(response, source)
        return True

    datagram_received.dropped = dropped  # type: ignore[attr-defined]
    protocol.datagram_received = datagram_received
