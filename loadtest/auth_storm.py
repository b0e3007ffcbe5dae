"""`python -m loadtest auth-storm --sockets 2000 [--within 9] [--accounts 20]`: a reconnect
storm (every phone of a union coming back after a restart): N websockets each send `auth` with
a session token, spread evenly over `within` seconds, while one more signed-in user asks for
their room list every 50 ms. What it reports is that bystander's wait: p50, p99 and the worst.

Starts its own server on loopback in a private network namespace (or measures --url), opens
at most MAX_SOCKETS sockets and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from loadtest.chat import _api, _set_up_room
from loadtest.chat_stats import percentile
from loadtest.measuring import measured_server, start_profiler
from loadtest.servers import ExternalServer
from loadtest.target import add_target_options, bounded, print_summary, target_server

MAX_SOCKETS = 5000
MAX_WITHIN = 60.0
BYSTANDER_INTERVAL = 0.05  # seconds between the bystander's requests
SETTLE = 3.0  # seconds the bystander goes on after the last auth was answered


@dataclass(frozen=True)
class StormResult:
    sockets: int
    authed: int
    failed: int
    auth_ms_p50: float
    auth_ms_p99: float
    bystander_requests: int
    bystander_ms_p50: float
    bystander_ms_p99: float
    bystander_ms_max: float


async def run_storm(
    sockets: int,
    within: float,
    accounts: int,
    progress: Callable[[str], None],
    external: ExternalServer | None = None,
    profile: Path | None = None,
) -> StormResult:
    async with (
        measured_server(external) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        base = server.base_url
        _room, tokens = await _set_up_room(http, base, accounts + 1, progress)
        bystander, stormers = tokens[0], tokens[1:]
        waits: list[float] = []
        storming = asyncio.Event()
        watcher = asyncio.create_task(_bystander(http, base, bystander, waits, storming))
        auth_ms: list[float] = []
        opened: list[aiohttp.ClientWebSocketResponse] = []
        readers: list[asyncio.Task[None]] = []
        start = time.monotonic()
        profiler: asyncio.subprocess.Process | None = None

        async def one(n: int) -> None:
            await asyncio.sleep(start + within * n / sockets - time.monotonic())
            sent = time.monotonic()
            ws = await http.ws_connect(base.replace("http://", "ws://") + "/ws", heartbeat=None)
            opened.append(ws)
            await ws.send_json({"type": "auth", "token": stormers[n % len(stormers)]})
            answer = await ws.receive_json(timeout=60)
            if answer.get("type") == "authed":
                auth_ms.append((time.monotonic() - sent) * 1000)
            # Go on reading, as a phone would: aiohttp answers the server's pings only while
            # a socket is read, and unanswered pings close it (signalling/ws.py HEARTBEAT).
            readers.append(asyncio.create_task(_drain(ws)))

        try:
            storming.set()
            if profile is not None:
                profiler = await start_profiler(server, profile, within + SETTLE)
            storm = (one(n) for n in range(sockets))
            results = await asyncio.gather(*storm, return_exceptions=True)
            progress(f"{len(auth_ms)}/{sockets} sockets authenticated")
            await asyncio.sleep(SETTLE)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            if profiler is not None:
                await profiler.wait()
            await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        failed = sum(1 for r in results if isinstance(r, BaseException))
        return _figures(sockets, failed, auth_ms, waits)


def _figures(sockets: int, failed: int, auth_ms: list[float], waits: list[float]) -> StormResult:
    """The storm's sign-in times and the bystander's waits meanwhile, in milliseconds."""
    return StormResult(
        sockets=sockets,
        authed=len(auth_ms),
        failed=failed,
        auth_ms_p50=_ms(percentile(auth_ms, 0.5)),
        auth_ms_p99=_ms(percentile(auth_ms, 0.99)),
        bystander_requests=len(waits),
        bystander_ms_p50=_ms(percentile(waits, 0.5)),
        bystander_ms_p99=_ms(percentile(waits, 0.99)),
        bystander_ms_max=round(max(waits, default=0.0), 1),
    )


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _message in ws:
        pass


def _ms(value: float | None) -> float:
    return round(value or 0.0, 1)


async def _bystander(
    http: aiohttp.ClientSession,
    base: str,
    token: str,
    waits: list[float],
    storming: asyncio.Event,
) -> None:
    """Someone else using the app meanwhile: their room list, every BYSTANDER_INTERVAL."""
    await storming.wait()
    while True:
        sent = time.monotonic()
        await _api(http, "GET", f"{base}/api/rooms", token)
        waits.append((time.monotonic() - sent) * 1000)
        await asyncio.sleep(max(0.0, sent + BYSTANDER_INTERVAL - time.monotonic()))


def add_parser(scenarios: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    storm = scenarios.add_parser(
        "auth-storm", help="N feed websockets authenticate within a few seconds; a bystander waits"
    )
    storm.add_argument("--sockets", type=bounded(int, 1, MAX_SOCKETS), default=2000)
    storm.add_argument(
        "--within", type=bounded(float, 0.1, MAX_WITHIN), default=9.0, help="seconds (default 9)"
    )
    storm.add_argument(
        "--accounts",
        type=bounded(int, 1, 49),
        default=20,
        help="accounts the sockets sign in as (each costs the server an argon2 hash; default 20)",
    )
    storm.add_argument(
        "--profile", type=Path, help="record the server with py-spy during the storm (as chat)"
    )
    add_target_options(storm)


def run(
    args: argparse.Namespace, parser: argparse.ArgumentParser, progress: Callable[[str], None]
) -> int:
    external = target_server(args, parser)
    print(f"auth storm: {args.sockets} sockets within {args.within:g} s", flush=True)
    result = asyncio.run(
        run_storm(args.sockets, args.within, args.accounts, progress, external, args.profile)
    )
    print()
    rows = [
        ("sockets authenticated (failed)", f"{result.authed} ({result.failed})"),
        ("auth answered p50 / p99 (ms)", f"{result.auth_ms_p50} / {result.auth_ms_p99}"),
        ("bystander requests", result.bystander_requests),
        (
            "bystander wait p50 / p99 / max (ms)",
            f"{result.bystander_ms_p50} / {result.bystander_ms_p99} / {result.bystander_ms_max}",
        ),
    ]
    print_summary(rows, 38)
    return 0
