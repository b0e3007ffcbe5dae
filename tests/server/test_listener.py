"""Slowloris: connections that do not finish their request headers in time are closed, while
complete requests are answered as usual."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from server.listener import REQUEST_HEADER_TIMEOUT, make_runner

TIMEOUT = 0.3  # seconds, shortened for the test (production: REQUEST_HEADER_TIMEOUT)
DEADLINE = 10.0  # generous: only a server that never closes fails it


async def hello(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/", hello)
    runner = make_runner(app, header_timeout=TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection before the deadline (EOF or a reset)."""
    try:
        await asyncio.wait_for(reader.read(), DEADLINE)
    except (ConnectionResetError, BrokenPipeError):
        pass
    return reader.at_eof() or reader.exception() is not None


def test_production_waits_seconds_not_an_hour() -> None:
    assert 5 <= REQUEST_HEADER_TIMEOUT <= 30


async def test_connections_with_unfinished_headers_are_closed(port: int) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
    for _reader, writer in connections:
        writer.write(b"GET / HTTP/1.1\r\nHost: kamar\r\nX-Slow: ")
        await writer.drain()
    closed = await asyncio.gather(*(closed_by_server(reader) for reader, _ in connections))
    assert all(closed)
    assert loop.time() - started >= TIMEOUT * 0.9  # closed by the timer, not at once
    for _reader, writer in connections:
        writer.close()


async def test_dribbling_a_byte_at_a_time_does_not_keep_a_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def dribble() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in b"GET / HTTP/1.1\r\nHost: kamar\r\nX-Slow: " + b"a" * 1000:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(TIMEOUT / 10)

    task = asyncio.create_task(dribble())
    try:
        assert await closed_by_server(reader)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        writer.close()


async def test_a_complete_request_is_answered(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: kamar\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), DEADLINE)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    writer.close()
