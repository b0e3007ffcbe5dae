"""The other node's side of a track that crosses from its home: producers fed by the link.

Each imported track is an ordinary Producer (simulcast layers and all) whose packets come from
the link instead of a browser, so this node's subscribers receive it through the same fan-out,
layer choice, key-frame gating and repairs as anything published here. What a producer would
ask of its publisher goes back over the link: key-frame requests (RFC 4585 PLI, coalesced as
for a browser, sfu/keyframes.py) and NACKs for packets lost on the way between the nodes (RFC
4585 6.2.1), which the home repairs from its cache. Lip sync survives the hop: the home's
sender reports (RFC 3550 6.4.1) arrive here and feed the producers as a publisher's would.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.keyframes import KeyframeRequestLimiter
from sfu.layer_demand import wanted_layers
from sfu.peer import ABS_SEND_TIME_URI, subscriber_extension_ids
from sfu.rtcp_feedback import FMT_NACK, FMT_PLI, PSFB, RTPFB, SR
from sfu.rtp import FIXED_HEADER, is_rtcp

_FEEDBACK = struct.Struct("!BBHII")  # V=2 FMT | PT | length | sender SSRC | media SSRC
_NACK_ITEM = struct.Struct("!HH")
_SR_INFO = struct.Struct("!IQI")  # SSRC | NTP | RTP (RFC 3550 6.4.1)
KEYFRAME_INTERVAL = 0.2  # seconds between two key-frame requests for one stream over the link
MEASURE_INTERVAL = 1.0  # seconds between two bitrate measurements of the imported layers


def pli(media_ssrc: int) -> bytes:
    """A Picture Loss Indication for `media_ssrc` (RFC 4585 6.3.1)."""
    return _FEEDBACK.pack(0x80 | FMT_PLI, PSFB, 2, 0, media_ssrc)


def nack(media_ssrc: int, lost: list[int]) -> bytes:
    """A Generic NACK for the sequence numbers `lost` (RFC 4585 6.2.1): each item names one
    packet and a bitmask of the 16 after it."""
    items: list[tuple[int, int]] = []
    for seq in sorted({s & 0xFFFF for s in lost}, key=lambda s: (s - lost[0]) & 0xFFFF):
        if items and 0 < (seq - items[-1][0]) & 0xFFFF <= 16:
            first, mask = items[-1]
            items[-1] = (first, mask | 1 << (((seq - first) & 0xFFFF) - 1))
        else:
            items.append((seq, 0))
    header = _FEEDBACK.pack(0x80 | FMT_NACK, RTPFB, 2 + len(items), 0, media_ssrc)
    return header + b"".join(_NACK_ITEM.pack(*item) for item in items)


class ImportedTrack:
    """One track from the home, as producers on this node."""

    def __init__(self, description: dict[str, Any], send: Callable[[bytes], object]) -> None:
        kind = description["kind"]
        if kind not in (AUDIO, VIDEO):
            raise ValueError(f"unknown kind {kind!r}")
        self._send = send
        self._limiters: dict[int, KeyframeRequestLimiter] = {}
        self._pending: set[int] = set()
        streams = description["streams"]
        self.layers = [self._stream(description, s["ssrc"], s["rid"]) for s in streams]
        if len(self.layers) == 1 and not self.layers[0].rid:
            self.producer = self.layers[0]
        else:  # simulcast: a track with no SSRC of its own over its layers, lowest first
            self.producer = self._stream(description, 0, "")
            self.producer.add_layers(self.layers)
        self.producer.red = bool(description.get("red"))
        self.by_ssrc = {layer.ssrc: layer for layer in self.layers}
        self._told = [True] * len(self.layers)  # every layer crosses until told otherwise

    def _stream(self, description: dict[str, Any], ssrc: int, rid: str) -> Producer:
        track_id = description["id"]
        producer = Producer(
            ProducerId(f"{track_id}/{rid}" if rid else track_id),
            owner=description["owner"],
            kind=description["kind"],
            ssrc=ssrc,
            payload_type=int(description["payload_type"]),
            clock_rate=int(description["clock_rate"]),
            extension_map=None,  # the home already wrote the subscribers' extension ids
            # ...and its send times, which must be this node's (sfu/rtp.py says why)
            send_time_id=subscriber_extension_ids(description["kind"]).get(ABS_SEND_TIME_URI, 0),
            request_keyframe=lambda: self._ask_keyframe(ssrc),
            request_resend=lambda lost: self._resend(ssrc, lost),
            person=description["person"],
            source=description["source"],
        )
        producer.rid = rid
        return producer

    def _resend(self, ssrc: int, lost: list[int]) -> None:
        self._send(nack(ssrc, lost))

    def _ask_keyframe(self, ssrc: int) -> None:
        if not ssrc:  # the simulcast track itself: every layer
            for layer in self.layers:
                self._ask_keyframe(layer.ssrc)
            return
        loop = asyncio.get_running_loop()
        limiter = self._limiters.setdefault(ssrc, KeyframeRequestLimiter(KEYFRAME_INTERVAL))
        delay = limiter.request(loop.time())
        if delay == 0.0:
            self._send(pli(ssrc))
        elif delay is not None:
            loop.call_later(delay, self._deferred_keyframe, ssrc, limiter)

    def _deferred_keyframe(self, ssrc: int, limiter: KeyframeRequestLimiter) -> None:
        limiter.deferred_due(asyncio.get_running_loop().time())
        if not self.producer.closed:
            self._send(pli(ssrc))

    def wanted_changes(self) -> list[bool] | None:
        """Which layers this node's subscribers want now (sfu/layer_demand.py), when that
        changed since the last call: the home stops sending the others across, and the
        publisher stops encoding a layer nobody on any node wants."""
        if not self.producer.simulcast:
            return None
        wanted = wanted_layers(self.producer)
        if wanted == self._told:
            return None
        self._told = wanted
        return wanted

    def close(self) -> None:
        self.producer.close()


class Imports:
    """Every track imported over one link, found by the SSRC its packets carry."""

    def __init__(self) -> None:
        self.tracks: dict[str, ImportedTrack] = {}
        self._by_ssrc: dict[int, Producer] = {}
        self.unknown = 0  # packets of no track (before its description, or after its end)

    def add(self, track: ImportedTrack, track_id: str) -> None:
        self.remove(track_id)
        self.tracks[track_id] = track
        self._by_ssrc.update(track.by_ssrc)

    def remove(self, track_id: str) -> None:
        track = self.tracks.pop(track_id, None)
        if track is None:
            return
        for ssrc in track.by_ssrc:
            self._by_ssrc.pop(ssrc, None)
        track.close()

    def on_packet(self, packet: bytes, arrival: float) -> None:
        """An RTP packet or the home's RTCP (sender reports) from the link."""
        if len(packet) < FIXED_HEADER.size:
            return
        if is_rtcp(packet):
            self._on_rtcp(packet, arrival)
            return
        producer = self._by_ssrc.get(int.from_bytes(packet[8:12], "big"))
        if producer is None:
            self.unknown += 1
            return
        producer.receive(packet, arrival)

    def _on_rtcp(self, packet: bytes, arrival: float) -> None:
        position = 0
        while position + 4 <= len(packet):
            length = int.from_bytes(packet[position + 2 : position + 4], "big")
            end = position + 4 * (length + 1)
            if end > len(packet):
                return
            if packet[position + 1] == SR and end - position >= 4 + _SR_INFO.size:
                ssrc, ntp, rtp = _SR_INFO.unpack_from(packet, position + 4)
                layer = self._by_ssrc.get(ssrc)
                if layer is not None:
                    layer.sender_report(ssrc, ntp, rtp, arrival)
            position = end

    def measure(self, now: float) -> None:
        """Each imported stream's bitrate, for this node's choice of simulcast layers."""
        for producer in self._by_ssrc.values():
            producer.measure(now)

    def close(self) -> None:
        for track_id in list(self.tracks):
            self.remove(track_id)
