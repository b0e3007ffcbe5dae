"""How a session gets its media connections: a factory handed in through `Services`, so the
session never builds peers itself. The server passes `WebRtcPeers` (the SFU's aiortc peers,
with the process's ICE and bitrate settings); a test or another kind of endpoint passes its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sfu.forwarding import Producer
from sfu.peer import PeerSettings
from sfu.publisher import PublisherPeer
from sfu.receiving import OnVideoOff
from sfu.subscriber import SendOffer, SubscriberPeer

OnLayers = Callable[[list[str]], None]


class SubscribeEndpoint(Protocol):
    """What a session's media handlers and its meeting's media router use of a subscribe
    connection: an `SubscriberPeer` here, or a remote one on the node the participant came in
    through (signalling/cascade/home.py)."""

    owner: str

    def accepts(self, producer: Producer) -> bool: ...

    def add_producer(self, producer: Producer) -> None: ...

    def remove_producer(self, producer: Producer) -> None: ...

    def follow_speakers(self, speakers: list[str]) -> None: ...

    def handle_answer(self, answer: str, revision: int) -> None: ...

    def set_video_paused(self, owner: str, paused: bool) -> None: ...

    def set_video_size(self, owner: str, width: int, height: int) -> None: ...

    def hear_speakers_only(self, on: bool, speakers: list[str]) -> None: ...

    async def close(self) -> None: ...


SubscriberFactory = Callable[[str, SendOffer, Callable[[], None], OnVideoOff], SubscribeEndpoint]


class PeerFactory(Protocol):
    def publisher(
        self, person: str, source: str, on_failed: Callable[[], None], on_layers: OnLayers
    ) -> PublisherPeer:
        """A publish connection for participant `person`'s `source` (sfu/owner.py);
        `on_layers(rids)`: the simulcast layers someone receives changed."""
        ...

    def subscriber(
        self,
        participant_id: str,
        send_offer: SendOffer,
        on_failed: Callable[[], None],
        on_video_off: OnVideoOff,
    ) -> SubscribeEndpoint:
        """The subscribe connection of a participant; the server offers on it.
        `on_video_off(producer, off)`: its downlink cannot carry that video, or can again."""
        ...


@dataclass(frozen=True)
class WebRtcPeers:
    settings: PeerSettings

    def publisher(
        self, person: str, source: str, on_failed: Callable[[], None], on_layers: OnLayers
    ) -> PublisherPeer:
        return PublisherPeer(person, source, self.settings, on_failed, on_layers)

    def subscriber(
        self,
        participant_id: str,
        send_offer: SendOffer,
        on_failed: Callable[[], None],
        on_video_off: OnVideoOff,
    ) -> SubscriberPeer:
        return SubscriberPeer(participant_id, self.settings, send_offer, on_failed, on_video_off)
