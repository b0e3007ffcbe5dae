"""The emulated link's process: `python -m loadtest.field.emulator '{"participants": 3, ...}'`.

It builds the namespaces and TUN devices (loadtest/field/namespaces.py), then moves every IP
packet between the server's TUN and each participant's through two pipes per participant
(loadtest/field/link.py): uplink (participant -> server) and downlink (server -> participant),
each with its own delay, loss, rate and 1,000-packet queue, as netem on both ends of a link.

It is driven by one JSON object a line on stdin, and answers one a line on stdout:
  (at start, unasked) {"ready": true, "namespaces": [server path, participant paths...],
                       "server": "10.99.0.1", "participants": ["10.99.0.11", ...]}
  {"op": "set", "up": {PipeConfig fields}, "down": {...}}   new impairments from now on
  {"op": "down", "seconds": 5}                              cut every pipe for that long
  {"op": "stats"}                 counters per pipe, and this process's CPU seconds
End of input ends it, and the namespaces with it. A bad line gets {"error": "..."}.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
from dataclasses import asdict, dataclass
from typing import Any

from loadtest.field.link import Pipe, PipeConfig
from loadtest.field.namespaces import (
    SERVER_ADDRESS,
    LinkNamespaces,
    check_can_create,
    participant_address,
    participant_index,
)

READS_PER_WAKE = 64  # bounded work per readable event, so one busy TUN cannot starve the rest
MAX_PACKET = 65_535


@dataclass
class Route:
    """One pipe and the TUN its packets leave by."""

    pipe: Pipe
    out_fd: int
    timer: asyncio.TimerHandle | None = None
    write_errors: int = 0


class LinkEmulator:
    def __init__(self, tuns: list[int], up: PipeConfig, down: PipeConfig, seed: int) -> None:
        self.server_fd, participant_fds = tuns[0], tuns[1:]
        self.uplinks = [
            Route(Pipe(up, random.Random(seed * 1000 + 2 * i)), self.server_fd)
            for i in range(len(participant_fds))
        ]
        self.downlinks = [
            Route(Pipe(down, random.Random(seed * 1000 + 2 * i + 1)), fd)
            for i, fd in enumerate(participant_fds)
        ]
        self.participant_fds = participant_fds
        self.unroutable = 0
        self._server_address = bytes(int(part) for part in SERVER_ADDRESS.split("."))
        self._loop = asyncio.get_running_loop()

    def start(self) -> None:
        self._loop.add_reader(self.server_fd, self._from_server)
        for index, fd in enumerate(self.participant_fds):
            self._loop.add_reader(fd, self._from_participant, index, fd)

    def _from_server(self) -> None:
        for packet in _read_some(self.server_fd):
            index = participant_index(packet[16:20]) if packet[0] >> 4 == 4 else None
            if index is None or index >= len(self.downlinks):
                self.unroutable += 1
                continue
            self._offer(self.downlinks[index], packet)

    def _from_participant(self, index: int, fd: int) -> None:
        for packet in _read_some(fd):
            if packet[0] >> 4 != 4 or packet[16:20] != self._server_address:
                self.unroutable += 1  # only the server is reachable over the link
                continue
            self._offer(self.uplinks[index], packet)

    def _offer(self, route: Route, packet: bytes) -> None:
        was_idle = route.pipe.held == 0
        leaves = route.pipe.offer(self._loop.time(), packet)
        if leaves is not None and was_idle:
            route.timer = self._loop.call_at(leaves, self._deliver, route)

    def _deliver(self, route: Route) -> None:
        for packet in route.pipe.take_due(self._loop.time()):
            try:
                os.write(route.out_fd, packet)
            except OSError:  # the TUN's queue is full or it went away: the packet is lost
                route.write_errors += 1
        due = route.pipe.next_due()
        route.timer = None if due is None else self._loop.call_at(due, self._deliver, route)

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        op = command.get("op")
        if op == "set":  # both built (and checked) before either applies
            up, down = PipeConfig(**command["up"]), PipeConfig(**command["down"])
            for route in self.uplinks:
                route.pipe.reconfigure(up)
            for route in self.downlinks:
                route.pipe.reconfigure(down)
            return {"ok": True}
        if op == "down":
            seconds = float(command["seconds"])
            if not 0 <= seconds <= 600:
                raise ValueError("seconds must be 0-600")
            now = self._loop.time()
            for route in self.uplinks + self.downlinks:
                route.pipe.go_down(now, seconds)
            return {"ok": True}
        if op == "stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return {
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "unroutable": self.unroutable,
                "up": [_route_stats(route) for route in self.uplinks],
                "down": [_route_stats(route) for route in self.downlinks],
            }
        raise ValueError(f"unknown op {op!r}")


def answer(emulator: LinkEmulator, line: bytes) -> dict[str, Any]:
    """The reply to one command line; a bad line changes nothing and gets {"error": ...}."""
    try:
        command = json.loads(line)
        if not isinstance(command, dict):
            raise ValueError("a command is a JSON object")
        return emulator.handle(command)
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _route_stats(route: Route) -> dict[str, int]:
    return {**asdict(route.pipe.counters), "write_errors": route.write_errors}


def _read_some(fd: int) -> list[bytes]:
    packets: list[bytes] = []
    for _ in range(READS_PER_WAKE):
        try:
            packet = os.read(fd, MAX_PACKET)
        except BlockingIOError:
            break
        if len(packet) >= 20:  # shorter is no IPv4 header: nothing to route by
            packets.append(packet)
    return packets


async def serve(namespaces: LinkNamespaces, up: PipeConfig, down: PipeConfig, seed: int) -> None:
    emulator = LinkEmulator(namespaces.tun_fds, up, down, seed)
    emulator.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _answer(
        {
            "ready": True,
            "pid": os.getpid(),
            "namespaces": [namespaces.path(i) for i in range(len(namespaces.namespace_fds))],
            "server": SERVER_ADDRESS,
            "participants": [participant_address(i) for i in range(len(emulator.downlinks))],
        }
    )
    while line := await reader.readline():
        _answer(answer(emulator, line))


def _answer(reply: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    settings = json.loads(argv[0]) if argv else {}
    up = PipeConfig(**settings.get("up", {}))
    down = PipeConfig(**settings.get("down", {}))
    check_can_create()
    namespaces = LinkNamespaces(int(settings.get("participants", 1)))
    try:
        try:
            import uvloop  # steadier timers and less CPU per packet than asyncio's own loop

            uvloop.run(serve(namespaces, up, down, int(settings.get("seed", 1))))
        except ImportError:
            asyncio.run(serve(namespaces, up, down, int(settings.get("seed", 1))))
    finally:
        namespaces.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
