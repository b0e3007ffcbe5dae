"""`kamar serve --workers N` (server/workers.py): a supervisor and N worker nodes sharing one
port. A real supervisor process, its real workers, a real Redis and PostgreSQL, on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from rooms.meeting import grants
from server.cli import main
from server.config import ConfigError, load, load_secret
from sfu.peer import gather_on
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.ports import free_port
from tests.redis_server import RedisServer, redis_server

__all__ = ["database_url_postgresql", "postgres_server", "redis_server"]  # fixtures
START_TIMEOUT = 60.0  # seconds for the workers to start: 10-25 s each with a load of 12 on 2 cores


class Supervised:
    """`kamar serve --workers 2` as an operator starts it."""

    def __init__(self, data: Path, database_url: str, redis_url: str) -> None:
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "server", "serve", "--data", str(data), "--workers", "2"]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--ice-host", "127.0.0.1"]
        args += ["--database-url", database_url, "--redis", redis_url]
        self.log_path = data / "supervisor.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def workers(self) -> set[int]:
        """The supervisor's child processes, its workers."""
        pids: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            with open(task / "children") as children:
                pids.update(int(pid) for pid in children.read().split())
        return pids

    async def node(self) -> tuple[int, str | None]:
        """/healthz on a new connection (the kernel picks a worker per connection)."""
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            try:
                async with http.get(f"{self.base}/healthz") as answer:
                    return answer.status, (await answer.json())["node"]
            except aiohttp.ClientError:
                return 0, None  # a worker stopping as the connection reached it

    async def nodes_seen(self, wanted: int, seen: set[str]) -> bool:
        assert self.process.poll() is None, self.log_path.read_text(errors="replace")
        _, node = await self.node()
        if node is not None:
            seen.add(node)
        return len(seen) >= wanted

    def token(self, identity: str, room: str = "rapat") -> str:
        grant = grants.JoinGrant(room=room, identity=identity, name=identity.title())
        return grants.mint(grant, load_secret(self.data), int(time.time()), ttl=600)

    def participant(self, identity: str) -> SyntheticParticipant:
        url = f"ws://127.0.0.1:{self.port}/ws"
        return SyntheticParticipant(url, self.token(identity), room="rapat", receive="count")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=15)


@pytest.mark.webrtc
async def test_two_workers_share_the_port_meet_restart_and_drain(
    tmp_path: Path, database_url_postgresql: str, redis_server: RedisServer
) -> None:
    kamar = Supervised(tmp_path, database_url_postgresql, redis_server.url)
    try:
        first: set[str] = set()
        await eventually(
            lambda: kamar.nodes_seen(2, first), START_TIMEOUT, "both workers on the port"
        )
        await _participants_meet(kamar)

        killed = next(iter(kamar.workers()))
        os.kill(killed, signal.SIGKILL)
        await eventually(
            lambda: len(kamar.workers() - {killed}) == 2, START_TIMEOUT, "a worker started again"
        )
        after = set(first)
        await eventually(lambda: kamar.nodes_seen(3, after), START_TIMEOUT, "the new worker")
        assert "ended (killed by SIGKILL); starting it again" in kamar.log_path.read_text()

        await _drain(kamar)
    finally:
        kamar.stop()
        print(kamar.log_path.read_text(errors="replace"))  # shown when the test fails


async def _participants_meet(kamar: Supervised) -> None:
    """Two participants entering through the shared port both receive the other's media,
    whichever worker each socket reached (the relay brings it to the meeting's worker)."""
    gather_on(["127.0.0.1"])  # the participants' ICE, in this process: only loopback here
    ani, budi = kamar.participant("ani"), kamar.participant("budi")
    try:
        await ani.join()
        await budi.join()
        await ani.publish([AudioStreamTrack(), VideoStreamTrack()])
        await budi.publish([AudioStreamTrack(), VideoStreamTrack()])

        def both_receive() -> bool:
            return all(
                receiver.received.packets[(sender.id, kind)] > 10
                for receiver, sender in ((ani, budi), (budi, ani))
                for kind in ("audio", "video")
            )

        await eventually(both_receive, 20, "each one's media at the other")
    finally:
        for member in (budi, ani):
            await member.close()


async def _drain(kamar: Supervised) -> None:
    """SIGTERM: the idle worker exits, the one hosting a meeting drains (healthz 503) until
    its participant leaves; then the supervisor exits 0. A new meeting is placed on the worker
    its socket reached when the workers are equally loaded, so nothing is relayed here."""
    conn = await websockets.connect(f"ws://127.0.0.1:{kamar.port}/ws")
    token = kamar.token("citra", room="rapat-akhir")
    await conn.send(json.dumps({"type": "hello", "v": 1, "token": token}))
    welcome: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv(), 10))
    assert welcome["type"] == "welcome", welcome
    kamar.process.send_signal(signal.SIGTERM)
    await eventually(lambda: len(kamar.workers()) == 1, 10, "the idle worker gone")
    assert kamar.process.poll() is None  # Citra's worker drains while she is there
    assert (await kamar.node())[0] == 503
    await conn.close()
    code = await asyncio.to_thread(kamar.process.wait, 20)
    assert code == 0, kamar.log_path.read_text(errors="replace")


def test_workers_auto_is_one_per_core_this_process_may_use() -> None:
    flags = {"workers": "auto", "redis_url": "redis://h/0", "database_url": "postgresql://h/k"}
    config = load(flags, environ={})
    assert config.workers == len(os.sched_getaffinity(0))


def test_workers_need_redis_and_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="workers above 1 need redis_url"):
        load({"workers": "2", "data_dir": tmp_path}, environ={})
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load({"workers": "2", "data_dir": tmp_path, "redis_url": "redis://h/0"}, environ={})
    for bad in ("0", "many", "-1", "257"):
        with pytest.raises(ConfigError, match="workers"):
            load({"workers": bad, "data_dir": tmp_path}, environ={})
    assert main(["serve", "--workers", "2", "--data", str(tmp_path)]) == 2  # told, not started
