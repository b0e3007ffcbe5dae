"""The home's side of carried sockets (signalling/cascade/tunnel.py): a session for each
participant's socket that another node carries here over its link, fed one frame at a time
like a websocket's, its events and close sent back over the link."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from signalling.cascade.node_link import Channel, Command
from signalling.errors import TELLING_REASONS, ProtocolError
from signalling.services import Services
from signalling.session import Session

log = logging.getLogger(__name__)


class HomeEnd:
    """The home's side: a session for each socket the other node carries here."""

    def __init__(self, channel: Channel, services: Services, encode: Callable[[Any], str | None]):
        self._channel = channel
        self._services = services
        self._encode = encode
        self._sockets: dict[int, CarriedSocket] = {}

    def handle(self, command: Command) -> bool:
        """A command about a carried socket; False when it is not one."""
        kind = command.get("t")
        if kind not in ("socket", "frame", "socket_close"):
            return False
        tunnel = int(command["id"])
        if kind == "socket":
            if tunnel not in self._sockets:
                carried = CarriedSocket(self, tunnel)
                self._sockets[tunnel] = carried
                carried.take(str(command["hello"]))
            return True
        existing = self._sockets.get(tunnel)
        if existing is None:
            return True
        if kind == "frame":
            existing.take(str(command["text"]))
        else:
            existing.client_left()
        return True

    @property
    def sockets(self) -> int:
        return len(self._sockets)

    def forget(self, tunnel: int) -> None:
        self._sockets.pop(tunnel, None)

    async def close(self) -> None:
        """The link is gone: every carried session ends as if its socket dropped."""
        sockets, self._sockets = list(self._sockets.values()), {}
        for carried in sockets:
            carried.client_left()
        await asyncio.gather(*(c.finished for c in sockets), return_exceptions=True)


class CarriedSocket:
    """One participant's socket carried from the other node: its session, fed in order."""

    def __init__(self, home: HomeEnd, tunnel: int) -> None:
        self._home = home
        self._tunnel = tunnel
        services = home._services
        self.session = Session(services, self._send, self._close)
        # It came in through the node at the link's other end: its media is served there.
        self.session.joining.came_through = home._channel.peer
        services.live_sessions.add(self.session)
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.close_reason: str | None = None
        self.finished = asyncio.create_task(self._run(), name=f"carried-{tunnel}")

    def take(self, text: str) -> None:
        if self.close_reason is None:
            self._inbox.put_nowait(text)

    def client_left(self) -> None:
        self._inbox.put_nowait(None)

    def _send(self, event: Any) -> None:
        if self.close_reason is not None:
            return
        text = self._home._encode(event)
        if text is not None:
            self._home._channel.send({"t": "frame", "id": self._tunnel, "text": text})

    def _close(self, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = reason
            self._home._channel.send({"t": "socket_close", "id": self._tunnel, "reason": reason})
            self._inbox.put_nowait(None)

    async def _run(self) -> None:
        session = self.session
        try:
            while (text := await self._inbox.get()) is not None:
                await session.handle_text(text)
                if session.joining.carry_to is not None:  # moved meanwhile: never carried twice
                    session.fail(ProtocolError("wrong_node", "the meeting moved; connect again"))
        finally:
            reason = self.close_reason if self.close_reason in TELLING_REASONS else None
            self._close(self.close_reason or "disconnected")
            await asyncio.shield(session.end(reason or "disconnected"))
            self._home._services.live_sessions.discard(session)
            self._home.forget(self._tunnel)
