"""The other end of the cascade: this node receives media for participants of meetings whose
home is another node, on its own ports, from tracks that cross once (sfu/cascade/).

Each link another node opens (`PATH` on this node, signalling/node_link.py) carries that node's
participants' sockets when their meeting lives here (signalling/cascade/tunnel.py), and, when
this node is where a meeting's participants came in, brings the home's commands: a track
crosses (`track`, `track_end`), a subscriber opens, takes or drops a track, answers its offer,
pauses or sizes a video, follows the speakers, closes. The subscribers are this node's ordinary
subscribe connections (signalling/peers.py), fed by the imported tracks; their offers, failures
and stopped videos go back to the home, which tells the participant through its session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from sfu.cascade.media_link import RelaySocket
from sfu.cascade.track_import import MEASURE_INTERVAL, ImportedTrack, Imports
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.forwarding import Producer
from signalling.cascade.carried import HomeEnd
from signalling.cascade.node_link import (
    LINK_HEARTBEAT,
    MAX_FRAME_BYTES,
    Channel,
    Command,
    LinkRefused,
    answer,
    ignore_packet,
)
from signalling.events import encoded
from signalling.peers import PeerFactory, SubscribeEndpoint
from signalling.services import Services

log = logging.getLogger(__name__)


class HostedLink:
    """One home's link to this node, with the subscribers it opened here."""

    def __init__(
        self, channel: Channel, relay: RelaySocket, peers: PeerFactory, carried: HomeEnd
    ) -> None:
        self.channel = channel
        self.carried = carried  # sockets the other node carries here (this node is the home)
        self.imports = Imports()
        self.subscribers: dict[str, SubscribeEndpoint] = {}
        self._peers = peers
        self._relay = relay
        relay.add(channel.media)
        channel.media.on_packet = self.imports.on_packet
        self._measuring: asyncio.TimerHandle | None = None
        self._measure()

    def _measure(self) -> None:
        """Once a second: the imported layers' bitrates, and which layers are wanted here."""
        loop = asyncio.get_running_loop()
        self.imports.measure(loop.time())
        for track_id, track in self.imports.tracks.items():
            wanted = track.wanted_changes()
            if wanted is not None:
                self.channel.send({"t": "layers", "track": track_id, "wanted": wanted})
        self._measuring = loop.call_later(MEASURE_INTERVAL, self._measure)

    async def serve(self) -> None:
        try:
            while (command := await self.channel.receive()) is not None:
                try:
                    await self._handle(command)
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("node link %s: bad command %r: %s", self.channel.peer,
                                command.get("t"), exc)  # fmt: skip
        finally:
            await self.close()

    async def _handle(self, command: Command) -> None:
        if self.carried.handle(command):
            return
        kind = command["t"]
        if kind == "track":
            description = command["track"]
            self.imports.add(ImportedTrack(description, self.channel.media.send),
                             str(description["id"]))  # fmt: skip
            return
        if kind == "track_end":
            self.imports.remove(str(command["id"]))
            return
        owner = str(command["sub"])
        if kind == "open":
            self._open(owner)
            return
        if kind == "speakers":
            for listed in command["subs"]:
                subscriber = self.subscribers.get(str(listed))
                if subscriber is not None:
                    subscriber.follow_speakers(list(command["speakers"]))
            return
        subscriber = self.subscribers.get(owner)
        if subscriber is None:
            return
        if kind == "close":
            del self.subscribers[owner]
            await subscriber.close()
        else:
            self._steer(subscriber, kind, command)

    def _steer(self, subscriber: SubscribeEndpoint, kind: str, command: Command) -> None:
        if kind in ("add", "remove"):
            track = self.imports.tracks.get(str(command["track"]))
            if track is not None:
                change = subscriber.add_producer if kind == "add" else subscriber.remove_producer
                change(track.producer)
        elif kind == "answer":
            try:
                subscriber.handle_answer(str(command["sdp"]), int(command["revision"]))
            except (NegotiationError, NegotiationStateError) as exc:
                # The participant's answer was wrong or late: its offer stays outstanding,
                # and the subscriber gives up (`failed`) if no good answer comes.
                log.info("remote subscriber %s: answer refused: %s", subscriber.owner, exc)
        elif kind == "paused":
            subscriber.set_video_paused(str(command["owner"]), bool(command["paused"]))
        elif kind == "size":
            subscriber.set_video_size(
                str(command["owner"]), int(command["width"]), int(command["height"])
            )
        elif kind == "speakers_only":
            subscriber.hear_speakers_only(bool(command["on"]), list(command["speakers"]))

    def _open(self, owner: str) -> None:
        if owner in self.subscribers:
            return
        send = self.channel.send

        def send_offer(sdp: str, revision: int, tracks: dict[str, Any]) -> None:
            send({"t": "offer", "sub": owner, "sdp": sdp, "revision": revision, "tracks": tracks})

        def video_off(producer: Producer, off: bool) -> None:
            send({"t": "video_off", "sub": owner, "track": producer.id, "off": off})

        self.subscribers[owner] = self._peers.subscriber(
            owner, send_offer, lambda: send({"t": "failed", "sub": owner}), video_off
        )

    async def close(self) -> None:
        if self._measuring is not None:
            self._measuring.cancel()
            self._measuring = None
        subscribers, self.subscribers = list(self.subscribers.values()), {}
        for subscriber in subscribers:
            await subscriber.close()
        await self.carried.close()
        self.imports.close()
        self._relay.remove(self.channel.media)
        await self.channel.close()


class MediaHost:
    """Takes the links homes open to this node (the `/node` route)."""

    def __init__(self, services: Services, relay: RelaySocket) -> None:
        self.node = services.registry.node
        self.relay = relay
        self._services = services
        self.links: set[HostedLink] = set()
        self.refused = 0  # connections that could not prove they are nodes of this deployment

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=LINK_HEARTBEAT, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        try:
            channel = await answer(ws, self.node, self._services.secret, self.relay, ignore_packet)
        except (LinkRefused, TimeoutError) as exc:
            self.refused += 1
            log.warning("node link from %s refused: %s", request.remote, exc)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close()
            return ws
        carried = HomeEnd(channel, self._services, encoded)
        link = HostedLink(channel, self.relay, self._services.peers, carried)
        self.links.add(link)
        log.info("node link from node %s open", channel.peer)
        try:
            await link.serve()
        finally:
            self.links.discard(link)
            log.info("node link from node %s closed", channel.peer)
        return ws

    async def close(self) -> None:
        for link in list(self.links):
            await link.close()
