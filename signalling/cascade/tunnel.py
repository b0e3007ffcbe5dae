"""Participants' sockets carried between nodes over the sealed node link (docs/cluster.md).

Any node takes a meeting socket. When the meeting's home is another node, the entry node does
not open a websocket of its own to the home: it carries the socket's frames over its node link
to the home (sealed with the deployment's keys, signalling/node_link.py), so what members send
and receive never crosses between machines in clear, the home holds one connection per node
instead of one per participant, and the home knows for certain which node the participant came
in through (the link's other end): its media is served there (the cascade).

`socket` opens a carried socket with the participant's `hello`; `frame` carries one text frame
either way; `socket_close` ends it, from either side, with the session's close reason. On the
home each carried socket is an ordinary session (signalling/session.py) fed one frame at a
time (signalling/cascade/carried.py); on the entry node the client's own connection (its
outbox and slow-client rule) writes what the home sends (`ClientEnd`, here).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from signalling.cascade.node_link import Channel, Command

log = logging.getLogger(__name__)


class ClientEnd:
    """The entry node's side: client sockets whose meeting lives on the link's other end."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._ids = itertools.count(1)
        # tunnel id -> (send a frame to the client, close the client's socket with a reason)
        self._open: dict[int, tuple[Callable[[str], None], Callable[[str], None]]] = {}

    def open(self, hello: str, send: Callable[[str], None], close: Callable[[str], None]) -> int:
        tunnel = next(self._ids)
        self._open[tunnel] = (send, close)
        self._channel.send({"t": "socket", "id": tunnel, "hello": hello})
        return tunnel

    def frame(self, tunnel: int, text: str) -> None:
        """A frame from the client, for the home."""
        if tunnel in self._open:
            self._channel.send({"t": "frame", "id": tunnel, "text": text})

    def closed_by_client(self, tunnel: int) -> None:
        if self._open.pop(tunnel, None) is not None:
            self._channel.send({"t": "socket_close", "id": tunnel, "reason": "disconnected"})

    def handle(self, command: Command) -> bool:
        """A command of the home about a carried socket; False when it is not one."""
        kind = command.get("t")
        if kind not in ("frame", "socket_close"):
            return False
        ends = self._open.get(int(command["id"]))
        if ends is None:
            return True  # the client left meanwhile
        send, close = ends
        if kind == "frame":
            send(str(command["text"]))
        else:
            del self._open[int(command["id"])]
            close(str(command.get("reason") or "disconnected"))
        return True

    def link_closed(self) -> None:
        """The link is gone: every client reconnects (the web client does so by itself)."""
        ends, self._open = list(self._open.values()), {}
        for _send, close in ends:
            close("node_link_lost")
