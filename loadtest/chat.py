"""The `chat` scenario: N websocket clients follow one room's community feed while a few
senders post messages over HTTP at a fixed rate; every client times every delivery.

Each message's text carries its sequence number and the `time.monotonic_ns()` of the moment
its POST left. Clients subtract that from their own `monotonic_ns()` when the `chat_message`
frame arrives. Senders and clients run on this machine, and CLOCK_MONOTONIC is one clock for
every process of a Linux system, so the subtraction also holds for clients in worker
processes (`workers` > 1).

Password hashing costs the server ~50-100 ms of CPU per account, so the scenario registers at
most MAX_ACCOUNTS accounts and spreads the sockets over them (socket i signs in as account
i mod accounts), like one person with several phones and laptops. The fan-out per message
is the same: the server delivers a room's message once per socket, whoever owns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from loadtest.measuring import (
    MeasuredServer,
    difference,
    measured_server,
    own_cpu_seconds,
    progress_bar,
    runqueue_wait_seconds,
    start_profiler,
)
from loadtest.servers import ExternalServer

MAX_CLIENTS = 5000
MAX_RATE = 200.0  # messages per second, all senders together
MAX_DURATION = 600.0
MAX_ACCOUNTS = 50
MAX_SENDERS = 10
MAX_WORKERS = 4
CONNECT_CONCURRENCY = 50  # websockets being opened at once (in all processes together)
MAX_IN_FLIGHT = 100  # posts awaiting their answer; more and the senders fall behind schedule
PASSWORD = "kamar-loadtest-password"
MARK = "kamar-lt"  # message text: f"{MARK} {sequence} {sent monotonic_ns}"
_FEED_PREFIX = '{"type":"chat_message"'  # the bus encodes events compactly, type first
_STAMP = re.compile(r'"text":"' + MARK + r' (\d+) (\d+)"')
_LOG_STEP = math.log1p(0.01)  # delivery histogram buckets are 1 % wide


# --- pure parts -------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least `fraction` of all at or
    below it); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def bucket_of(microseconds: float) -> int:
    """The 1 %-wide logarithmic bucket of a delay; everything under 1 µs goes to bucket 0."""
    if microseconds <= 1.0:
        return 0
    return int(math.log(microseconds) / _LOG_STEP)


def bucket_value(bucket: int) -> float:
    """The geometric middle of a bucket, in µs: within 0.5 % of every delay it holds."""
    return math.exp((bucket + 0.5) * _LOG_STEP)


@dataclass
class Histogram:
    """Delays in 1 % buckets: millions of deliveries in a few kilobytes, merged across
    processes, percentiles within 0.5 %. The maximum is kept exactly."""

    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    max_us: float = 0.0

    def add(self, microseconds: float) -> None:
        bucket = bucket_of(microseconds)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        if microseconds > self.max_us:
            self.max_us = microseconds

    def merge(self, other: Histogram) -> None:
        for bucket, count in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += other.total
        self.max_us = max(self.max_us, other.max_us)

    def percentile_ms(self, fraction: float) -> float | None:
        """Nearest rank, as `percentile`, to the bucket's middle; None when empty."""
        if not self.total:
            return None
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                return min(bucket_value(bucket), self.max_us) / 1000
        raise AssertionError("counts do not add up to total")


def send_schedule(rate: float, duration: float, senders: int) -> list[tuple[float, int]]:
    """(seconds after the start, sender) of every message: evenly spaced at `rate` per second
    in all, the senders taking turns; at least one message."""
    if rate <= 0 or duration <= 0 or senders < 1:
        raise ValueError("rate, duration and senders must be positive")
    count = max(1, math.floor(rate * duration + 1e-9))
    return [(n / rate, n % senders) for n in range(count)]


def socket_accounts(clients: int, accounts: int) -> list[int]:
    """The account each socket signs in as: round robin, so no account has more than one
    socket above another."""
    return [n % accounts for n in range(clients)]


