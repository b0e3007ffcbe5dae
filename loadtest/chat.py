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
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from loadtest.chat_clients import ClientGroup, Clients, WorkerGroup, stamp
from loadtest.chat_stats import (
    ChatResult,
    percentile,
    send_schedule,
    socket_accounts,
    split,
    summarise,
)
from loadtest.cluster import MAX_NODES, LocalCluster, measured_servers, node_cpu
from loadtest.measuring import (
    MeasuredServer,
    difference,
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
    # >1: that many nodes with Redis and PostgreSQL started here; the sockets spread over them
    # in equal shares and the senders post through the first (loadtest/cluster.py).
    nodes: int = 1

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.clients <= MAX_CLIENTS, f"clients must be 1-{MAX_CLIENTS}"),
            (0 < self.rate <= MAX_RATE, f"rate must be above 0 and at most {MAX_RATE:g}"),
            (0 < self.duration <= MAX_DURATION, f"duration must be at most {MAX_DURATION:g}"),
            (1 <= self.senders <= MAX_SENDERS, f"senders must be 1-{MAX_SENDERS}"),
            (1 <= self.accounts <= MAX_ACCOUNTS, f"accounts must be 1-{MAX_ACCOUNTS}"),
            (1 <= self.workers <= MAX_WORKERS, f"workers must be 1-{MAX_WORKERS}"),
            (1 <= self.nodes <= MAX_NODES, f"nodes must be 1-{MAX_NODES}"),
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
        measured_servers(external, scenario.nodes) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        base = server.base_url
        room_id, tokens = await _set_up_room(http, base, scenario.account_count, progress)
        socket_tokens = [tokens[a] for a in socket_accounts(scenario.clients, len(tokens))]
        cluster = server if isinstance(server, LocalCluster) else None
        ws_urls = [base.replace("http://", "ws://") + "/ws"]
        if cluster is not None:
            ws_urls = [cluster.ws_url(node) for node in range(len(cluster.nodes))]
        rss_before = server.rss_mb()
        groups: list[Clients] = []
        try:
            connect_ms = await _open_clients(
                scenario, ws_urls, socket_tokens, messages, groups, progress
            )
            await asyncio.sleep(scenario.settle)
            cpu0 = cluster.cpu_seconds_per_node() if cluster else []
            t0 = time.monotonic()
            result = await _measure(
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
            if cluster is not None:
                result.nodes = len(cluster.nodes)
                result.per_node = node_cpu(cluster, cpu0, time.monotonic() - t0, scenario.clients)
            return result
        finally:
            await asyncio.gather(*(group.close() for group in groups))


async def _open_clients(
    scenario: ChatScenario,
    ws_urls: list[str],
    socket_tokens: list[str],
    messages: int,
    groups: list[Clients],
    progress: Callable[[str], None],
) -> list[float]:
    """The sockets in equal shares over the nodes' `ws_urls`, in `scenario.workers` processes
    per node (1: this one)."""
    if len(ws_urls) > 1:
        start = 0
        for url, size in zip(ws_urls, split(scenario.clients, len(ws_urls)), strict=True):
            share = socket_tokens[start : start + size]
            start += size
            if scenario.workers == 1:
                groups.append(ClientGroup(url, share, messages, CONNECT_CONCURRENCY))
                continue
            begin = 0
            for part in split(size, scenario.workers):
                groups.append(WorkerGroup(url, share[begin : begin + part], messages, 10))
                begin += part
        progress(f"connecting {scenario.clients} clients through {len(ws_urls)} nodes")
        return [ms for each in await asyncio.gather(*(g.open() for g in groups)) for ms in each]
    ws_url = ws_urls[0]
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


class _Posts:
    """The senders' posts on the schedule, at most MAX_IN_FLIGHT unanswered at a time: how
    long each took to be acknowledged, how many were, and how many failed."""

    def __init__(self, http: aiohttp.ClientSession, url: str, sender_tokens: list[str]) -> None:
        self.ack_ms: list[float] = []
        self.acknowledged = 0
        self.failed = 0
        self._http, self._url, self._tokens = http, url, sender_tokens
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def send(
        self,
        schedule: list[tuple[float, int]],
        t0: float,
        duration: float,
        progress: Callable[[str], None],
    ) -> float:
        """Post on `schedule` from `t0` and wait for every answer; the seconds it took to send."""
        tasks: list[asyncio.Task[None]] = []
        next_report = 1.0
        for sequence, (offset, sender) in enumerate(schedule):
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._in_flight.acquire()
            tasks.append(asyncio.create_task(self._post(sequence, sender)))
            if offset >= next_report:
                next_report += 1.0
                p50 = percentile(self.ack_ms[-200:], 0.5) or 0.0
                progress(
                    f"{progress_bar(offset / duration)} "
                    f"{offset:4.0f}/{duration:.0f} s  "
                    f"{self.acknowledged} posted, ack p50 {p50:.1f} ms"
                )
        send_window = max(duration, time.monotonic() - t0)
        await asyncio.gather(*tasks)
        return send_window

    async def _post(self, sequence: int, sender: int) -> None:
        try:
            headers = {"Authorization": f"Bearer {self._tokens[sender]}"}
            sent_ns = time.monotonic_ns()
            body = {"text": stamp(sequence, sent_ns)}
            async with self._http.post(self._url, json=body, headers=headers) as response:
                await response.read()
                if response.status == 201:
                    self.ack_ms.append((time.monotonic_ns() - sent_ns) / 1e6)
                    self.acknowledged += 1
                else:
                    self.failed += 1
        except (aiohttp.ClientError, TimeoutError):
            self.failed += 1
        finally:
            self._in_flight.release()


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
    posts = _Posts(http, messages_url, sender_tokens)
    for group in groups:
        group.start_measuring()
    profiler = (
        await start_profiler(server, scenario.profile, scenario.duration)
        if scenario.profile
        else None
    )
    waits0 = runqueue_wait_seconds(server.pid), runqueue_wait_seconds("self")
    cpu0, own0, t0 = server.cpu_seconds(), own_cpu_seconds(), time.monotonic()
    send_window = await posts.send(schedule, t0, scenario.duration, progress)
    progress(f"all {len(schedule)} posts answered; waiting for deliveries")
    deadline = time.monotonic() + scenario.straggler_wait
    reports = await asyncio.gather(
        *(group.finish(posts.acknowledged, deadline) for group in groups)
    )
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
        messages=posts.acknowledged,
        post_errors=posts.failed,
        groups=reports,
        parent_cpu_seconds=own1 - own0,
        ack_ms=posts.ack_ms,
        connect_ms=connect_ms,
        server_cpu_seconds=server_cpu,
        rss_mb=server.rss_mb(),
        rss_mb_before_clients=rss_before,
        server_wait_seconds=difference(waits0[0], waits1[0]),
        loadgen_wait_seconds=difference(waits0[1], waits1[1]),
    )
