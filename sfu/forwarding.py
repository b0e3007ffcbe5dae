"""Packet forwarding: one Producer (a track coming in) fans out to Consumers (one per
subscriber, sfu/consumer.py).

Sans-I/O: a Producer is fed decrypted RTP bytes, a Consumer hands rewritten RTP bytes to a
`send` callable. Nothing here awaits, logs or allocates per packet beyond one buffer per
incoming packet: every consumer rewrites the same buffer in place and the output copies it.

Besides the fan-out, a consumer keeps its subscriber's view consistent: key-frame gating at
the start and after a pause or a congested link, NACK repair from the producer's cache
(sfu/retransmit.py), and sender reports in its own RTP clock.

The one exception to sans-I/O is deliberate: consumers that simply forward hand their numbering
to native routes (`routes`, sfu/native.py), and the producer sends for all of them in one C call
per packet, since the per-consumer Python call was most of the SFU's own CPU time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NewType

from sfu import native, red, totals
from sfu.owner import CAMERA
from sfu.reception import Reception
from sfu.retransmit import PacketCache
from sfu.rtp import (
    FIXED_HEADER,
    Vp8Fields,
    audio_level,
    is_vp8_keyframe,
    payload_offset,
    rewrite_extension_ids,
    send_time_stamp,
    vp8_keyframe_size,
)
from sfu.speakers import LOUD, Heard

if TYPE_CHECKING:
    from sfu.consumer import Consumer

ProducerId = NewType("ProducerId", str)
# A longer run of missing packets is an outage or a restart, not loss worth repairing: the
# subscribers' decoders will ask for a key frame instead.
MAX_NACK_GAP = 64

AUDIO = "audio"
VIDEO = "video"
# A layer that carried less than this over a measurement was not sent (paused at the
# publisher; the few packets of its pause or restart): Chromium's lowest layer needs 30 kbit/s.
FLOWING = 10_000  # bit/s


def _smoothed(previous: int, rate: float) -> int:
    return int(rate if not previous else 0.5 * previous + 0.5 * rate)


def _no_fan_out(*_arguments: object) -> None:
    raise RuntimeError("a native route exists, but the native send step was not built")


# fan_out(routes, packet, marker, seq, timestamp, picture id at/bits/value, TL0 at/value)
_fan_out: Callable[..., list[tuple[Any, int]] | None] = (
    native.rtpsend.fan_out if native.rtpsend is not None else _no_fan_out
)
# The same walk as sfu.rtp's, in C where the native step was built (every packet takes it).
# (buf, id_map[, stamp_id, stamp]): sfu.rtp.rewrite_extension_ids.
_rewrite_extension_ids: Callable[..., None] = (
    native.rtpsend.rewrite_extension_ids if native.rtpsend is not None else rewrite_extension_ids
)


class Producer:
    """A track published by one participant, identified by its media SSRC.

    A simulcast track (sfu/simulcast.py) is a Producer with no SSRC of its own whose `layers`
    are one Producer per RTP stream, lowest first; each consumer is fed by one layer at a time
    (`Consumer.layer`). A plain track is its own single layer.
    """

    __slots__ = (
        "id",
        "owner",
        "person",
        "source",
        "kind",
        "ssrc",
        "payload_type",
        "clock_rate",
        "consumers",
        "packets_received",
        "packets_dropped",
        "packets_resent",
        "resend_misses",
        "last_sender_report",
        "last_sender_report_at",
        "audio_level_id",
        "red",
        "closed",
        "silenced",
        "reception",
        "_cache",
        "_request_resend",
        "_loud_total",
        "_loud_packets",
        "_level_packets",
        "_extension_map",
        "_send_time_id",
        "_keyframe_waiters",
        "_request_keyframe",
        "layers",
        "rid",
        "switching",
        "vp8",
        "size",
        "last_arrival",
        "routes",
        "octets_received",
        "bitrate",
        "bitrate_when_sent",
        "_measured",
        "_keyframe",
    )

    def __init__(
        self,
        producer_id: ProducerId,
        owner: str,
        kind: str,
        ssrc: int,
        payload_type: int,
        clock_rate: int,
        extension_map: bytes | None,
        request_keyframe: Callable[[], None],
        request_resend: Callable[[list[int]], None] | None = None,
        *,
        person: str = "",
        source: str = CAMERA,
        send_time_id: int = 0,
    ) -> None:
        """`request_resend` asks the publisher for video packets that never arrived (NACK).
        `owner` names the publisher in maps (sfu/owner.py): `person` and `source` say who and
        what it is (`person` defaults to `owner`, a camera's). `send_time_id`: the subscribers'
        id of the abs-send-time element the packets carry (0: none), stamped with the time the
        SFU forwards each packet (sfu/rtp.py says why)."""
        self.id = producer_id
        self.owner = owner
        self.person = person or owner
        self.source = source
        self.kind = kind
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.clock_rate = clock_rate
        self.consumers: list[Consumer] = []
        # Native routes of this stream's consumers that forward from C (sfu/consumer.py).
        self.routes: list[Any] = []
        self.packets_received = 0
        self.packets_dropped = 0
        self.packets_resent = 0
        self.resend_misses = 0  # NACKed packets no longer (or never) in the cache
        self.last_sender_report: tuple[int, int] | None = None  # (NTP, RTP) of the latest SR
        self.last_sender_report_at = 0.0  # when it arrived (monotonic seconds)
        # The publisher's id of the RFC 6464 audio-level extension (0: none negotiated).
        self.audio_level_id = 0
        # Audio that arrives as RED (RFC 2198, sfu/red.py): `payload_type` is red's then.
        self.red = False
        self._loud_total = 0  # sum of 127 - level over loud packets only
        self._loud_packets = 0
        self._level_packets = 0  # packets that carried a level at all
        self.closed = False
        # A moderator muted this track: it is received (statistics, receiver reports) but
        # neither cached nor forwarded until its owner turns it back on.
        self.silenced = False
        # Only video is repaired: receivers do not NACK Opus, which has its own concealment.
        self._cache = PacketCache() if kind == VIDEO else None
        self.reception = Reception(clock_rate)  # for the receiver reports the publisher gets
        self._request_resend = request_resend
        if send_time_id and extension_map is None:
            extension_map = bytes(range(256))  # ids already the subscribers': stamp only
        self._extension_map = extension_map
        self._send_time_id = send_time_id
        self._keyframe_waiters = 0
        self._request_keyframe = request_keyframe
        self.layers: list[Producer] = [self]
        self.rid = ""  # RFC 8852 RtpStreamId of a simulcast layer
        self.switching: list[Consumer] = []  # consumers moving here at this layer's key frame
        self.vp8: Vp8Fields | None = None  # a simulcast layer reads each packet's numbering
        self.size: tuple[int, int] | None = None  # (width, height) of the last key frame seen
        self.last_arrival = 0.0  # when the latest packet arrived (seconds, steady clock)
        self.octets_received = 0
        self.bitrate = 0  # bit/s over the last measurement (`measure`)
        self.bitrate_when_sent = 0  # the same, over measurements while it flowed (`measure`)
        self._measured: tuple[float, int] | None = None
        self._keyframe = False  # whether the packet `_admit` last admitted starts a key frame

    def add_layers(self, layers: list[Producer]) -> None:
        """Make this a simulcast track fed by `layers` (lowest resolution first)."""
        self.layers = layers
        for layer in layers:
            layer.vp8 = Vp8Fields()

    @property
    def simulcast(self) -> bool:
        return self.layers[0] is not self

    def measure(self, now: float) -> None:
        """Update `bitrate` from the bytes received since the last call (once a second), and
        `bitrate_when_sent` from those calls while the layer flowed.

        Why both: a simulcast layer nobody watches is paused at the publisher, and its
        `bitrate` falls to nothing; what a subscriber's step up to it will cost is what it
        carried while it was sent. Counted at its paused rate, a restart looked free and the
        SFU sent 650 kbit/s into a 500 kbit/s link (the field benchmark's trace)."""
        if self._measured is not None:
            then, octets = self._measured
            if now > then:
                rate = (self.octets_received - octets) * 8 / (now - then)
                # Smoothed: a key frame is 10-20x a delta frame and would flip choices.
                self.bitrate = _smoothed(self.bitrate, rate)
                if rate >= FLOWING:
                    self.bitrate_when_sent = _smoothed(self.bitrate_when_sent, rate)
        self._measured = (now, self.octets_received)

    def receive(self, data: bytes, arrival: float | None = None) -> None:
        """Forward one decrypted RTP packet of this producer's SSRC to every consumer.
        `arrival` (seconds, steady clock) feeds the jitter of the receiver reports.

        Four steps, whatever the endpoint the packet came from: admit it (`_admit`), count it
        for the receiver reports, keep it for repairs or hear its loudness (`_keep`, `_hear`),
        and fan it out (`_fan_out_packet`)."""
        buf = self._admit(data, arrival)
        if buf is None:
            self.packets_dropped += 1
            return
        keyframe = self._keyframe
        self.packets_received += 1
        self.octets_received += len(data)
        if arrival is not None:
            self.last_arrival = arrival
        _first, second, seq, timestamp, _ssrc = FIXED_HEADER.unpack_from(buf)
        highest = self.reception.highest  # before this packet
        self.reception.add(seq, timestamp, arrival)
        if self.silenced:
            return
        if self._cache is not None:
            if not self._keep(data, buf, second, seq, timestamp, highest):
                return
        elif self.audio_level_id:
            self._hear(data)
        self._fan_out_packet(buf, second & 0x80, seq, timestamp, keyframe)

    def _admit(self, data: bytes, arrival: float | None) -> bytearray | None:
        """The packet as this producer's consumers forward it (extension ids and RED block
        numbering rewritten, a layer's VP8 numbering read), or None when it is not forwarded:
        RTX (RFC 4588) or another payload type, or malformed. Sets `_keyframe`."""
        if len(data) < 12 or data[1] & 0x7F != self.payload_type:
            return None
        buf = bytearray(data)
        vp8 = self.vp8
        try:
            if self._extension_map is not None:
                self._rewrite_extensions(buf, time.monotonic() if arrival is None else arrival)
            if self.red and not red.renumber(buf, red.SUBSCRIBER_OPUS_PT):
                raise ValueError("not RED")
            if vp8 is not None:  # a simulcast layer: its consumers renumber pictures
                offset = payload_offset(buf)
                vp8.read(buf, offset)
                self._keyframe = is_vp8_keyframe(buf, offset)
                if self._keyframe:
                    self.size = vp8_keyframe_size(buf, offset) or self.size
            else:
                self._keyframe = self._keyframe_waiters > 0 and is_vp8_keyframe(
                    buf, payload_offset(buf)
                )
        except ValueError:  # malformed: dropped, not received
            return None
        return buf

    def _rewrite_extensions(self, buf: bytearray, now: float) -> None:
        """The subscribers' extension ids, and the time it leaves in abs-send-time."""
        if self._send_time_id:
            stamp = send_time_stamp(now)
            _rewrite_extension_ids(buf, self._extension_map, self._send_time_id, stamp)
        else:
            _rewrite_extension_ids(buf, self._extension_map)

    def _keep(
        self, data: bytes, buf: bytearray, second: int, seq: int, timestamp: int, highest: int
    ) -> bool:
        """Cache a video packet for repairs and ask for what its sequence number says is
        missing. False for a repair or a reordered packet, which fills its gap in every
        consumer's stream here and moves no one's numbering."""
        assert self._cache is not None
        self._cache.put(seq, data)
        gap = (seq - highest - 1) & 0xFFFF
        if highest < 0 or gap < 0x8000:  # newer than the highest so far
            if 0 < gap <= MAX_NACK_GAP and highest >= 0:
                self._ask_for(highest + 1, gap)
            return True
        for consumer in self.consumers:
            consumer.forward_late(buf, second & 0x80, seq, timestamp)
        return False

    def _hear(self, data: bytes) -> None:
        """An audio packet's RFC 6464 level, summed for speaker detection (sfu/speakers.py)."""
        level = audio_level(data, self.audio_level_id)
        if level is not None:
            self._level_packets += 1
            loudness = 127 - (level & 0x7F)
            if loudness >= LOUD:
                self._loud_total += loudness
                self._loud_packets += 1

    def _fan_out_packet(
        self, buf: bytearray, marker: int, seq: int, timestamp: int, keyframe: bool
    ) -> None:
        """To every consumer: those forwarding from Python one by one, the native routes in
        one C call; then the consumers moving to this layer at its key frame."""
        routes = self.routes
        routed = len(routes)
        if routed < len(self.consumers):  # else every consumer has a route
            for consumer in self.consumers:
                if consumer.route is None:
                    consumer.forward(buf, marker, seq, timestamp, keyframe)
        if routed:
            if len(routes) != routed:  # consumers that just took a route sent this one already
                routes = routes[:routed]
            # Every route rewrites all the fields the consumers above rewrote in `buf`.
            vp8 = self.vp8
            if vp8 is None:
                failed = _fan_out(routes, buf, marker, seq, timestamp, 0, 0, 0, 0, 0)
            else:
                failed = _fan_out(
                    routes, buf, marker, seq, timestamp, vp8.picture_id_at,
                    vp8.picture_id_bits, vp8.picture_id, vp8.tl0_at, vp8.tl0,
                )  # fmt: skip
            if failed is not None:
                for route, code in failed:
                    route.owner.route_failed(code)
        if keyframe and self.switching:
            for consumer in list(self.switching):
                consumer.switch_here(buf, marker, seq, timestamp)

    def _ask_for(self, first: int, count: int) -> None:
        """Packets `first`.. (`count` of them) were skipped: the publisher's link lost them on
        the way here, and every subscriber would miss them, so ask once (RFC 4585 6.2.1)."""
        if self._request_resend is not None:
            self._request_resend([(first + i) & 0xFFFF for i in range(count)])

    def take_loudness(self) -> Heard:
        """What this audio track carried since the last call, for speaker detection."""
        heard = Heard(self._loud_total, self._loud_packets, self._level_packets)
        self._loud_total = self._loud_packets = self._level_packets = 0
        return heard

    def sender_report(self, ssrc: int, ntp: int, rtp: int, now: float) -> None:
        """The publisher's RTCP SR, received at `now`: its NTP wall clock at RTP time `rtp`
        (RFC 3550 6.4.1). Our receiver reports echo it back (LSR/DLSR)."""
        if ssrc != self.ssrc:
            for layer in self.layers:
                if layer is not self and layer.ssrc == ssrc:
                    layer.sender_report(ssrc, ntp, rtp, now)
            return
        self.reception.sender_report(ntp, now)
        self.last_sender_report = (ntp, rtp)
        self.last_sender_report_at = now
        for consumer in self.consumers:
            consumer.sender_report(ntp, rtp, now)

    def resend(self, consumer: Consumer, seq: int) -> None:
        """Send the cached packet `seq` (producer numbering) to `consumer` once more."""
        packet = self._cache.get(seq) if self._cache is not None else None
        if packet is None:
            self.resend_misses += 1
            return
        buf = bytearray(packet)
        if self._extension_map is not None:  # validated when first received
            self._rewrite_extensions(buf, time.monotonic())
        _first, second, seq, timestamp, _ssrc = FIXED_HEADER.unpack_from(buf)
        self.packets_resent += 1
        fields = None
        if self.vp8 is not None:
            fields = Vp8Fields()
            fields.read(buf, payload_offset(buf))
        consumer.resend(buf, second & 0x80, seq, timestamp, fields)

    def add_consumer(self, consumer: Consumer) -> None:
        if consumer.layer is not self:  # a simulcast track: one of its layers feeds it
            self.consumers.append(consumer)
            consumer.layer.add_consumer(consumer)
            return
        self.consumers.append(consumer)
        if consumer.waiting_for_keyframe:
            self._keyframe_waiters += 1
            self._request_keyframe()

    def remove_consumer(self, consumer: Consumer) -> None:
        if consumer.layer is not self:
            if consumer in self.consumers:
                self.consumers.remove(consumer)
                consumer.layer.remove_consumer(consumer)
            return
        if consumer in self.consumers:
            self.consumers.remove(consumer)
            if consumer.waiting_for_keyframe:
                self._keyframe_waiters -= 1

    def keyframe_seen(self) -> None:
        self._keyframe_waiters -= 1

    def wait_for_keyframe(self) -> None:
        """A consumer waits (again) for a key frame: look for one, and ask the publisher."""
        self._keyframe_waiters += 1
        self._request_keyframe()

    def request_keyframe(self) -> None:
        if self.kind == VIDEO and not self.closed:
            self._request_keyframe()

    def close(self) -> None:
        """Idempotent; consumers are closed with their producer."""
        if self.closed:
            return
        self.closed = True
        totals.CLOSED.received_packets += self.packets_received
        totals.CLOSED.received_octets += self.octets_received
        for consumer in list(self.consumers):
            consumer.close()
        for layer in self.layers:
            if layer is not self:
                layer.close()
