"""`kamar serve --workers N` (server/workers.py): a supervisor and N worker nodes sharing one
port. A real supervisor process, its real workers, a real Redis and PostgreSQL, on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from rooms.meeting import grants
from server import workers
from server.cli import main
from server.config import ConfigError, load, load_secret
from server.drain import carried_sockets, drain
from sfu.peer import gather_on
from signalling.ws import SERVICES_KEY
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.ports import free_port
from tests.redis_server import RedisServer, redis_server
from tests.whole.server.test_cluster_meetings import token, two_nodes, ws_url

__all__ = ["database_url_postgresql", "postgres_server", "redis_server", "two_nodes"]  # fixtures
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

    async def sockets_per_worker(self) -> list[float]:
        """Each worker's open websockets (`kamar_sockets` on its own port, its node URL)."""
        urls = re.findall(r"other workers reach it at (\S+)", self.log_path.read_text())
        counts = []
        async with aiohttp.ClientSession() as http:
            for url in urls:
                async with http.get(f"{url}/metrics") as answer:
                    found = re.search(r"^kamar_sockets (\S+)$", await answer.text(), re.M)
                    assert found is not None
                    counts.append(float(found.group(1)))
        assert len(counts) == 2, urls
        return counts

    def token(self, identity: str, room: str = "rapat") -> str:
        grant = grants.JoinGrant(meeting=room, identity=identity, name=identity.title())
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
    """Two participants entering through the shared port, one through the worker hosting the
    meeting and one through the other (relayed there; its media served where it came in, the
    tracks crossing between the workers): both receive the other's audio and video."""
    gather_on(["127.0.0.1"])  # the participants' ICE, in this process: only loopback here
    ani = kamar.participant("ani")  # the meeting goes to the worker her socket reached
    others: list[SyntheticParticipant] = []
    try:
        await ani.join()
        # The kernel picks a worker per connection: newcomers until one came in through the
        # other worker (each does with even odds; 1 in 65,536 that none of 16 does).
        for attempt in range(16):
            others.append(kamar.participant(f"budi{attempt}"))
            await others[-1].join()
            if all(sockets > 0 for sockets in await kamar.sockets_per_worker()):
                break
        else:
            raise AssertionError("no socket came in through the other worker")
        budi = others[-1]
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
        for member in (*others, ani):
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


def test_workers_come_from_flags_environment_and_toml_auto_is_one_per_core(tmp_path: Path) -> None:
    flags = {"workers": "auto", "redis_url": "redis://h/0", "database_url": "postgresql://h/k"}
    config = load(flags, environ={})
    assert config.workers == len(os.sched_getaffinity(0))
    environ = {"KAMAR_WORKERS": "auto", "KAMAR_REDIS_URL": "redis://h/0"}
    environ["KAMAR_DATABASE_URL"] = "postgresql://h/k"
    assert load({}, environ=environ).workers == len(os.sched_getaffinity(0))
    toml = tmp_path / "kamar.toml"
    toml.write_text('workers = 3\nredis_url = "redis://h/0"\ndatabase_url = "postgresql://h/k"\n')
    assert load({"data_dir": tmp_path}, environ={}).workers == 3


def test_workers_need_redis_and_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="workers above 1 need redis_url"):
        load({"workers": "2", "data_dir": tmp_path}, environ={})
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load({"workers": "2", "data_dir": tmp_path, "redis_url": "redis://h/0"}, environ={})
    for bad in ("0", "many", "-1", "257"):
        with pytest.raises(ConfigError, match="workers"):
            load({"workers": bad, "data_dir": tmp_path}, environ={})
    cluster = {"redis_url": "redis://h/0", "database_url": "postgresql://h/k", "data_dir": tmp_path}
    with pytest.raises(ConfigError, match="relay_port 65534 leaves no room for 4 workers"):
        load({"workers": "4", "relay_port": "65534"} | cluster, environ={})
    with pytest.raises(ConfigError, match="node_url's port 65533 leaves no room for 4 workers"):
        load({"workers": "4", "node_url": "http://10.0.0.5:65533"} | cluster, environ={})
    assert load({"workers": "4", "relay_port": "65532"} | cluster, environ={}).workers == 4
    assert main(["serve", "--workers", "2", "--data", str(tmp_path)]) == 2  # told, not started


def _script(code: str) -> list[str]:
    return [sys.executable, "-c", "import os, signal, sys\n" + code]


# A worker that exits 0 on SIGTERM, as a draining node with nobody left does.
WAIT_FOR_SIGTERM = "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\nsignal.pause()\n"


async def test_a_worker_that_cannot_start_stops_the_supervisor() -> None:
    def command(index: int) -> list[str]:
        return _script("sys.exit(3)" if index == 0 else WAIT_FOR_SIGTERM)

    assert await asyncio.wait_for(workers.Supervisor(command, 2).run(), 20) == 1


async def test_a_worker_that_ended_is_started_again_and_sigterm_stops_all(tmp_path: Path) -> None:
    runs = tmp_path / "runs"

    def command(index: int) -> list[str]:
        # Each run adds a line; the first run of worker 0 ends as if it had crashed.
        code = f"open({str(runs)!r}, 'a').write('{index}\\n')\n"
        code += f"if open({str(runs)!r}).read().count('0') == 1 and {index} == 0: sys.exit(1)\n"
        return _script(code + WAIT_FOR_SIGTERM)

    supervisor = workers.Supervisor(command, 2)
    running = asyncio.create_task(supervisor.run())

    def started() -> list[str]:
        return runs.read_text().split() if runs.exists() else []

    await eventually(lambda: sorted(started()) == ["0", "0", "1"], 20, "worker 0 again")
    supervisor.stop(signal.SIGTERM)
    assert await asyncio.wait_for(running, 20) == 0


async def test_a_draining_node_waits_for_the_sockets_it_relays(
    two_nodes: list[TestServer], tmp_path: Path
) -> None:
    """With --workers every worker drains at once; a socket relayed through a worker must not
    be cut while the meeting it reaches goes on (server/drain.py)."""
    a, b = two_nodes
    ani = await websockets.connect(ws_url(a))
    await ani.send(json.dumps({"type": "hello", "v": 1, "token": token(tmp_path, "r", "ani")}))
    assert json.loads(await asyncio.wait_for(ani.recv(), 10))["type"] == "welcome"
    budi = await websockets.connect(ws_url(b))  # relayed to a, where the meeting lives
    await budi.send(json.dumps({"type": "hello", "v": 1, "token": token(tmp_path, "r", "budi")}))
    assert json.loads(await asyncio.wait_for(budi.recv(), 10))["type"] == "welcome"
    services = b.app[SERVICES_KEY]
    assert (services.registry.participant_count, carried_sockets(services)) == (0, 1)
    draining = asyncio.create_task(drain(services, asyncio.Event(), timeout=60))
    await asyncio.sleep(0)  # let it start: it must wait while Budi's socket is relayed
    assert not draining.done()
    await budi.close()
    await asyncio.wait_for(draining, 10)
    await ani.close()
