"""The clients of the `chat` scenario: websockets following a room's community feed and
timing every scenario message they receive, grouped per process, optionally in worker
processes of their own.

Each message's text carries its sequence number and the `time.monotonic_ns()` of the moment
its POST left (`stamp`); a client subtracts that from its own `monotonic_ns()` when the
`chat_message` frame arrives. CLOCK_MONOTONIC is one clock for every process of a Linux
system, so this holds for clients in worker processes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import re
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

import aiohttp

from loadtest.chat_stats import GroupReport, Histogram
from loadtest.measuring import own_cpu_seconds

MARK = "kamar-lt"  # message text: f"{MARK} {sequence} {sent monotonic_ns}"
_FEED_PREFIX = '{"type":"chat_message"'  # the bus encodes events compactly, type first
_STAMP = re.compile(r'"text":"' + MARK + r' (\d+) (\d+)"')


def stamp(sequence: int, sent_ns: int) -> str:
    return f"{MARK} {sequence} {sent_ns}"


def read_stamp(frame: str) -> tuple[int, int] | None:
    """(sequence, sent ns) of a `chat_message` frame of the scenario; None for anything else.

    A regular expression on the raw frame instead of json.loads: the clients share the load
    generator's cores with thousands of others, and the text is a fixed shape."""
    if not frame.startswith(_FEED_PREFIX):
        return None
    found = _STAMP.search(frame)
    if found is None:
        return None
    return int(found[1]), int(found[2])


class FeedClient:
    """One websocket following the feed, marking each scenario message it receives."""

    def __init__(self, messages: int) -> None:
        self.seen = bytearray((messages + 7) // 8)  # one bit per message sequence
        self.messages = messages
        self.delivered = 0
        self.duplicates = 0
        self.delays: Histogram | None = None  # set while measuring
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.closing = False
        self.dropped = False

    async def connect(self, http: aiohttp.ClientSession, ws_url: str, token: str) -> float:
        """Open, sign in, wait for `authed`; the milliseconds that took."""
        started = time.monotonic()
        self.ws = await http.ws_connect(ws_url, autoping=True, max_msg_size=0)
        await self.ws.send_json({"type": "auth", "token": token})
        answer = await self.ws.receive_json(timeout=30)
        if answer.get("type") != "authed":
            raise RuntimeError(f"auth answered {answer}")
        elapsed = (time.monotonic() - started) * 1000
        self.reader = asyncio.create_task(self._read())
        return elapsed

    async def _read(self) -> None:
        assert self.ws is not None
        seen = self.seen
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic_ns()
            stamped = read_stamp(message.data)
            if stamped is None:
                continue
            sequence, sent_ns = stamped
            if sequence >= self.messages:
                continue
            byte, bit = divmod(sequence, 8)
            if seen[byte] & (1 << bit):
                self.duplicates += 1
                continue
            seen[byte] |= 1 << bit
            self.delivered += 1
            if self.delays is not None:
                self.delays.add((now - sent_ns) / 1000)
        if not self.closing:
            self.dropped = True

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


class ClientGroup:
    """The clients of one process."""

    def __init__(self, ws_url: str, tokens: Sequence[str], messages: int, concurrency: int):
        self.ws_url = ws_url
        self.tokens = list(tokens)
        self.clients = [FeedClient(messages) for _ in self.tokens]
        self.messages = messages
        self.concurrency = concurrency
        self.delays = Histogram()
        self.http: aiohttp.ClientSession | None = None
        self._cpu0 = 0.0

    async def open(self, progress: Callable[[int], None] | None = None) -> list[float]:
        """Connect every client, `concurrency` at a time; their connect times in ms."""
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        gate = asyncio.Semaphore(self.concurrency)
        connect_ms: list[float] = []

        async def one(client: FeedClient, token: str) -> None:
            assert self.http is not None
            async with gate:
                connect_ms.append(await client.connect(self.http, self.ws_url, token))
            if progress is not None:
                progress(len(connect_ms))

        await asyncio.gather(*(one(c, t) for c, t in zip(self.clients, self.tokens, strict=True)))
        return connect_ms

    def delivered(self) -> int:
        return sum(client.delivered for client in self.clients)

    def start_measuring(self) -> None:
        self._cpu0 = own_cpu_seconds()
        for client in self.clients:
            client.delays = self.delays

    def complete(self, messages: int) -> bool:
        return all(c.delivered >= messages or c.dropped for c in self.clients)

    async def finish(self, messages: int, deadline: float) -> GroupReport:
        """Wait until every client has `messages` messages (or is gone), or until `deadline`
        (time.monotonic()); then what they saw."""
        while time.monotonic() < deadline:  # polled: a per-delivery check would cost more
            if self.complete(messages):
                break
            await asyncio.sleep(0.05)
        return GroupReport(
            delivered=self.delivered(),
            duplicates=sum(client.duplicates for client in self.clients),
            dropped=sum(client.dropped for client in self.clients),
            delays=self.delays,
            cpu_seconds=own_cpu_seconds() - self._cpu0,
        )

    async def close(self) -> None:
        gate = asyncio.Semaphore(200)

        async def one(client: FeedClient) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.close(), 5)

        await asyncio.gather(*(one(client) for client in self.clients))
        if self.http is not None:
            await self.http.close()


def _worker(
    pipe: Connection, ws_url: str, tokens: list[str], messages: int, concurrency: int
) -> None:
    """A worker process: its share of the clients, driven by commands over `pipe`."""
    import uvloop

    uvloop.run(_work(pipe, ClientGroup(ws_url, tokens, messages, concurrency)))


async def _work(pipe: Connection, group: ClientGroup) -> None:
    loop = asyncio.get_running_loop()
    try:
        try:
            pipe.send(("opened", await group.open()))
        except Exception as exc:
            pipe.send(("failed", repr(exc)))
            return
        while True:
            command, argument = await loop.run_in_executor(None, pipe.recv)
            if command == "measure":
                group.start_measuring()
            elif command == "finish":
                pipe.send(("report", await group.finish(group.messages, argument)))
            else:  # "close"
                return
    finally:
        await group.close()
        pipe.close()


class Clients(Protocol):
    async def open(self, progress: Callable[[int], None] | None = None) -> list[float]: ...
    def start_measuring(self) -> None: ...
    async def finish(self, messages: int, deadline: float) -> GroupReport: ...
    async def close(self) -> None: ...


class WorkerGroup:
    """A ClientGroup in a worker process of its own, with the same methods."""

    def __init__(self, ws_url: str, tokens: Sequence[str], messages: int, concurrency: int):
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(
            target=_worker,
            args=(child, ws_url, list(tokens), messages, concurrency),
            daemon=True,
        )
        self.process.start()
        child.close()

    async def _receive(self, expected: str) -> Any:
        kind, value = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        if kind != expected:
            raise RuntimeError(f"worker {self.process.pid}: {kind} {value}")
        return value

    async def open(self, progress: Callable[[int], None] | None = None) -> list[float]:
        connect_ms: list[float] = await self._receive("opened")
        return connect_ms

    def start_measuring(self) -> None:
        self.pipe.send(("measure", None))

    async def finish(self, messages: int, deadline: float) -> GroupReport:
        self.pipe.send(("finish", deadline))
        report: GroupReport = await self._receive("report")
        return report

    async def close(self) -> None:
        with contextlib.suppress(OSError):
            self.pipe.send(("close", None))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.process.join, 15)
        if self.process.is_alive():
            self.process.kill()
            await loop.run_in_executor(None, self.process.join, 5)
        self.pipe.close()
