"""A participant's socket relayed to the node that hosts its meeting (docs/cluster.md).

Any node accepts a meeting socket. When the meeting lives on another node, this node opens a
websocket to that node, sends it the participant's `hello` as it came, and then copies frames
both ways until either side closes, passing the close on. The hosting node checks the token
and runs the session as for any socket; media does not pass here: ICE goes straight to the
hosting node's addresses, which its `publish_answer` and `subscribe_offer` carry.

Load balancers and browsers see one address for the whole deployment, so nothing in the web
client knows about nodes, and the page's Content Security Policy stays `connect-src 'self'`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to reach the hosting node


class NodeRefused(Exception):
    """The hosting node's port refused the connection: its process is not running."""


async def relay(
    client: web.WebSocketResponse,
    node_url: str,
    hello: str,
    headers: dict[str, str] | None = None,
) -> str:
    """Copy `client` to and from `node_url`'s websocket, `hello` first; returns why it ended.
    Raises NodeRefused after telling the client `wrong_node`, when the node is not running.
    `headers` go to the hosting node (which node the socket came through: the cascade)."""
    url = node_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/ws"
    timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        try:
            upstream = await http.ws_connect(
                url, heartbeat=None, max_msg_size=0, headers=headers or {}
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("relay: node %s unreachable: %s", node_url, exc)
            await client.send_str(
                '{"type":"error","code":"wrong_node",'
                '"message":"the node of this meeting cannot be reached; connect again"}'
            )
            if isinstance(getattr(exc, "os_error", None), ConnectionRefusedError):
                raise NodeRefused(node_url) from exc
            return "node unreachable"
        async with upstream:
            await upstream.send_str(hello)
            down = asyncio.create_task(_copy(upstream, client), name="relay-down")
            up = asyncio.create_task(_copy(client, upstream), name="relay-up")
            done, pending = await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            code, reason = (done.pop()).result()
            for side in (client, upstream):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await side.close(code=code, message=reason)
            return f"closed ({code} {reason.decode(errors='replace')})"


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    target: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> tuple[int, bytes]:
    """Text frames from `source` to `target` until `source` ends; its close code and reason
    (the session's close reasons, such as `replaced`, tell the web client what happened)."""
    while True:
        message = await source.receive()
        if message.type == WSMsgType.TEXT:
            try:
                await target.send_str(message.data)
            except (ConnectionError, RuntimeError):
                return aiohttp.WSCloseCode.GOING_AWAY, b"relay"
        elif message.type == WSMsgType.CLOSE:
            return int(message.data), str(message.extra or "").encode()
        elif message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return aiohttp.WSCloseCode.GOING_AWAY, b"disconnected"
        # Binary frames are not part of the protocol: the hosting node would refuse them.
