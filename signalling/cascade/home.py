"""The home end of the cascade: remote subscribers of this node's meetings.

A participant whose socket came in through another node (carried here over that node's link,
signalling/cascade/tunnel.py) has its session here, on the meeting's home, and its subscribe
connection there, on that node's own ports: the fan-out to it is that node's work. Here it is
a `RemoteSubscriber`, which the meeting's media router treats like any subscriber and which
passes everything on over the node link; the tracks it takes cross to that node once, however
many of its subscribers take them (sfu/cascade/). The same link carries that node's sockets
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from rooms.meeting.registry import NodeId
from sfu.cascade.media_link import RelaySocket
from sfu.cascade.track_export import Exports
from sfu.forwarding import Producer
from sfu.receiving import OnVideoOff
from sfu.subscriber import SendOffer
from signalling.cascade.node_link import Channel, Command, LinkRefused, dial, ignore_packet
from signalling.cascade.tunnel import ClientEnd

log = logging.getLogger(__name__)

LINK_TIMEOUT = 3.0  # seconds to open a link before the participant receives here instead
# A node's URL, None when it is not known to be alive (Placement.address).
AddressOf = Callable[[NodeId], Awaitable[str | None]]


class HomeLink:
    """One open link from this node to another, with the subscribers and tracks on it."""

    def __init__(self, channel: Channel, relay: RelaySocket, on_closed: Callable[[], None]):
        self.channel = channel
        self.exports = Exports(channel.media)
        # Client sockets of this node carried to the other node, their meetings' home.
        self.clients = ClientEnd(channel)
        self.subscribers: dict[str, RemoteSubscriber] = {}
        self.producers: dict[str, Producer] = {}  # what crosses, by id, for video_off
        self._relay = relay
        self._on_closed = on_closed
        self._speakers: dict[int, tuple[list[str], list[str]]] = {}
        self.closed = False
        relay.add(channel.media)
        channel.media.on_packet = lambda packet, now: self.exports.on_rtcp(packet, now)
        self._reader = asyncio.create_task(self._read(), name=f"home-link-{channel.peer}")

    async def _read(self) -> None:
        try:
            while (command := await self.channel.receive()) is not None:
                try:
                    self._handle(command)
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("node link %s: bad command %r: %s", self.channel.peer,
                                command.get("t"), exc)  # fmt: skip
        finally:
            await self.close()

    def _handle(self, command: Command) -> None:
        if self.clients.handle(command):
            return
        if command.get("t") == "layers":
            wanted = command.get("wanted")
            if isinstance(wanted, list):
                self.exports.want(str(command.get("track")), [bool(on) for on in wanted])
            return
        subscriber = self.subscribers.get(str(command.get("sub")))
        if subscriber is None:
            return  # closed here meanwhile
        kind = command.get("t")
        if kind == "offer":
            subscriber.send_offer(command["sdp"], int(command["revision"]), command["tracks"])
        elif kind == "failed":
            subscriber.fail()
        elif kind == "video_off":
            producer = self.producers.get(str(command.get("track")))
            if producer is not None and subscriber.on_video_off is not None:
                subscriber.on_video_off(producer, bool(command.get("off")))

    def follow_speakers(self, owner: str, speakers: list[str]) -> None:
        """Coalesced: one command per distinct list per loop turn, for all who follow it
        (the room hands every subscriber the same list object)."""
        if not self._speakers:
            asyncio.get_running_loop().call_soon(self._send_speakers)
        self._speakers.setdefault(id(speakers), (speakers, []))[1].append(owner)

    def _send_speakers(self) -> None:
        pending, self._speakers = self._speakers, {}
        for speakers, owners in pending.values():
            self.channel.send({"t": "speakers", "subs": owners, "speakers": speakers})

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._on_closed()
        self.clients.link_closed()
        for subscriber in list(self.subscribers.values()):
            subscriber.fail()
        self.exports.close()
        self._relay.remove(self.channel.media)
        await self.channel.close()
        if asyncio.current_task() is not self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class RemoteSubscriber:
    """A participant's subscribe connection on another node, as this meeting's media router
    sees it."""

    def __init__(
        self,
        link: HomeLink,
        owner: str,
        send_offer: SendOffer,
        on_failed: Callable[[], None],
        on_video_off: OnVideoOff | None,
    ) -> None:
        self.owner = owner
        self.send_offer = send_offer
        self.on_video_off = on_video_off
        self._on_failed = on_failed
        self._link = link
        self._taken: set[str] = set()
        self._closed = False
        self._failed = False
        link.subscribers[owner] = self
        self._send({"t": "open"})

    def _send(self, command: Command) -> None:
        if not self._closed and not self._link.closed:
            command["sub"] = self.owner
            self._link.channel.send(command)

    def accepts(self, producer: Producer) -> bool:
        """Everyone's media but this participant's own, as for a subscriber here."""
        return producer.person != self.owner

    def add_producer(self, producer: Producer) -> None:
        if self._closed or self._link.closed:
            return
        export = self._link.exports.take(producer, self.owner)
        if export is not None:  # its first subscriber there: it starts crossing
            self._link.producers[producer.id] = producer
            self._link.channel.send({"t": "track", "track": export.describe()})
        self._taken.add(producer.id)
        self._send({"t": "add", "track": producer.id})

    def remove_producer(self, producer: Producer) -> None:
        if producer.id not in self._taken:
            return
        self._taken.discard(producer.id)
        self._send({"t": "remove", "track": producer.id})
        self._drop(producer.id)

    def _drop(self, producer_id: str) -> None:
        if self._link.exports.drop(producer_id, self.owner):
            self._link.producers.pop(producer_id, None)
            if not self._link.closed:
                self._link.channel.send({"t": "track_end", "id": producer_id})

    def follow_speakers(self, speakers: list[str]) -> None:
        if not self._closed and not self._link.closed:
            self._link.follow_speakers(self.owner, speakers)

    def handle_answer(self, answer: str, revision: int) -> None:
        self._send({"t": "answer", "sdp": answer, "revision": revision})

    def set_video_paused(self, owner: str, paused: bool) -> None:
        self._send({"t": "paused", "owner": owner, "paused": paused})

    def set_video_size(self, owner: str, width: int, height: int) -> None:
        self._send({"t": "size", "owner": owner, "width": width, "height": height})

    def hear_speakers_only(self, on: bool, speakers: list[str]) -> None:
        self._send({"t": "speakers_only", "on": on, "speakers": speakers})

    def fail(self) -> None:
        """The other node lost it, or the link went: the session tells its client, which
        connects again."""
        if not self._closed and not self._failed:
            self._failed = True
            self._on_failed()

    async def close(self) -> None:
        if self._closed:
            return
        self._send({"t": "close"})
        self._closed = True
        for producer_id in list(self._taken):
            self._drop(producer_id)
        self._taken.clear()
        if self._link.subscribers.get(self.owner) is self:
            del self._link.subscribers[self.owner]


class Cascade:
    """This node's links to the other nodes, opened when a participant first needs one."""

    def __init__(self, node: str, secret: str, relay: RelaySocket, address_of: AddressOf):
        self.node = node
        self.relay = relay
        self._secret = secret
        self._address_of = address_of
        self._links: dict[str, HomeLink] = {}
        self._opening: dict[str, asyncio.Task[HomeLink | None]] = {}
        self._refused: set[str] = set()  # nodes whose port refused the last try
        self._http: aiohttp.ClientSession | None = None

    async def link(self, node: str) -> HomeLink | None:
        """The open link to `node`, opened now if need be; None when it cannot be (the
        participant then receives on this node, as without a cascade)."""
        link = self._links.get(node)
        if link is not None and not link.closed:
            return link
        task = self._opening.get(node)
        if task is None:
            task = self._opening[node] = asyncio.create_task(self._open(node))
            task.add_done_callback(lambda _: self._opening.pop(node, None))
        return await asyncio.shield(task)

    async def _open(self, node: str) -> HomeLink | None:
        url = await self._address_of(NodeId(node))
        if url is None:
            return None
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            channel = await asyncio.wait_for(
                dial(self._http, url, self.node, node, self._secret, self.relay, ignore_packet),
                LINK_TIMEOUT,
            )
        except (LinkRefused, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("cascade: no link to node %s at %s: %s", node, url, exc)
            cause = getattr(exc, "os_error", exc)
            if isinstance(cause, ConnectionRefusedError):
                self._refused.add(node)
            return None
        self._refused.discard(node)
        link = HomeLink(channel, self.relay, lambda: self._forget(node))
        self._links[node] = link
        log.info("cascade: link to node %s open", node)
        return link

    def refused(self, node: str) -> bool:
        """Whether the last try to link to `node` found its port closed: it is not running."""
        return node in self._refused

    def _forget(self, node: str) -> None:
        log.info("cascade: link to node %s closed", node)
        self._links.pop(node, None)

    @property
    def links(self) -> list[HomeLink]:
        return list(self._links.values())

    async def close(self) -> None:
        for link in list(self._links.values()):
            await link.close()
        if self._http is not None:
            await self._http.close()
