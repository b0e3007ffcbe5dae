"""Micro-benchmark of the SFU's per-packet path, without the network or the event loop:
Producer.receive -> Consumer.forward -> PacketOutput.send (libsrtp protect) -> a socket.

`python -m loadtest forward --consumers 80 --packets 20000 [--socket]` prints the CPU time per
forwarded packet. With `--socket` every packet really goes out with `sendto` on a loopback UDP
socket (that nobody reads, so the kernel drops it after the send path), once through the Python
send step and once through the native one (sfu/native.py) where it was built, alternately;
without it, a sink stands in for the socket and the number is our Python and libsrtp alone.
"""

from __future__ import annotations

import resource
import socket
import struct
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pylibsrtp

from sfu import native, packet_output
from sfu.consumer import Consumer
from sfu.forwarding import VIDEO, Producer, ProducerId

PAYLOAD_SIZE = 1150  # a full VP8 packet of a 1.2 Mbit/s stream


@dataclass
class ForwardResult:
    consumers: int
    native: bool
    packets_forwarded: int
    us_per_packet: float


class _Sink:
    """Stands in for uvloop's UDP transport."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.sent = 0
        self._sock = sock

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent += 1
        if self._sock is not None:
            try:
                self._sock.sendto(data, addr)
            except BlockingIOError:
                pass

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> Any:
        return self._sock if name == "socket" else None

    def is_closing(self) -> bool:
        return False


def _output(sink: _Sink, port: int, use_native: bool) -> packet_output.PacketOutput:
    # AEAD_AES_256_GCM: what aiortc prefers and browsers accept (a 32-byte key, 12-byte salt).
    policy = pylibsrtp.Policy(
        key=bytes(range(44)),
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
    )
    pair = SimpleNamespace(
        protocol=SimpleNamespace(transport=sink), remote_addr=("127.0.0.1", port)
    )
    dtls: Any = SimpleNamespace(
        _tx_srtp=pylibsrtp.Session(policy),
        transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair})),
    )
    kind = packet_output.NativePacketOutput if use_native else packet_output.PacketOutput
    return kind(dtls)


def _packet(seq: int) -> bytes:
    header = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq * 3000 & 0xFFFFFFFF, 0xAAAA0001)
    # A VP8 key frame descriptor first, so every consumer starts at once.
    return header + bytes([0x10, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A]) + bytes(PAYLOAD_SIZE - 7)


def run_forward(
    consumers: int, packets: int, use_socket: bool, use_native: bool = False
) -> ForwardResult:
    """`use_native` (needs `use_socket`): the C send step instead of the Python one."""
    if use_native and (not use_socket or native.rtpsend is None):
        raise ValueError("the native send step needs --socket and a build with sfu/_rtpsend.c")
    sock = None
    receiver = None
    if use_socket:
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", 0))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
    port = receiver.getsockname()[1] if receiver else 9
    sink = _Sink(sock)
    producer = Producer(
        ProducerId("bench/video/1"), "bench", VIDEO, 0xAAAA0001, 96, 90000, None, lambda: None
    )
    for index in range(consumers):
        out = _output(sink, port, use_native)
        routes = out if isinstance(out, packet_output.NativePacketOutput) else None
        consumer = Consumer(producer, 0xB0000000 + index, 100, out.send, routes=routes)
        producer.add_consumer(consumer)
    data = [_packet(seq) for seq in range(packets)]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = usage.ru_utime + usage.ru_stime
    for packet in data:
        producer.receive(packet)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = usage.ru_utime + usage.ru_stime - start
    for closable in (sock, receiver):
        if closable is not None:
            closable.close()
    sent = sum(consumer.packets_sent for consumer in producer.consumers)
    return ForwardResult(consumers, use_native, sent, round(elapsed / max(sent, 1) * 1e6, 3))
