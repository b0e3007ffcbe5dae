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

from tests.ports import free_port

POSTERS = 8
KILL_AFTER_ACKS = 150


class ServerProcess:
    def __init__(self, data: Path, database_url: str | None) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "server", "serve", "--data", str(data)]
        args += ["--host", "127.0.0.1", "--port", str(self.port)]
        if database_url:
            args += ["--database-url", database_url]
        self.log_path = data / f"server-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    async def ready(self, session: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log_path.read_text(errors="replace")
                raise AssertionError(f"the server exited: {output}")
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


async def _burst_kill_restart(tmp_path: Path, database_url: str | None) -> None:
    async with aiohttp.ClientSession() as session:
        server = ServerProcess(tmp_path, database_url)
        try:
            await server.ready(session)
            _, tokens, room_id, event_id = await _setup(session, server.base)
            acked: dict[int, str] = {}
            # Budi's RSVPs: the last acknowledged answer, and the one in flight at the kill
            # (which may or may not have committed).
            budi_acked: str | None = None
            budi_in_flight: str | None = None
            stop = asyncio.Event()

            async def post(worker: int) -> None:
                token = tokens[worker % 2]
                n = 0
                while not stop.is_set():
                    text = f"pesan {worker}-{n}"
                    n += 1
                    try:
                        status, body = await _call(
                            session,
                            "POST",
                            f"{server.base}/api/rooms/{room_id}/messages",
                            token,
                            json={"text": text},
                        )
                        if worker == 1:
                            await rsvp(token, ("going", "maybe", "no")[n % 3])
                    except (aiohttp.ClientError, ConnectionError):
                        return
                    if status == 201:
                        acked[body["id"]] = text
                        if len(acked) >= KILL_AFTER_ACKS:
                            stop.set()

            async def rsvp(token: str, answer: str) -> None:
                nonlocal budi_acked, budi_in_flight
                budi_in_flight = answer
                status, _ = await _call(
                    session,
                    "POST",
                    f"{server.base}/api/events/{event_id}/rsvp",
                    token,
                    json={"response": answer},
                )
                if status == 200:
                    budi_acked = answer

            posters = [asyncio.create_task(post(worker)) for worker in range(POSTERS)]
            await asyncio.wait_for(stop.wait(), timeout=60)
            server.kill()  # requests still in flight: their answers never arrive
            await asyncio.gather(*posters)
        finally:
            server.stop()

        again = ServerProcess(tmp_path, database_url)
        try:
            await again.ready(session)
            found: dict[int, str] = {}
            before = None
            while True:
                query = f"?limit=100{'' if before is None else f'&before={before}'}"
                status, page = await _call(
                    session, "GET", f"{again.base}/api/rooms/{room_id}/messages{query}", tokens[0]
                )
                assert status == 200, page
                found.update({m["id"]: m["text"] for m in page["messages"]})
                before = page["next_before"]
                if before is None:
                    break
            status, event = await _call(
                session, "GET", f"{again.base}/api/events/{event_id}", tokens[1]
            )
        finally:
            again.stop()
    missing = {i: t for i, t in acked.items() if found.get(i) != t}
    assert len(acked) >= KILL_AFTER_ACKS
    assert not missing, f"{len(missing)} acknowledged messages lost: {list(missing)[:5]}"
    assert status == 200, event
    assert budi_acked is not None
    assert event["my_rsvp"] in (budi_acked, budi_in_flight)
    assert sum(event["rsvp"].values()) == 1
