"""A node killed with SIGKILL in the middle of a meeting: its participants connect again through a
live node and the meeting goes on there (docs/cluster.md). Real `kamar serve` processes, a real
Redis and PostgreSQL, all on loopback."""

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
import websockets

from loadtest.servers import wait_until_running
from rooms.meeting import grants
from server.config import load_secret
from tests.databases import database_url_postgresql, postgres_server
from tests.ports import free_port
from tests.redis_server import RedisServer, redis_server

__all__ = ["database_url_postgresql", "postgres_server", "redis_server"]  # fixtures
START_TIMEOUT = 30.0  # seconds for a node to answer /healthz on a loaded machine
REJOIN_ATTEMPTS = 20  # the web client retries on wrong_node and on a closed socket likewise


class Node:
    """One `kamar serve` process of the deployment."""

    def __init__(
        self, data: Path, database_url: str, redis_url: str, extra: tuple[str, ...] = ()
    ) -> None:
        self._data, self._database_url, self._redis_url = data, database_url, redis_url
        self._extra = extra
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "server", "serve", "--data", str(self._data)]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--ice-host", "127.0.0.1"]
        args += ["--database-url", self._database_url, "--redis", self._redis_url]
        args += ["--node-url", self.base, *self._extra]
        self.log_path = self._data / f"node-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    async def ready(self, http: aiohttp.ClientSession) -> None:
        """This node answers on its own port: one that lost its port to another process
        (the other test worker's) starts again on another (loadtest/servers.py)."""
        deadline = time.monotonic() + START_TIMEOUT
        while not await wait_until_running(self.process.poll, self.log_path, deadline):
            self._start()
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"node exited: {self.log_path.read_text(errors='replace')}")
            try:
                async with http.get(f"{self.base}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "a node did not start"
            await asyncio.sleep(0.1)  # a process starting up: nothing to await but its port

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # at once, no drain
            self.process.wait(timeout=15)


async def hello(node: Node, token: str) -> tuple[Any, dict[str, Any]]:
    """A meeting socket through `node` and the first answer to its hello."""
    conn = await websockets.connect(f"ws://127.0.0.1:{node.port}/ws")
    await conn.send(json.dumps({"type": "hello", "v": 1, "token": token}))
    answer: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv(), 10))
    return conn, answer


async def test_a_meeting_goes_on_through_a_live_node_after_its_node_is_killed(
    tmp_path: Path, database_url_postgresql: str, redis_server: RedisServer
) -> None:
    secret_dir = tmp_path  # one data directory for the deployment (docs/cluster.md)
    first = Node(tmp_path, database_url_postgresql, redis_server.url)
    second = Node(tmp_path, database_url_postgresql, redis_server.url)
    try:
        async with aiohttp.ClientSession() as http:
            await first.ready(http)
            await second.ready(http)
        secret = load_secret(secret_dir)

        def token(identity: str) -> str:
            grant = grants.JoinGrant(meeting="rapat", identity=identity, name=identity.title())
            return grants.mint(grant, secret, int(time.time()), ttl=600)

        ani, welcome = await hello(first, token("ani"))  # the meeting is placed on `first`
        assert welcome["type"] == "welcome", welcome
        budi, welcome = await hello(second, token("budi"))  # relayed to `first`
        assert welcome["type"] == "welcome", welcome
        assert [p["identity"] for p in welcome["participants"]] == ["ani"]

        killed_at = time.monotonic()
        first.kill()
        # Budi's relayed socket closes with its node; he connects again through `second`, as
        # the web client does, until the meeting has a live node.
        await asyncio.wait_for(budi.wait_closed(), 10)
        await ani.close()
        for _attempt in range(REJOIN_ATTEMPTS):
            budi, welcome = await hello(second, token("budi"))
            if welcome["type"] == "welcome":
                break
            assert welcome.get("code") == "wrong_node", welcome
            await budi.close()
            await asyncio.sleep(0.2)  # the web client's first reconnect delay is longer
        assert welcome["type"] == "welcome", "never back in the meeting"
        print(f"back in the meeting {time.monotonic() - killed_at:.2f} s after SIGKILL")
        ani, welcome = await hello(second, token("ani"))
        assert welcome["type"] == "welcome", welcome
        assert [p["identity"] for p in welcome["participants"]] == ["budi"]
        for conn in (ani, budi):
            await conn.close()
    finally:
        first.stop()
        second.stop()
