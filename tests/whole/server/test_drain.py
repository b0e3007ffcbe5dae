"""Graceful shutdown: SIGTERM stops new meetings (healthz 503, `draining`), lets the meetings
on the node go on, and the process exits when the last participant has left."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import websockets

from rooms.meeting import grants
from server.config import load_secret
from server.drain import drain
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, running_kamar
from tests.signalling.test_ws import Client, joined
from tests.whole.server.test_durability import ServerProcess


async def health(base_url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/healthz") as answer:
        return answer.status, await answer.json()


async def test_a_draining_node_keeps_its_meetings_and_starts_no_new_one(tmp_path: Path) -> None:
    async with running_kamar(tmp_path) as kamar:
        ani = await joined(kamar, "rapat", "ani")
        kamar.server.app[SERVICES_KEY].draining = True
        status, body = await health(kamar.base_url)
        assert (status, body["status"], body["participants"]) == (503, "draining", 1)
        newcomer = await Client.connect(kamar)
        refused = await newcomer.join(kamar.token("rapat-lain", "budi"))
        assert (refused["type"], refused["code"]) == ("error", "draining")
        assert await newcomer.closed() is not None
        budi = await joined(kamar, "rapat", "budi")  # the meeting live here goes on
        for client in (ani, budi):
            await client.conn.close()


async def test_drain_returns_when_the_last_participant_leaves(kamar: RunningServer) -> None:
    services = kamar.server.app[SERVICES_KEY]
    ani = await joined(kamar, "rapat", "ani")
    draining = asyncio.create_task(drain(services, asyncio.Event(), timeout=60))
    await asyncio.sleep(0)  # let it start: it must wait while Ani is here
    assert not draining.done() and services.draining
    await ani.conn.close()
    await asyncio.wait_for(draining, 10)


async def test_drain_gives_up_after_its_timeout_and_at_a_second_signal(
    kamar: RunningServer,
) -> None:
    services = kamar.server.app[SERVICES_KEY]
    ani = await joined(kamar, "rapat", "ani")
    await asyncio.wait_for(drain(services, asyncio.Event(), timeout=0), 5)
    stop_now = asyncio.Event()
    draining = asyncio.create_task(drain(services, stop_now, timeout=3600))
    stop_now.set()
    await asyncio.wait_for(draining, 5)
    assert services.registry.participant_count == 1  # nobody was waited for
    await ani.conn.close()


async def test_sigterm_drains_the_process_and_it_exits_when_the_meeting_ends(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path, None)
    try:
        async with aiohttp.ClientSession() as http:
            await server.ready(http)
        grant = grants.JoinGrant(meeting="rapat", identity="ani", name="Ani")
        token = grants.mint(grant, load_secret(tmp_path), int(time.time()), ttl=600)
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws") as socket:
            await socket.send(f'{{"type": "hello", "v": 1, "token": "{token}"}}')
            assert '"welcome"' in str(await socket.recv())
            server.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while (await health(server.base))[0] != 503:
                assert time.monotonic() < deadline, "healthz never said draining"
            assert server.process.poll() is None  # still serving Ani's meeting
        server.process.wait(timeout=15)  # Ani left: the node stops by itself
        assert server.process.returncode == 0
    finally:
        server.stop()
