"""`kamar-loadtest floor`: what a bare relay costs on this machine, the floor under the `sfu`
scenario's CPU per forwarded packet.

Three processes on loopback: a sender paced like the `sfu` scenario's publisher (127 datagrams
a second of 1,100 bytes, one every 7.9 ms), a relay that `sendto`s each datagram to N sockets,
and a sink process that reads those N sockets, as the load generator's subscribers do. The
relay is a few lines of Python on uvloop: no SRTP, no ICE, no RTCP, no header rewrite. Its CPU
per forwarded packet is what the wake-ups and the kernel's loopback delivery alone cost here;
the `sfu` figure minus this is what Kamar itself adds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from loadtest.servers import process_cpu_seconds

PACKETS_PER_SECOND = 127  # the sfu scenario's publisher: 640x360 VP8 at ~1.2 Mbit/s
PACKET_BYTES = 1_100
SETTLE = 2.0  # seconds between starting the processes and measuring


@dataclass(frozen=True)
class FloorResult:
    receivers: int
    relay_cpu_ms_per_s: float
    us_per_forwarded_packet: float | None
    us_per_incoming_packet: float


class _Sink(asyncio.DatagramProtocol):
    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        pass


class _Relay(asyncio.DatagramProtocol):
    def __init__(self, ports: list[int]) -> None:
        self.outputs = []
        for port in ports:
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            out.setblocking(False)
            self.outputs.append((out, ("127.0.0.1", port)))

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        for out, address in self.outputs:
            try:
                out.sendto(data, address)
            except BlockingIOError:
                pass  # the sink is behind: drop, as the SFU does


async def _serve(role: str, ports: list[int], seconds: float) -> None:
    loop = asyncio.get_running_loop()
    if role == "sink":
        for port in ports[1:]:
            await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", port))
    elif role == "relay":
        await loop.create_datagram_endpoint(
            lambda: _Relay(ports[1:]), local_addr=("127.0.0.1", ports[0])
        )
    else:  # the paced sender
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        payload = os.urandom(PACKET_BYTES)
        due = time.monotonic()
        end = due + seconds
        while due < end:
            sender.sendto(payload, ("127.0.0.1", ports[0]))
            due += 1 / PACKETS_PER_SECOND
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return
    await asyncio.sleep(seconds)


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def measure(receivers: int, duration: float) -> FloorResult:
    """Run the three processes and read the relay's CPU over `duration` seconds."""
    ports = _free_ports(receivers + 1)
    lifetime = str(duration + 2 * SETTLE)
    command = [sys.executable, "-m", "loadtest.relay_floor", lifetime, ",".join(map(str, ports))]
    sink = subprocess.Popen([*command, "sink"])
    relay = subprocess.Popen([*command, "relay"])
    time.sleep(0.5)  # both bound before the first datagram
    sender = subprocess.Popen([*command, "send"])
    try:
        time.sleep(SETTLE)
        before = process_cpu_seconds(relay.pid)
        time.sleep(duration)
        after = process_cpu_seconds(relay.pid)
    finally:
        for process in (sender, relay, sink):
            process.kill()
            process.wait()
    assert before is not None and after is not None
    cpu_ms_per_s = (sum(after) - sum(before)) / duration * 1000
    forwarded = PACKETS_PER_SECOND * receivers
    return FloorResult(
        receivers=receivers,
        relay_cpu_ms_per_s=round(cpu_ms_per_s, 2),
        us_per_forwarded_packet=round(cpu_ms_per_s * 1000 / forwarded, 2) if forwarded else None,
        us_per_incoming_packet=round(cpu_ms_per_s * 1000 / PACKETS_PER_SECOND, 1),
    )


if __name__ == "__main__":  # one of the three processes: LIFETIME PORTS ROLE
    import uvloop

    uvloop.run(_serve(sys.argv[3], [int(p) for p in sys.argv[2].split(",")], float(sys.argv[1])))
