"""aiohttp websocket glue: one reader (this handler), one writer task, one Session per socket.

Outgoing messages go through a bounded queue so that a room broadcast never waits on a slow
socket; a client whose queue overflows is too far behind to be useful and is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from aiohttp import WSCloseCode, WSMsgType, web

from rooms.text import surrogates_replaced
from signalling.errors import TELLING_REASONS, ProtocolError, error_event
from signalling.events import ServerEvent, encoded
from signalling.messages import MAX_MESSAGE_BYTES
from signalling.outbox import Outbox
from signalling.services import Services
from signalling.session import Session

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0  # seconds
# Websocket ping after this many seconds without a frame from the client; no pong within half
# of it closes the socket. A congested mobile uplink queues 1-3 s (measured behind an emulated
# 300 ms link), and after a 5 s outage TCP's retransmission backoff delivered a pong more than
# 10 s after its ping (the field benchmark: the socket closed, the participant rejoined and
# its video was back after 9 s instead of 1), so the pong gets 20 s. A participant with media
# whose peer died is noticed sooner by ICE consent (RFC 7675, 30 s). The community feed pings
# every 25 s besides (web/app/feed.js).
HEARTBEAT = 40.0
OUTBOX_LIMIT = 1024  # queued messages per client before it is considered stuck
SERVICES_KEY = web.AppKey("kamar_services", Services)
_CLOSE = object()


class _Connection:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.outbox = Outbox(OUTBOX_LIMIT)
        self.close_reason: str | None = None

    def send(self, event: ServerEvent | str) -> None:
        if self.close_reason is not None:
            return
        if not self.outbox.put(event):
            log.info("client too slow: %d messages queued; disconnecting", OUTBOX_LIMIT)
            self.close("too_slow")

    def close(self, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = reason
            self.outbox.put_last(_CLOSE)

    async def write_loop(self) -> None:
        """Send until closed. One event that cannot be sent is logged and skipped; if this
        loop ends for any reason, the socket closes, so the client reconnects rather than
        waiting on a connection that went silent."""
        try:
            while True:
                item = await self.outbox.get()
                if item is _CLOSE:
                    break
                text = encoded(cast("ServerEvent | str", item))  # not _CLOSE: checked above
                if text is not None and not await self._send_text(text):
                    break
        except Exception:
            log.exception("websocket writer failed; closing the connection")
            self.close_reason = self.close_reason or "internal"
        finally:
            self.close_reason = self.close_reason or "disconnected"  # nothing more is queued
            with contextlib.suppress(ConnectionError, RuntimeError):
                reason = self.close_reason.encode()
                await self.ws.close(code=WSCloseCode.OK, message=reason)

    async def _send_text(self, text: str) -> bool:
        """False when the socket is gone."""
        try:
            await self.ws.send_str(text)
        except UnicodeEncodeError:
            # A lone surrogate got past the parser (messages.py refuses them) into an event:
            # send it with the bad characters replaced rather than not at all, since it may
            # be a welcome or someone's leaving. aiohttp encodes before writing anything.
            log.warning("an event held text with no UTF-8 form; sent with it replaced")
            try:
                await self.ws.send_str(surrogates_replaced(text))
            except (ConnectionError, RuntimeError):
                return False
        except (ConnectionError, RuntimeError):
            return False
        return True


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

    loop = asyncio.get_running_loop()
    hello_deadline = loop.time() + HELLO_TIMEOUT
    hello_timer = loop.call_at(hello_deadline, hello_overdue)
    disconnect_reason = "disconnected"
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                # A hello or auth waiting its turn (a reconnect storm queues them, feed.py) is
                # not a silent socket: the clock stops while a frame is handled.
                hello_timer.cancel()
                await session.handle_text(message.data)
                if session.joining.carry_to is not None:  # the meeting is on another node
                    await _carry(services, session, ws, connection, message.data)
                    break
                if not session.identified:
                    hello_timer = loop.call_at(max(hello_deadline, loop.time()), hello_overdue)
            elif _not_text(ws, connection, message.type):
                break
            if connection.close_reason is not None:
                break
    finally:
        hello_timer.cancel()
        log.info("websocket of %s closed: %s", session.label, _why_closed(ws, connection))
        if connection.close_reason in TELLING_REASONS:
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


async def _carry(
    services: Services,
    session: Session,
    ws: web.WebSocketResponse,
    connection: _Connection,
    hello: str,
) -> None:
    """The meeting lives on another node: carry this socket there over the node link (sealed,
    signalling/cascade/tunnel.py), `hello` first, until either side closes. What the home sends
    goes out through this socket's own connection (its outbox and slow-client rule)."""
    node = session.joining.carry_node
    assert node is not None
    cascade = services.cascade
    link = await cascade.link(node) if cascade is not None else None
    if link is None:
        connection.send(
            error_event(
                ProtocolError(
                    "wrong_node", "the node of this meeting cannot be reached; connect again"
                )
            )
        )
        connection.close("wrong_node")
        if cascade is not None and cascade.refused(node):
            # Its process is gone: the client's next hello (it reconnects on wrong_node) finds
            # the meeting placed anew instead of waiting for the node's heartbeat to expire.
            await services.placement.gone(node)
        return
    tunnel = link.clients.open(hello, connection.send, connection.close)
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                link.clients.frame(tunnel, message.data)
            elif _not_text(ws, connection, message.type):
                break
            if connection.close_reason is not None:
                break
    finally:
        link.clients.closed_by_client(tunnel)
        log.info("socket carried to node %s ended", node)


def _not_text(ws: web.WebSocketResponse, connection: _Connection, kind: WSMsgType) -> bool:
    """A frame that is not text: a binary one is answered with an error, a read error ends
    the socket (True: stop reading)."""
    if kind == WSMsgType.BINARY:
        refused = ProtocolError("binary_unsupported", "send JSON in text frames only")
        connection.send(error_event(refused))
    elif kind == WSMsgType.ERROR:
        _report_read_error(ws, connection)
        return True
    return False


def _why_closed(ws: web.WebSocketResponse, connection: _Connection) -> str:
    """The reason a socket ends, for the log: ours when we closed it, else what the client's
    close frame or the transport said (a missing pong, a reset connection)."""
    if connection.close_reason is not None:
        return f"by the server ({connection.close_reason})"
    exc = ws.exception()
    if exc is not None:
        return f"connection lost ({type(exc).__name__}: {exc})"
    if ws.close_code is not None:
        return f"by the client (close code {ws.close_code})"
    return "connection lost (no close frame)"


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
