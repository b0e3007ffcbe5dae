"""Nothing acknowledged is lost: SIGKILL the server in the middle of a burst of messages,
events and RSVPs, start it again on the same data, and find every acknowledged write."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from loadtest.servers import wait_until_running
from tests.ports import free_port

POSTERS = 8
KILL_AFTER_ACKS = 150


class ServerProcess:
    def __init__(self, data: Path, database_url: str | None) -> None:
        self._data, self._database_url = data, database_url
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "server", "serve", "--data", str(self._data)]
        args += ["--host", "127.0.0.1", "--port", str(self.port)]
        # The burst is about durability: the per-member message limit would only slow it to
        # a minute (tests/server/test_rate_limits.py covers the limits).
        args += ["--no-rate-limits"]
        if self._database_url:
            args += ["--database-url", self._database_url]
        self.log_path = self._data / f"server-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    async def ready(self, session: aiohttp.ClientSession) -> None:
        """This process answers on its port. The port was free when chosen, but the other
        test worker's servers share the namespace: one took it meanwhile, answered for ours
        (which could not bind it and was still starting) and refused our tokens (the suite's
        "session_expired" after the restart). So the answer counts only once this process
        said it is running, that is, bound the port; one that lost the port starts again on
        another."""
        deadline = time.monotonic() + 30
        while not await wait_until_running(self.process.poll, self.log_path, deadline):
            self._start()
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{self.base}/api/openapi.json") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError("the server did not start within 30 s")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, token: str | None = None, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, headers=headers, **kw) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def _setup(session: aiohttp.ClientSession, base: str) -> tuple[str, list[str], int, int]:
    tokens = []
    for name in ("ani", "budi"):
        status, body = await _call(
            session,
            "POST",
            f"{base}/api/auth/register",
            json={"username": name, "password": "rahasia-123", "display_name": name},
        )
        assert status == 201, body
        tokens.append(body["token"])
    status, room = await _call(
        session, "POST", f"{base}/api/rooms", tokens[0], json={"name": "Buruh", "kind": "work"}
    )
    assert status == 201, room
    status, invite = await _call(
        session, "POST", f"{base}/api/rooms/{room['id']}/invites", tokens[0], json={}
    )
    status, _ = await _call(
        session, "POST", f"{base}/api/invites/{invite['code']}/accept", tokens[1]
    )
    assert status == 200
    event = {
        "title": "Rapat akbar",
        "kind": "town_hall",
        "starts_at": "2026-12-01T19:00",
        "ends_at": "2026-12-01T21:00",
    }
    status, created = await _call(
        session, "POST", f"{base}/api/rooms/{room['id']}/events", tokens[0], json=event
    )
    assert status == 201, created
    return tokens[0], tokens, room["id"], created["id"]


async def test_every_acknowledged_write_survives_sigkill_on_sqlite(tmp_path: Path) -> None:
    await _burst_kill_restart(tmp_path, None)


async def test_every_acknowledged_write_survives_sigkill_on_postgresql(
    tmp_path: Path, database_url_postgresql: str
) -> None:
    await _burst_kill_restart(tmp_path, database_url_postgresql)


async def _all_messages(session: aiohttp.ClientSession, room: str, token: str) -> dict[int, str]:
    """Every message of the room (its API URL), page by page: id -> text."""
    found: dict[int, str] = {}
    before = None
    while True:
        query = f"?limit=100{'' if before is None else f'&before={before}'}"
        status, page = await _call(session, "GET", f"{room}/messages{query}", token)
        assert status == 200, page
        found.update({m["id"]: m["text"] for m in page["messages"]})
        before = page["next_before"]
        if before is None:
            return found


class _Burst:
    """Writers posting as fast as the server answers until KILL_AFTER_ACKS are acknowledged;
    worker 1 also changes Budi's RSVP after each post."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, tokens: list[str], room: int, event: int
    ) -> None:
        self._session, self._base, self._tokens = session, base, tokens
        self._room, self._event = room, event
        self.acked: dict[int, str] = {}
        # Budi's RSVPs: the last acknowledged answer, and the one in flight at the kill
        # (which may or may not have committed).
        self.budi_acked: str | None = None
        self.budi_in_flight: str | None = None
        self.stop = asyncio.Event()

    async def post(self, worker: int) -> None:
        token = self._tokens[worker % 2]
        n = 0
        while not self.stop.is_set():
            text = f"pesan {worker}-{n}"
            n += 1
            try:
                status, body = await _call(
                    self._session, "POST", f"{self._base}/api/rooms/{self._room}/messages",
                    token, json={"text": text},
                )  # fmt: skip
                if worker == 1:
                    await self._rsvp(token, ("going", "maybe", "no")[n % 3])
            except (aiohttp.ClientError, ConnectionError):
                return
            if status == 201:
                self.acked[body["id"]] = text
                if len(self.acked) >= KILL_AFTER_ACKS:
                    self.stop.set()

    async def _rsvp(self, token: str, answer: str) -> None:
        self.budi_in_flight = answer
        status, _ = await _call(
            self._session, "POST", f"{self._base}/api/events/{self._event}/rsvp", token,
            json={"response": answer},
        )  # fmt: skip
        if status == 200:
            self.budi_acked = answer


async def _burst_kill_restart(tmp_path: Path, database_url: str | None) -> None:
    async with aiohttp.ClientSession() as session:
        server = ServerProcess(tmp_path, database_url)
        try:
            await server.ready(session)
            _, tokens, room_id, event_id = await _setup(session, server.base)
            burst = _Burst(session, server.base, tokens, room_id, event_id)
            posters = [asyncio.create_task(burst.post(worker)) for worker in range(POSTERS)]
            await asyncio.wait_for(burst.stop.wait(), timeout=60)
            server.kill()  # requests still in flight: their answers never arrive
            await asyncio.gather(*posters)
        finally:
            server.stop()

        again = ServerProcess(tmp_path, database_url)
        try:
            await again.ready(session)
            found = await _all_messages(session, f"{again.base}/api/rooms/{room_id}", tokens[0])
            status, event = await _call(
                session, "GET", f"{again.base}/api/events/{event_id}", tokens[1]
            )
        finally:
            again.stop()
    acked, budi_acked, budi_in_flight = burst.acked, burst.budi_acked, burst.budi_in_flight
    missing = {i: t for i, t in acked.items() if found.get(i) != t}
    assert len(acked) >= KILL_AFTER_ACKS
    assert not missing, f"{len(missing)} acknowledged messages lost: {list(missing)[:5]}"
    assert status == 200, event
    assert budi_acked is not None
    assert event["my_rsvp"] in (budi_acked, budi_in_flight)
    assert sum(event["rsvp"].values()) == 1
