"""The home node's side of a track crossing to another node: one consumer per RTP stream.

A track crosses to a node once, whatever the number of that node's subscribers. Each of its
streams (a plain track's one, or every simulcast layer, so the other node chooses layers for
its own subscribers as the home does for its) is sent by an ordinary `Consumer` with an SSRC of
its own: key-frame gating, repairs from the producer's cache and sender reports work as for a
browser, and nothing new sits on the forwarding path. The other node's key-frame requests and
NACKs come back over the link as RTCP (RFC 4585) and reach the consumer they name.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from sfu.consumer import Consumer
from sfu.forwarding import Producer
from sfu.rtcp_feedback import KeyframeRequest, Nack, Remb, parse_feedback
from sfu.sender_reports import StreamReport, extrapolated, sender_report

from .media_link import LinkEnd


@dataclass(frozen=True)
class StreamInfo:
    """What the other node needs to know of one stream to receive it."""

    ssrc: int
    rid: str


class TrackExport:
    """One producer sent over one link: a consumer per stream."""

    def __init__(self, producer: Producer, link: LinkEnd, taken: Container[int]) -> None:
        """`taken`: SSRCs other tracks send on over this link already."""
        self.producer = producer
        self._link = link
        self.consumers: dict[int, Consumer] = {}  # by the SSRC it sends on
        self.streams: list[StreamInfo] = []
        layers = producer.layers if producer.simulcast else [producer]
        for layer in layers:
            ssrc = _new_ssrc(taken, self.consumers)
            consumer = Consumer(
                layer,
                ssrc,
                layer.payload_type,
                link.send,
                report=functools.partial(self._report, ssrc),
            )
            self.consumers[ssrc] = consumer
            self.streams.append(StreamInfo(ssrc, layer.rid))
            layer.add_consumer(consumer)  # a video consumer asks its layer for a key frame

    def describe(self) -> dict[str, Any]:
        """The track as the other node creates it (signalling/node_link.py sends this)."""
        producer = self.producer
        return {
            "id": producer.id,
            "owner": producer.owner,
            "person": producer.person,
            "source": producer.source,
            "kind": producer.kind,
            "payload_type": producer.layers[0].payload_type,
            "clock_rate": producer.clock_rate,
            "red": producer.red,
            "streams": [{"ssrc": s.ssrc, "rid": s.rid} for s in self.streams],
        }

    def feedback(self, requests: list[Any], now: float) -> None:
        """The other node's RTCP about this track's streams."""
        for request in requests:
            consumer = self.consumers.get(request.ssrc)
            if consumer is None:
                continue
            if isinstance(request, Nack):
                consumer.nack(request.lost, now)
            elif isinstance(request, KeyframeRequest):
                consumer.request_keyframe()

    def want(self, wanted: list[bool]) -> None:
        """Only these layers have someone on the other node: the others stop crossing (and
        count as unwatched here, so the publisher may stop sending them)."""
        for consumer, on in zip(self.consumers.values(), wanted, strict=False):
            if on:
                consumer.resume()
            else:
                consumer.pause()

    def _report(self, ssrc: int, ntp: int, rtp: int, at: float) -> None:
        """Sent on at once, but a consumer's first report repeats its layer's latest, which
        may be seconds old: moved on to now (sfu/sender_reports.py)."""
        consumer = self.consumers.get(ssrc)
        if consumer is None:
            return
        elapsed = time.monotonic() - at
        ntp, rtp = extrapolated(ntp, rtp, elapsed, consumer.producer.clock_rate)
        self._link.send(
            sender_report(StreamReport(ssrc, ntp, rtp, consumer.packets_sent, consumer.octets_sent))
        )

    def close(self) -> None:
        for consumer in self.consumers.values():
            consumer.close()
        self.consumers.clear()


class Exports:
    """Every track sent over one link, shared by the link's remote subscribers: a track
    crosses once and stops crossing when the last of them drops it."""

    def __init__(self, link: LinkEnd) -> None:
        self.link = link
        self._tracks: dict[str, TrackExport] = {}
        self._users: dict[str, set[str]] = {}  # producer id -> subscribers taking it
        self._by_ssrc: dict[int, TrackExport] = {}

    def take(self, producer: Producer, subscriber: str) -> TrackExport | None:
        """`subscriber` takes `producer`; the export when it starts crossing now."""
        users = self._users.setdefault(producer.id, set())
        users.add(subscriber)
        if producer.id in self._tracks:
            return None
        export = self._tracks[producer.id] = TrackExport(producer, self.link, self._by_ssrc)
        for ssrc in export.consumers:
            self._by_ssrc[ssrc] = export
        return export

    def drop(self, producer_id: str, subscriber: str) -> bool:
        """`subscriber` no longer takes it; True when the track stopped crossing."""
        users = self._users.get(producer_id)
        if users is None:
            return False
        users.discard(subscriber)
        if users:
            return False
        del self._users[producer_id]
        export = self._tracks.pop(producer_id, None)
        if export is None:
            return False
        for ssrc in export.consumers:
            self._by_ssrc.pop(ssrc, None)
        export.close()
        return True

    def want(self, producer_id: str, wanted: list[bool]) -> None:
        export = self._tracks.get(producer_id)
        if export is not None:
            export.want(wanted)

    def on_rtcp(self, packet: bytes, now: float) -> None:
        """Key-frame requests and NACKs from the other node, each to its stream's export."""
        for request in parse_feedback(packet):
            if isinstance(request, Remb):
                continue
            export = self._by_ssrc.get(request.ssrc)
            if export is not None:
                export.feedback([request], now)

    @property
    def tracks(self) -> int:
        return len(self._tracks)

    def close(self) -> None:
        for export in self._tracks.values():
            export.close()
        self._tracks.clear()
        self._users.clear()
        self._by_ssrc.clear()


def _new_ssrc(*taken: Container[int]) -> int:
    while True:
        ssrc = secrets.randbits(32)
        if ssrc and not any(ssrc in t for t in taken):
            return ssrc
