"""UDP probes that check the emulated link before its figures are trusted.

`python -m loadtest.field.probe echo PORT`: echo every datagram back (prints "ready" once bound).
`python -m loadtest.field.probe ping HOST PORT COUNT INTERVAL_MS SIZE`: numbered datagrams at
  a steady interval; prints JSON with round-trip times and the share lost (both directions).
`python -m loadtest.field.probe health URL SECONDS`: exit 0 once URL answers 200, 1 if it did not
  within SECONDS (the benchmark's server lives in a namespace only these probes can enter).
`python -m loadtest.field.probe burst HOST PORT COUNT SIZE`: COUNT datagrams at once; the echoes
  come back spaced by the link's rate, and their spacing gives the rate in kbit/s of IP packets.
Run each inside a namespace with `nsenter` (loadtest/field/control.py) so they cross the link.
"""

from __future__ import annotations

import json
import select
import socket
import statistics
import struct
import sys
import time
import urllib.request
from typing import Any

IP_UDP_HEADERS = 28  # IPv4 (20) + UDP (8): what the link's rate counts on top of the payload
MAX_COUNT = 10_000


def echo(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", port))  # inside the emulator's namespace: only its TUN and lo
        print("ready", flush=True)
        while True:
            data, peer = sock.recvfrom(65_535)
            sock.sendto(data, peer)


def _collect(
    sock: socket.socket, until: float, arrivals: dict[int, float], expected: int = MAX_COUNT
) -> None:
    """Record (sequence number -> arrival time) for echoes until `until` (monotonic), or
    until `expected` have come."""
    while (left := until - time.monotonic()) > 0 and len(arrivals) < expected:
        ready, _, _ = select.select([sock], [], [], left)
        if ready:
            data = sock.recv(65_535)
            arrivals.setdefault(struct.unpack_from("!I", data)[0], time.monotonic())


def ping(host: str, port: int, count: int, interval: float, size: int) -> dict[str, Any]:
    sent: dict[int, float] = {}
    arrivals: dict[int, float] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((host, port))
        start = time.monotonic()
        for seq in range(count):
            _collect(sock, start + seq * interval, arrivals)
            sent[seq] = time.monotonic()
            sock.send(struct.pack("!I", seq).ljust(size, b"\0"))
        _collect(sock, time.monotonic() + 1.5, arrivals, count)
    rtts = sorted((arrivals[seq] - sent[seq]) * 1000 for seq in arrivals if seq in sent)
    return {
        "sent": count,
        "received": len(rtts),
        "loss_ratio": round(1 - len(rtts) / count, 4),
        "rtt_ms_min": round(rtts[0], 1) if rtts else None,
        "rtt_ms_median": round(statistics.median(rtts), 1) if rtts else None,
        "rtt_ms_max": round(rtts[-1], 1) if rtts else None,
    }


def burst(host: str, port: int, count: int, size: int) -> dict[str, Any]:
    arrivals: dict[int, float] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.connect((host, port))
        for seq in range(count):
            sock.send(struct.pack("!I", seq).ljust(size, b"\0"))
        _collect(sock, time.monotonic() + 5.0, arrivals, count)
    times = sorted(arrivals.values())
    kbps = None
    if len(times) >= 2 and times[-1] > times[0]:
        # n arrivals span n - 1 serialization times of the packets after the first.
        kbps = round((len(times) - 1) * (size + IP_UDP_HEADERS) * 8 / (times[-1] - times[0]) / 1000)
    return {"sent": count, "received": len(times), "kbps": kbps}


def health(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)  # a plain poll with a deadline: this process has nothing else to do
    return False


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "health":
        return 0 if health(argv[1], min(float(argv[2]), 120.0)) else 1
    if len(argv) == 2 and argv[0] == "echo":
        echo(int(argv[1]))
        return 0
    if len(argv) == 6 and argv[0] == "ping":
        host, port, count, interval_ms, size = argv[1:]
        result = ping(host, int(port), _count(count), float(interval_ms) / 1000, _size(size))
    elif len(argv) == 5 and argv[0] == "burst":
        host, port, count, size = argv[1:]
        result = burst(host, int(port), _count(count), _size(size))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


def _count(text: str) -> int:
    if not 2 <= int(text) <= MAX_COUNT:
        raise SystemExit(f"count must be 2-{MAX_COUNT}")
    return int(text)


def _size(text: str) -> int:
    if not 4 <= int(text) <= 1400:
        raise SystemExit("size must be 4-1400 bytes")
    return int(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
