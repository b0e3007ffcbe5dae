"""The UDP side of the links between nodes: one socket per node, many links on it.

A datagram is `K`, the link's 32-bit id, then what `link_crypto.Sealer` makes of one RTP or
RTCP packet (counter, ciphertext, tag). The id only finds the link's keys; authenticity comes
from the tag, so a datagram from anything but the node at the other end of that link, or
replayed, is dropped and counted before anything reads it. Which address each end sends to is
agreed over the node link (signalling/node_link.py) when the link opens.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import struct
from collections.abc import Callable
from typing import cast

from sfu.cascade.link_crypto import Opener, Refused, Sealer

log = logging.getLogger(__name__)

MAGIC = 0x4B  # "K": not an RTP (0x80-0xBF), STUN (0-3) or DTLS (20-63) first byte
_HEADER = struct.Struct("!BI")
HEADER_BYTES = _HEADER.size
Address = tuple[str, int]
OnPacket = Callable[[bytes, float], None]  # an RTP or RTCP packet, its arrival (loop time)


class LinkEnd:
    """This node's end of one link: seals what goes to the other node, opens what comes."""

    def __init__(
        self,
        link_id: int,
        peer_link_id: int,
        sealer: Sealer,
        opener: Opener,
        peer: Address,
        on_packet: OnPacket,
    ) -> None:
        """`link_id` finds this end on its socket; `peer_link_id` the other end on its own
        (each node picks the id it receives on, one free on its socket)."""
        self.link_id = link_id
        self.peer = peer
        self.on_packet = on_packet
        self._header = _HEADER.pack(MAGIC, peer_link_id)
        self._sealer = sealer
        self.opener = opener
        self.socket: RelaySocket | None = None
        self.packets_received = 0  # the socket counts what all its links send

    def send(self, packet: bytes | bytearray) -> bool:
        """Seal and send one RTP or RTCP packet; False when the link is not on a socket."""
        if self.socket is None:
            return False
        self.socket.send(self._sealer.seal(packet, self._header), self.peer)
        return True


class RelaySocket(asyncio.DatagramProtocol):
    """A node's one UDP socket for the links to other nodes."""

    def __init__(self) -> None:
        self._links: dict[int, LinkEnd] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self.address: Address = ("", 0)
        self.dropped = 0  # datagrams of no link of ours, or refused by a link's key
        # Since the socket opened, all links together (a closed link's counts stay here).
        self.packets_sent = 0
        self.octets_sent = 0
        self.packets_received = 0

    @classmethod
    async def bind(cls, host: str, port: int = 0) -> RelaySocket:
        loop = asyncio.get_running_loop()
        _transport, endpoint = await loop.create_datagram_endpoint(cls, local_addr=(host, port))
        return endpoint

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        host, port = transport.get_extra_info("sockname")[:2]
        self.address = (str(host), int(port))

    def add(self, link: LinkEnd) -> None:
        if link.link_id in self._links:
            raise ValueError(f"link {link.link_id:#x} is already on this socket")
        self._links[link.link_id] = link
        link.socket = self

    def remove(self, link: LinkEnd) -> None:
        if self._links.get(link.link_id) is link:
            del self._links[link.link_id]
        link.socket = None

    def free_link_id(self) -> int:
        """An id no link on this socket receives on."""
        while True:
            link_id = secrets.randbits(32)
            if link_id not in self._links:
                return link_id

    def send(self, datagram: bytes, address: Address) -> None:
        if self._transport is not None:
            self._transport.sendto(datagram, address)
            self.packets_sent += 1
            self.octets_sent += len(datagram)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) <= HEADER_BYTES or data[0] != MAGIC:
            self.dropped += 1
            return
        link = self._links.get(_HEADER.unpack_from(data)[1])
        if link is None:
            self.dropped += 1
            return
        try:
            packet = link.opener.open(data, HEADER_BYTES)
        except Refused:
            self.dropped += 1
            return
        link.packets_received += 1
        self.packets_received += 1
        link.on_packet(packet, asyncio.get_running_loop().time())

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while the other node restarts: its link closes over the node
        # link, so nothing to do here but note it.
        log.debug("relay socket: %s", exc)

    def close(self) -> None:
        for link in list(self._links.values()):
            self.remove(link)
        if self._transport is not None:
            self._transport.close()
            self._transport = None