def split(count: int, parts: int) -> list[int]:
    """`count` items in `parts` shares that differ by at most one, larger first."""
    return [count // parts + (1 if n < count % parts else 0) for n in range(parts)]


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


@dataclass
class GroupReport:
    """What the clients of one process saw while measuring."""

    delivered: int  # distinct (socket, message) pairs
    duplicates: int
    dropped: int  # sockets closed before the end (by the server, or failed)
    delays: Histogram
    cpu_seconds: float  # the process's own user + system time while measuring


@dataclass
class ChatResult:
    clients: int
    accounts: int
    senders: int
    workers: int
    rate: float  # asked for
    duration_s: float  # the sending window
    messages: int  # posted and acknowledged
    post_errors: int
    messages_per_s: float
    deliveries_per_s: float
    expected_deliveries: int
    delivered: int
    missing: int
    duplicates: int
    dropped_sockets: int
    delivered_ratio: float
    delivery_ms_p50: float | None
    delivery_ms_p99: float | None
    delivery_ms_max: float | None
    ack_ms_p50: float | None
    ack_ms_p99: float | None
    connect_ms_p50: float | None
    connect_ms_p99: float | None
    server_cpu_percent: float | None
    server_cpu_us_per_delivery: float | None
    rss_mb: float | None
    rss_kb_per_socket: float | None
    # All load-generator processes together, and the busiest one: near 100 % of a core the
    # clients, not the server, set the delivery latency.
    loadgen_cpu_percent: float
    loadgen_busiest_percent: float
    # Time runnable but waiting for a core (/proc/PID/schedstat), % of the window: high when
    # other work on the machine, not the process itself, holds it back. None: not available.
    server_cpu_wait_percent: float | None
    loadgen_cpu_wait_percent: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def summarise(
    *,
    clients: int,
    accounts: int,
    senders: int,
    workers: int,
    rate: float,
    send_window: float,
    measure_window: float,
    messages: int,
    post_errors: int,
    groups: Sequence[GroupReport],
    parent_cpu_seconds: float,
    ack_ms: Sequence[float],
    connect_ms: Sequence[float],
    server_cpu_seconds: float | None,
    rss_mb: float | None,
    rss_mb_before_clients: float | None,
    server_wait_seconds: float | None = None,
    loadgen_wait_seconds: float | None = None,
) -> ChatResult:
    """The figures of one run from its raw counts and times. Pure.

    `send_window`: seconds from the first post to the end of the schedule (rates are per this
    window); `measure_window`: seconds from the first post until every delivery arrived or
    the wait for stragglers ended (CPU percentages are per this window)."""
    delays = Histogram()
    for group in groups:
        delays.merge(group.delays)
    delivered = sum(group.delivered for group in groups)
    expected = clients * messages
    # The parent process posts, and holds the clients when there are no workers.
    processes = [parent_cpu_seconds]
    if workers > 1:
        processes.extend(group.cpu_seconds for group in groups)
    grown = None
    if rss_mb is not None and rss_mb_before_clients is not None:
        grown = rss_mb - rss_mb_before_clients
    return ChatResult(
        clients=clients,
        accounts=accounts,
        senders=senders,
        workers=workers,
        rate=rate,
        duration_s=round(send_window, 2),
        messages=messages,
        post_errors=post_errors,
        messages_per_s=round(messages / send_window, 2),
        deliveries_per_s=round(delivered / send_window, 1),
        expected_deliveries=expected,
        delivered=delivered,
        missing=expected - delivered,
        duplicates=sum(group.duplicates for group in groups),
        dropped_sockets=sum(group.dropped for group in groups),
        delivered_ratio=round(delivered / expected, 6) if expected else 0.0,
        delivery_ms_p50=_rounded(delays.percentile_ms(0.5), 2),
        delivery_ms_p99=_rounded(delays.percentile_ms(0.99), 2),
        delivery_ms_max=_rounded(delays.max_us / 1000 if delays.total else None, 2),
        ack_ms_p50=_rounded(percentile(ack_ms, 0.5), 2),
        ack_ms_p99=_rounded(percentile(ack_ms, 0.99), 2),
        connect_ms_p50=_rounded(percentile(connect_ms, 0.5), 1),
        connect_ms_p99=_rounded(percentile(connect_ms, 0.99), 1),
        server_cpu_percent=None
        if server_cpu_seconds is None
        else round(server_cpu_seconds / measure_window * 100, 1),
        server_cpu_us_per_delivery=None
        if server_cpu_seconds is None or not delivered
        else round(server_cpu_seconds / delivered * 1e6, 2),
        rss_mb=_rounded(rss_mb, 1),
        rss_kb_per_socket=None if grown is None else round(grown * 1024 / clients, 1),
        loadgen_cpu_percent=round(sum(processes) / measure_window * 100, 1),
        loadgen_busiest_percent=round(max(processes) / measure_window * 100, 1),
        server_cpu_wait_percent=_rounded(
            None if server_wait_seconds is None else server_wait_seconds / measure_window * 100,
            1,
        ),
        loadgen_cpu_wait_percent=_rounded(
            None if loadgen_wait_seconds is None else loadgen_wait_seconds / measure_window * 100,
            1,
        ),
    )


# --- the clients ------------------------------------------------------------------------------


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


# --- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatScenario:
    clients: int
    rate: float = 5.0  # messages per second, all senders together
    duration: float = 20.0  # seconds of sending
    senders: int = 1
    accounts: int = MAX_ACCOUNTS  # at most; never more than clients
    workers: int = 1  # processes holding the clients (1: this one)
    settle: float = 1.0  # seconds between the last connect and the first post
    straggler_wait: float = 10.0  # seconds after the last answer to wait for deliveries
    # py-spy output of the server while sending (as the sfu scenario's --profile), or None.
    profile: Path | None = None

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.clients <= MAX_CLIENTS, f"clients must be 1-{MAX_CLIENTS}"),
            (0 < self.rate <= MAX_RATE, f"rate must be above 0 and at most {MAX_RATE:g}"),
            (0 < self.duration <= MAX_DURATION, f"duration must be at most {MAX_DURATION:g}"),
            (1 <= self.senders <= MAX_SENDERS, f"senders must be 1-{MAX_SENDERS}"),
            (1 <= self.accounts <= MAX_ACCOUNTS, f"accounts must be 1-{MAX_ACCOUNTS}"),
            (1 <= self.workers <= MAX_WORKERS, f"workers must be 1-{MAX_WORKERS}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def account_count(self) -> int:
        return max(self.senders, min(self.accounts, self.clients))


async def _api(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    token: str | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as response:
        answer: dict[str, Any] = await response.json()
        if response.status >= 300:
            raise RuntimeError(f"{method} {url}: {response.status} {answer}")
        return answer


async def _set_up_room(
    http: aiohttp.ClientSession, base: str, accounts: int, progress: Callable[[str], None]
) -> tuple[int, list[str]]:
    """Register `accounts` accounts (fresh names: a running server may have others), create an
    invite-only room and bring them all in; (room id, session tokens)."""
    run = secrets.token_hex(3)
    tokens: list[str] = [""] * accounts
    gate = asyncio.Semaphore(4)  # argon2 runs in the server's threads; 2 cores here

    async def register(n: int) -> None:
        async with gate:
            answer = await _api(
                http,
                "POST",
                f"{base}/api/auth/register",
                body={
                    "username": f"lt_{run}_{n}",
                    "password": PASSWORD,
                    "display_name": f"Load test {n}",
                },
            )
        tokens[n] = answer["token"]
        progress(f"registered {sum(1 for t in tokens if t)}/{accounts} accounts")

    await asyncio.gather(*(register(n) for n in range(accounts)))
    room = await _api(
        http,
        "POST",
        f"{base}/api/rooms",
        tokens[0],
        {"name": f"Load test {run}", "kind": "other", "visibility": "invite"},
    )
    room_id: int = room["id"]
    if accounts > 1:
        invite = await _api(
            http,
            "POST",
            f"{base}/api/rooms/{room_id}/invites",
            tokens[0],
            {"max_uses": accounts - 1, "expires_in_hours": 1},
        )
        for token in tokens[1:]:
            await _api(http, "POST", f"{base}/api/invites/{invite['code']}/accept", token)
    return room_id, tokens


async def run_chat(
    scenario: ChatScenario,
    progress: Callable[[str], None],
    external: ExternalServer | None = None,
) -> ChatResult:
    """Measure `external` (a server already running here), or a server started for the run."""
    schedule = send_schedule(scenario.rate, scenario.duration, scenario.senders)
    messages = len(schedule)
    async with (
        measured_server(external) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        base = server.base_url
        room_id, tokens = await _set_up_room(http, base, scenario.account_count, progress)
        socket_tokens = [tokens[a] for a in socket_accounts(scenario.clients, len(tokens))]
        ws_url = base.replace("http://", "ws://") + "/ws"
        rss_before = server.rss_mb()
        groups: list[Clients] = []
        try:
            connect_ms = await _open_clients(
                scenario, ws_url, socket_tokens, messages, groups, progress
            )
            await asyncio.sleep(scenario.settle)
            return await _measure(
                scenario,
                server,
                http,
                f"{base}/api/rooms/{room_id}/messages",
                tokens[: scenario.senders],
                schedule,
                groups,
                connect_ms,
                rss_before,
                progress,
            )
        finally:
            await asyncio.gather(*(group.close() for group in groups))


async def _open_clients(
    scenario: ChatScenario,
    ws_url: str,
    socket_tokens: list[str],
    messages: int,
    groups: list[Clients],
    progress: Callable[[str], None],
) -> list[float]:
    if scenario.workers == 1:
        group = ClientGroup(ws_url, socket_tokens, messages, CONNECT_CONCURRENCY)
        groups.append(group)

        def connected(count: int) -> None:
            if count % 50 == 0 or count == scenario.clients:
                progress(f"connected {count}/{scenario.clients} clients")

        return await group.open(connected)
    concurrency = max(1, CONNECT_CONCURRENCY // scenario.workers)
    start = 0
    for size in split(scenario.clients, scenario.workers):
        share = socket_tokens[start : start + size]
        start += size
        groups.append(WorkerGroup(ws_url, share, messages, concurrency))
    progress(f"connecting {scenario.clients} clients in {scenario.workers} worker processes")
    connect_ms: list[float] = []
    for each in await asyncio.gather(*(group.open() for group in groups)):
        connect_ms.extend(each)
    return connect_ms


async def _measure(
    scenario: ChatScenario,
    server: MeasuredServer,
    http: aiohttp.ClientSession,
    messages_url: str,
    sender_tokens: list[str],
    schedule: list[tuple[float, int]],
    groups: list[Clients],
    connect_ms: list[float],
    rss_before: float | None,
    progress: Callable[[str], None],
) -> ChatResult:
    ack_ms: list[float] = []
    posted = [0, 0]  # acknowledged, failed
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def post(sequence: int, sender: int) -> None:
        try:
            headers = {"Authorization": f"Bearer {sender_tokens[sender]}"}
            sent_ns = time.monotonic_ns()
            body = {"text": stamp(sequence, sent_ns)}
            async with http.post(messages_url, json=body, headers=headers) as response:
                await response.read()
                if response.status == 201:
                    ack_ms.append((time.monotonic_ns() - sent_ns) / 1e6)
                    posted[0] += 1
                else:
                    posted[1] += 1
        except (aiohttp.ClientError, TimeoutError):
            posted[1] += 1
        finally:
            in_flight.release()

    for group in groups:
        group.start_measuring()
    profiler = (
        await start_profiler(server, scenario.profile, scenario.duration)
        if scenario.profile
        else None
    )
    waits0 = runqueue_wait_seconds(server.pid), runqueue_wait_seconds("self")
    cpu0, own0, t0 = server.cpu_seconds(), own_cpu_seconds(), time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    next_report = 1.0
    for sequence, (offset, sender) in enumerate(schedule):
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await in_flight.acquire()
        tasks.append(asyncio.create_task(post(sequence, sender)))
        if offset >= next_report:
            next_report += 1.0
            p50 = percentile(ack_ms[-200:], 0.5) or 0.0
            progress(
                f"{progress_bar(offset / scenario.duration)} "
                f"{offset:4.0f}/{scenario.duration:.0f} s  "
                f"{posted[0]} posted, ack p50 {p50:.1f} ms"
            )
    send_window = max(scenario.duration, time.monotonic() - t0)
    await asyncio.gather(*tasks)
    progress(f"all {len(schedule)} posts answered; waiting for deliveries")
    deadline = time.monotonic() + scenario.straggler_wait
    reports = await asyncio.gather(*(group.finish(posted[0], deadline) for group in groups))
    cpu1, own1, t1 = server.cpu_seconds(), own_cpu_seconds(), time.monotonic()
    waits1 = runqueue_wait_seconds(server.pid), runqueue_wait_seconds("self")
    if profiler is not None:
        await profiler.wait()
    server_cpu = None
    if cpu0 is not None and cpu1 is not None:
        server_cpu = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    return summarise(
        clients=scenario.clients,
        accounts=scenario.account_count,
        senders=scenario.senders,
        workers=scenario.workers,
        rate=scenario.rate,
        send_window=send_window,
        measure_window=t1 - t0,
        messages=posted[0],
        post_errors=posted[1],
        groups=reports,
        parent_cpu_seconds=own1 - own0,
        ack_ms=ack_ms,
        connect_ms=connect_ms,
        server_cpu_seconds=server_cpu,
        rss_mb=server.rss_mb(),
        rss_mb_before_clients=rss_before,
        server_wait_seconds=difference(waits0[0], waits1[0]),
        loadgen_wait_seconds=difference(waits0[1], waits1[1]),
    )
