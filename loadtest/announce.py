"""`kamar-loadtest announce --rooms 1000 --members 50000 [--sockets 2000] [--json FILE]`: one
announcement to R rooms holding M members, of whom S are connected by feed websocket. Reports
how many connected members received it (`delivered_ratio`), the time from sending the request
to each socket's receipt (`delivery_ms_p50/p99/max`), the request's own answer time, and the
server's CPU seconds for the whole publication.

The members and rooms are written straight into the started server's SQLite database (an
argon2 hash per account through the API would take 50,000 x 50 ms); the sockets sign in with
session tokens made with the server's secret. So it measures a server it starts itself only
(no --url). Bounded: at most MAX_MEMBERS rows and MAX_SOCKETS sockets, a minute of waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from loadtest.chat import _api
from loadtest.chat_stats import percentile
from loadtest.netns import reexec_in_private_netns
from loadtest.servers import local_server
from loadtest.target import bounded, print_summary
from rooms.community import sessions
from rooms.community.schema.accounts import users
from rooms.community.schema.rooms import memberships, rooms
from server.config import load_secret

MAX_ROOMS, MAX_MEMBERS, MAX_SOCKETS = 10_000, 200_000, 5000
WAIT_LIMIT = 60.0  # seconds for every connected socket to receive the post
TITLE = "Pengumuman beban"  # what each socket looks for
BATCH = 5000


@dataclass(frozen=True)
class AnnounceResult:
    rooms: int
    members: int
    sockets: int
    delivered: int
    delivered_ratio: float
    delivery_ms_p50: float
    delivery_ms_p99: float
    delivery_ms_max: float
    publish_answer_ms: float
    server_cpu_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def populate(database_url: str, room_count: int, members: int, now: int) -> int:
    """`members` accounts spread evenly over `room_count` rooms (kind "region"), and one
    administrator; returns the administrator's id (accounts are numbered from it + 1)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            admin = (
                await conn.execute(
                    insert(users)
                    .values(
                        password_hash="!", display_name="Organiser", is_admin=True, created_at=now
                    )
                    .returning(users.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(rooms),
                [
                    {"name": f"Ranting {n}", "kind": "region", "visibility": "invite",
                     "created_by": admin, "created_at": now, "last_activity_at": now}
                    for n in range(room_count)
                ],
            )  # fmt: skip
            first_room = admin  # both tables were empty: ids start at 1
            for start in range(0, members, BATCH):
                chunk = range(start, min(members, start + BATCH))
                await conn.execute(
                    insert(users),
                    [{"password_hash": "!", "display_name": f"Anggota {n}", "created_at": now}
                     for n in chunk],
                )  # fmt: skip
                await conn.execute(
                    insert(memberships),
                    [{"room_id": first_room + n % room_count, "user_id": admin + 1 + n,
                      "role": "member", "joined_at": now}
                     for n in chunk],
                )  # fmt: skip
        return int(admin)
    finally:
        await engine.dispose()


async def run_announce(
    room_count: int, members: int, socket_count: int, progress: Callable[[str], None]
) -> AnnounceResult:
    async with (
        local_server() as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        now = time.time()
        url = f"sqlite+aiosqlite:///{server.data_dir / 'kamar.db'}"
        admin = await populate(url, room_count, members, int(now * 1000))
        progress(f"{members} members in {room_count} rooms written")
        secret = load_secret(server.data_dir)
        # Connected members spread over the rooms: member n is in room n % rooms.
        chosen = [admin + 1 + n * members // socket_count for n in range(socket_count)]
        ws_url = server.base_url.replace("http://", "ws://") + "/ws"
        audience = _Audience(http, ws_url, secret, now, socket_count, progress)
        await audience.connect(chosen)
        token = sessions.mint_session(admin, secret, now)
        cpu_before = server.cpu_seconds()
        sent = time.monotonic()
        body = {"title": TITLE, "text": "Rapat akbar Minggu pagi.", "kinds": ["region"]}
        await _api(http, "POST", f"{server.base_url}/api/announcements", token, body)
        answered = time.monotonic()
        progress("announcement published")
        arrivals = audience.arrivals
        try:
            await asyncio.wait_for(audience.got_all.wait(), WAIT_LIMIT)
        except TimeoutError:
            progress(f"only {len(arrivals)}/{socket_count} sockets got it within {WAIT_LIMIT:g} s")
        cpu_after = server.cpu_seconds()
        await audience.close()
        delays = [(arrival - sent) * 1000 for arrival in arrivals]
        cpu = None
        if cpu_before is not None and cpu_after is not None:
            cpu = round(sum(cpu_after) - sum(cpu_before), 2)
        return AnnounceResult(
            rooms=room_count,
            members=members,
            sockets=socket_count,
            delivered=len(arrivals),
            delivered_ratio=round(len(arrivals) / socket_count, 4),
            delivery_ms_p50=round(percentile(delays, 0.5) or 0.0, 1),
            delivery_ms_p99=round(percentile(delays, 0.99) or 0.0, 1),
            delivery_ms_max=round(max(delays, default=0.0), 1),
            publish_answer_ms=round((answered - sent) * 1000, 1),
            server_cpu_s=cpu,
        )


class _Audience:
    """Connected members' sockets, signed in, noting when the announcement reaches each."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        ws_url: str,
        secret: str,
        now: float,
        expected: int,
        progress: Callable[[str], None],
    ) -> None:
        self.arrivals: list[float] = []  # time.monotonic() of each socket's announcement
        self.got_all = asyncio.Event()
        self._http, self._ws_url, self._secret, self._now = http, ws_url, secret, now
        self._expected = expected
        self._progress = progress
        self._ready = 0
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._listeners: list[asyncio.Task[None]] = []
        self._gate = asyncio.Semaphore(50)

    async def connect(self, user_ids: list[int]) -> None:
        self._listeners = await asyncio.gather(*(self._connect_gated(u) for u in user_ids))

    async def _connect_gated(self, user_id: int) -> asyncio.Task[None]:
        async with self._gate:
            return await self._connect(user_id)

    async def _connect(self, user_id: int) -> asyncio.Task[None]:
        ws = await self._http.ws_connect(self._ws_url, heartbeat=None, max_msg_size=0)
        self._sockets.append(ws)
        token = sessions.mint_session(user_id, self._secret, self._now)
        await ws.send_json({"type": "auth", "token": token})
        while (await ws.receive_json(timeout=WAIT_LIMIT)).get("type") != "authed":
            pass
        self._ready += 1
        if self._ready % 200 == 0:
            self._progress(f"{self._ready}/{self._expected} sockets signed in")
        return asyncio.create_task(self._listen(ws))

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT or TITLE not in message.data:
                continue
            event = json.loads(message.data)
            if event.get("type") == "chat_message":
                self.arrivals.append(time.monotonic())
                if len(self.arrivals) == self._expected:
                    self.got_all.set()

    async def close(self) -> None:
        for task in self._listeners:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)


def add_parser(scenarios: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    announce = scenarios.add_parser(
        "announce", help="one announcement to R rooms of M members, S of them connected"
    )
    announce.add_argument("--rooms", type=bounded(int, 1, MAX_ROOMS), default=1000)
    announce.add_argument("--members", type=bounded(int, 1, MAX_MEMBERS), default=50_000)
    announce.add_argument(
        "--sockets",
        type=bounded(int, 1, MAX_SOCKETS),
        default=2000,
        help="connected members (feed websockets; default 2000, at most the members)",
    )
    announce.add_argument("--json", metavar="FILE", help="write the figures as JSON")


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    sockets = min(args.sockets, args.members)
    reexec_in_private_netns()  # its server and sockets on a loopback of their own
    print(f"announce: {args.rooms} rooms, {args.members} members, {sockets} connected", flush=True)
    result = asyncio.run(run_announce(args.rooms, args.members, sockets, progress))
    print()
    print_summary(
        [
            ("delivered (ratio)", f"{result.delivered}/{sockets} ({result.delivered_ratio})"),
            (
                "delivery p50 / p99 / max (ms)",
                f"{result.delivery_ms_p50} / {result.delivery_ms_p99} / {result.delivery_ms_max}",
            ),
            ("publish request answered (ms)", result.publish_answer_ms),
            ("server CPU for the publication (s)", result.server_cpu_s),
        ],
        36,
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result.as_dict(), out, indent=2)
            out.write("\n")
        print(f"wrote {args.json}")
    return 0
