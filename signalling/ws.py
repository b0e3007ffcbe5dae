"""aiohttp websocket glue: one reader (this handler), one writer task, one Session per socket.

Outgoing messages go through a bounded queue so that a room broadcast never waits on a slow
socket; a client whose queue overflows is too far behind to be useful and is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from signalling.errors import ProtocolError, error_event
from signalling.messages import MAX_MESSAGE_BYTES, encode
from signalling.session import Services, Session

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0  # seconds
HEARTBEAT = 5.0  # websocket ping interval; no pong within half of it closes the socket
OUTBOX_LIMIT = 1024  # queued messages per client before it is considered stuck
SERVICES_KEY = web.AppKey("kamar_services", Services)
_CLOSE = object()


class _Connection:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.outbox: asyncio.Queue[Any] = asyncio.Queue(OUTBOX_LIMIT + 1)
        self.close_reason: str | None = None

    def send(self, event: dict[str, Any] | str) -> None:
        if self.close_reason is not None:
            return
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            log.info("client too slow: %d messages queued; disconnecting", OUTBOX_LIMIT)
            self.close("too_slow")
            return
        self.outbox.put_nowait(event)

    def close(self, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = reason
            self.outbox.put_nowait(_CLOSE)

    async def write_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if item is _CLOSE:
                break
            try:
                await self.ws.send_str(item if isinstance(item, str) else encode(item))
            except (ConnectionError, RuntimeError):
                break
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=WSCloseCode.OK, message=(self.close_reason or "").encode())


async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    connection = _Connection(ws)
    services = request.app[SERVICES_KEY]
    session = Session(services, connection.send, connection.close)
    services.live_sessions.add(session)
    writer = asyncio.create_task(connection.write_loop())

    def hello_overdue() -> None:
        if not session.identified:
            session.fail(ProtocolError("hello_timeout", "no hello or auth within 10 seconds"))

    hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, hello_overdue)
    disconnect_reason = "disconnected"
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await session.handle_text(message.data)
                if session.identified:
                    hello_timer.cancel()
            elif message.type == WSMsgType.BINARY:
                connection.send(
                    error_event(
                        ProtocolError("binary_unsupported", "send JSON in text frames only")
                    )
                )
            elif message.type == WSMsgType.ERROR:
                _report_read_error(ws, connection)
                break
            if connection.close_reason is not None:
                break
    finally:
        hello_timer.cancel()
        if connection.close_reason in ("left", "replaced", "removed", "banned", "ended"):
            disconnect_reason = connection.close_reason
        connection.close(connection.close_reason or "disconnected")
        # aiohttp may cancel this handler when the client goes away; closing the media must
        # finish regardless, or sockets and room state would leak.
        ending = asyncio.ensure_future(session.end(disconnect_reason))
        ending.add_done_callback(lambda _: services.live_sessions.discard(session))
        await asyncio.shield(ending)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(writer, timeout=2.0)
        writer.cancel()
    return ws


def _report_read_error(ws: web.WebSocketResponse, connection: _Connection) -> None:
    exc = ws.exception()
    if ws.close_code == WSCloseCode.MESSAGE_TOO_BIG or "too big" in str(exc).lower():
        # aiohttp has already sent close code 1009; the error frame is best effort.
        connection.send(
            error_event(
                ProtocolError("too_large", f"frames are limited to {MAX_MESSAGE_BYTES} bytes")
            )
        )
        connection.close("too_large")
    else:
        log.debug("websocket read error: %s", exc)
