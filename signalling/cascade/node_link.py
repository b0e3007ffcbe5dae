"""The node link: one websocket from a meeting's home node to another node of the deployment,
carrying the commands of the cascade, sealed like the media (sfu/cascade/link_crypto.py).

Opening it is a handshake of two clear JSON frames, each naming its node, a fresh random salt,
the UDP address its relay socket receives on and the link id it receives with; then each side
derives the link's keys from the deployment secret and both salts. The home's first sealed frame
(`auth`) and the other node's answer (`ready`) prove that both hold the secret: a connection
that cannot seal is closed (4401) before any command or media is taken from it. Everything after
is sealed binary frames, each one JSON command, read in order by one reader and written by one
writer, so a command sent from a synchronous callback never waits on the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from sfu.cascade.link_crypto import Opener, Refused, Sealer, derive, new_salt
from sfu.cascade.media_link import Address, LinkEnd, OnPacket, RelaySocket

log = logging.getLogger(__name__)

VERSION = 1
HANDSHAKE_TIMEOUT = 5.0  # seconds for the other node to answer each handshake step
# A ping after this many seconds without a frame, and the link closes when no pong comes within
# half of it: every socket it carries closes with it, so it must outlast a busy event loop.
LINK_HEARTBEAT = 30.0
NOT_A_NODE = 4401
# One frame between nodes carries one member's frame or one offer, sealed: far below this; the
# cap bounds what something that is not a node can make a node read before it is refused.
MAX_FRAME_BYTES = 4 << 20  # close code: the other side could not prove it is of this deployment
PATH = "/node"
Command = dict[str, Any]


class LinkRefused(Exception):
    """The other side is not a node of this deployment, or broke the handshake."""


@dataclass
class Hello:
    node: str
    salt: bytes
    relay: Address
    link_id: int

    def encode(self, to: str) -> str:
        return json.dumps(
            {
                "type": "link",
                "v": VERSION,
                "node": self.node,
                "to": to,
                "salt": self.salt.hex(),
                "relay": list(self.relay),
                "link_id": self.link_id,
            }
        )

    @classmethod
    def decode(cls, text: str) -> tuple[Hello, str]:
        """The hello and the node it is meant for; LinkRefused when it is not one."""
        try:
            data = json.loads(text)
            host, port = data["relay"]
            hello = cls(str(data["node"]), bytes.fromhex(data["salt"]), (str(host), int(port)),
                        int(data["link_id"]))  # fmt: skip
            if data.get("type") != "link" or data.get("v") != VERSION or len(hello.salt) != 16:
                raise ValueError("not a link hello of this version")
            return hello, str(data.get("to", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise LinkRefused(f"bad hello: {exc}") from exc


class Channel:
    """The sealed command channel of one established link, and its media end."""

    def __init__(
        self,
        ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        mine: Hello,
        theirs: Hello,
        secret: str,
        home: bool,
        on_packet: OnPacket,
    ) -> None:
        self.peer = theirs.node
        self._ws = ws
        home_hello, other_hello = (mine, theirs) if home else (theirs, mine)
        salts = home_hello.salt + other_hello.salt

        def key(purpose: str, sender: Hello, receiver: Hello) -> Any:
            return derive(secret, salts, purpose, sender.node, receiver.node)

        self._sealer = Sealer(key("control", mine, theirs))
        self._opener = Opener(key("control", theirs, mine))
        self.media = LinkEnd(
            mine.link_id,
            theirs.link_id,
            Sealer(key("media", mine, theirs)),
            Opener(key("media", theirs, mine)),
            theirs.relay,
            on_packet,
        )
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def send(self, command: Command) -> None:
        """Queue a command; never waits."""
        self._outbox.put_nowait(self._sealer.seal(json.dumps(command).encode()))

    async def receive(self) -> Command | None:
        """The next command, None when the link closed; a frame that does not open closes it."""
        while True:
            message = await self._ws.receive()
            if message.type != WSMsgType.BINARY:
                return None
            try:
                command = json.loads(self._opener.open(message.data))
            except (Refused, ValueError) as exc:
                log.warning("node link %s: unreadable frame (%s); closing", self.peer, exc)
                return None
            if isinstance(command, dict):
                return command

    def start_writing(self) -> None:
        self._writer = asyncio.create_task(self._write(), name=f"node-link-{self.peer}")

    async def _write(self) -> None:
        while (frame := await self._outbox.get()) is not None:
            try:
                await self._ws.send_bytes(frame)
            except (ConnectionError, RuntimeError):
                return

    async def close(self) -> None:
        self._outbox.put_nowait(None)
        if self._writer is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._writer, 1.0)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._ws.close()


async def dial(
    http: aiohttp.ClientSession,
    node_url: str,
    me: str,
    them: str,
    secret: str,
    relay: RelaySocket,
    on_packet: OnPacket,
) -> Channel:
    """Open a link from this node to node `them` at `node_url`."""
    url = node_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + PATH
    ws = await http.ws_connect(
        url, heartbeat=LINK_HEARTBEAT, timeout=aiohttp.ClientWSTimeout(ws_close=2)
    )
    try:
        mine = Hello(me, new_salt(), relay.address, relay.free_link_id())
        await ws.send_str(mine.encode(to=them))
        message = await asyncio.wait_for(ws.receive(), HANDSHAKE_TIMEOUT)
        if message.type != WSMsgType.TEXT:
            raise LinkRefused(f"node {them} closed the handshake ({message.extra})")
        theirs, to = Hello.decode(message.data)
        if theirs.node != them or to != me:
            raise LinkRefused(f"expected node {them}, reached {theirs.node}")
        channel = Channel(ws, mine, theirs, secret, True, on_packet)
        channel.start_writing()
        channel.send({"t": "auth"})
        ready = await asyncio.wait_for(channel.receive(), HANDSHAKE_TIMEOUT)
        if ready is None or ready.get("t") != "ready":
            raise LinkRefused(f"node {them} did not prove it holds the deployment's secret")
        return channel
    except BaseException:
        await ws.close()
        raise


async def answer(
    ws: web.WebSocketResponse, me: str, secret: str, relay: RelaySocket, on_packet: OnPacket
) -> Channel:
    """Take a link a home node opens to this node; LinkRefused (the socket closed with
    NOT_A_NODE) when it cannot prove it holds the deployment's secret."""
    message = await asyncio.wait_for(ws.receive(), HANDSHAKE_TIMEOUT)
    if message.type != WSMsgType.TEXT:
        raise LinkRefused("no hello")
    try:
        theirs, to = Hello.decode(message.data)
        if to != me:
            raise LinkRefused(f"meant for node {to!r}, this is {me}")
    except LinkRefused:
        await ws.close(code=NOT_A_NODE, message=b"not a node of this deployment")
        raise
    mine = Hello(me, new_salt(), relay.address, relay.free_link_id())
    await ws.send_str(mine.encode(to=theirs.node))
    channel = Channel(ws, mine, theirs, secret, False, on_packet)
    auth = await asyncio.wait_for(channel.receive(), HANDSHAKE_TIMEOUT)
    if auth is None or auth.get("t") != "auth":
        await ws.close(code=NOT_A_NODE, message=b"not a node of this deployment")
        raise LinkRefused(f"{theirs.node} did not prove it holds the deployment's secret")
    channel.start_writing()
    channel.send({"t": "ready"})
    return channel


def ignore_packet(packet: bytes, now: float) -> None:
    """A channel's media handler until its link (home or host side) puts its own in place."""
