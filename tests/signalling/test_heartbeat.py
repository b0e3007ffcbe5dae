"""The websocket heartbeat tolerates a slow uplink's late pongs, closes a silent client, and
every close is logged with its reason."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from signalling import ws as ws_module
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc


def test_the_heartbeat_waits_for_a_pong_longer_than_an_outage_and_tcp_backoff_take() -> None:
    # After a 5 s outage behind a 300 ms link, a pong arrived more than 10 s after its ping.
    assert ws_module.HEARTBEAT / 2 >= 20


class LatePongClient:
    """A client that answers websocket pings `delay` seconds late, or never (None)."""

    def __init__(self, delay: float | None) -> None:
        self.delay = delay
        self.pings = 0

    async def __aenter__(self) -> LatePongClient:
        return self

    async def connect(self, kamar: RunningServer) -> None:
        self.http = aiohttp.ClientSession()
        self.socket = await self.http.ws_connect(kamar.ws_url, autoping=False)
        await self.socket.send_json({"type": "hello", "v": 1, "token": kamar.token("r", "siti")})
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.PING:
                self.pings += 1
                if self.delay is not None:
                    await asyncio.sleep(self.delay)  # the pong sits in a queue on the way
                    await self.socket.pong(message.data)

    async def __aexit__(self, *_: object) -> None:
        self.reader.cancel()
        await self.socket.close()
        await self.http.close()


async def test_pongs_that_come_late_but_within_the_window_keep_the_socket(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pong within 0.6 s, sent 0.1 s late: half a second to spare on a loaded machine.
    monkeypatch.setattr(ws_module, "HEARTBEAT", 1.2)
    async with LatePongClient(delay=0.1) as client:
        await client.connect(kamar)
        await eventually(lambda: client.pings >= 3, what="three pings answered late")
        assert not client.socket.closed


async def test_a_client_that_never_answers_is_closed_and_the_reason_logged(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ws_module, "HEARTBEAT", 0.4)
    caplog.set_level(logging.INFO, logger="signalling.ws")
    async with LatePongClient(delay=None) as client:
        await client.connect(kamar)
        await eventually(lambda: client.socket.closed, what="the server to close the silent socket")
        await eventually(
            lambda: any("closed: connection lost" in r.getMessage() for r in caplog.records),
            what="the close in the log",
        )
        line = next(r.getMessage() for r in caplog.records if "closed:" in r.getMessage())
        assert "PONG" in line, line


async def test_a_client_that_leaves_is_logged_as_closed_by_the_server_with_left(
    kamar: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalling.ws")
    async with aiohttp.ClientSession() as http, http.ws_connect(kamar.ws_url) as socket:
        await socket.send_json({"type": "hello", "v": 1, "token": kamar.token("rapat", "budi")})
        await socket.send_json({"type": "leave"})
        async for _ in socket:
            pass
    await eventually(
        lambda: any("closed: by the server (left)" in r.getMessage() for r in caplog.records),
        what="the leave in the log",
    )
