"""The connection a participant publishes its own audio and video on. The client offers; the
SFU answers once and turns each negotiated track into a Producer."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from sfu import ice_demux, packet_output, peer, red, rtp, sdp
from sfu.arrival_reports import ArrivalReporter
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.keyframes import KeyframeRequestLimiter
from sfu.layer_demand import LayerDemand
from sfu.media_failure import FailureWatch
from sfu.owner import owner_key
from sfu.publish_offer import section_by_mid, validate_publish_offer
from sfu.publisher_feedback import PublisherFeedback
from sfu.rtp import build_id_map

log = logging.getLogger(__name__)
_producer_numbers = itertools.count(1)
_MAX_IGNORED_SSRCS = 64


class PublisherPeer(PublisherFeedback):
    def __init__(
        self,
        person: str,
        source: str,
        settings: peer.PeerSettings,
        on_failed: Callable[[], None],
        on_layers: Callable[[list[str]], None] | None = None,
    ) -> None:
        """`on_layers(rids)`: the simulcast layers the browser should keep sending changed
        (sfu/layer_demand.py)."""
        self.person = person
        self.source = source
        self.owner = owner_key(person, source)
        self._on_layers = on_layers
        self._layer_demand: dict[ProducerId, LayerDemand] = {}
        self.producers: list[Producer] = []
        self._settings = settings
        self._pc = settings.new_connection()
        self._by_ssrc: dict[int, Producer] = {}
        self._ignored_ssrcs: set[int] = set()
        # RTX SSRC -> (the producer it repairs, RTX payload type), from the offer's FID groups.
        self._by_rtx_ssrc: dict[int, tuple[Producer, int]] = {}
        # Simulcast (RFC 8853): the layers by rid, told apart by the RFC 8852 rid extension
        # on their first packets, never by payload type (all layers share it).
        self._layer_by_rid: dict[str, Producer] = {}
        self._rid_id = 0  # the publisher's ids of the rid and repaired-rid extensions
        self._repaired_rid_id = 0
        self._simulcast_pts: tuple[int, int] = (-1, -1)  # (media, RTX) payload types
        self._deferred_plis: dict[int, set[Producer]] = {}  # id(limiter) -> streams waiting
        self._by_receiver: dict[int, Producer] = {}
        self._receiver_of: dict[ProducerId, Any] = {}
        self._transport: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False
        self._reporter: asyncio.Future[None] | None = None
        self._uplink = peer.BandwidthEstimator()
        self._abs_send_time_id = 0  # the publisher's id for abs-send-time on video, 0: none
        # Transport-wide congestion control (sfu/transport_feedback.py): when negotiated, the
        # browser estimates its uplink from our arrival reports and REMB only caps it.
        self._arrival_reports = ArrivalReporter(self._send_feedback)
        self._ingress: Any = None  # the native ingress (sfu/_ingress.c), where it was built
        self._rtcp_out: packet_output.PacketOutput | None = None
        self._failure = FailureWatch(f"publish {self.owner}", on_failed)
        self.dropped: ice_demux.DroppedDatagrams | None = None  # the door's counters
        self._pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        state = self._pc.connectionState
        if not self._closed:
            self._failure.state_changed(state)
        if state == "connected" and self._reporter is None and not self._closed:
            self._reporter = asyncio.ensure_future(self._report_periodically())

    async def accept_offer(self, offer: str) -> str:
        """Negotiate the client's offer and return the answer SDP. NegotiationError if unusable;
        then nothing has changed and the client may try again."""
        if self.producers or self._pc.remoteDescription is not None:
            raise NegotiationStateError("the publish connection is already negotiated")
        sections = validate_publish_offer(offer)
        try:
            return await self._negotiate(offer, sections)
        except NegotiationError:
            raise
        except Exception as exc:
            # Whatever aiortc raised on this offer (its parser has more ways to fail than
            # ValueError), the offer is what was wrong: nothing was kept, the client may retry.
            log.warning("publish offer of %s could not be negotiated", self.owner, exc_info=True)
            raise NegotiationError(f"the offer could not be negotiated: {exc!r}") from exc

    async def _negotiate(self, offer: str, sections: list[sdp.MediaSection]) -> str:
        await self._pc.setRemoteDescription(
            peer.description(sdp.drop_mdns_candidates(offer), "offer")
        )
        for transceiver in self._pc.getTransceivers():
            peer.prefer_codecs(transceiver)
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        answer = sdp.answer_simulcast(sections, self._pc.localDescription.sdp)
        answer = sdp.answer_transport_cc(sections, answer)
        answer = sdp.answer_opus(sections, answer, self._settings.max_audio_bitrate)
        answer = red.answer_red(sections, answer)
        answered = sdp.parse(answer)
        transceivers = self._pc.getTransceivers()
        for transceiver in transceivers:
            self._add_producer(
                transceiver,
                section_by_mid(sections, transceiver.mid),
                section_by_mid(answered, transceiver.mid),
            )
        if transceivers:  # BUNDLE: one transport carries every track
            self._receive_on(transceivers[0].receiver.transport)
        return sdp.announce_addresses(answer, self._settings.announce)

    def _add_producer(
        self, transceiver: Any, offered: sdp.MediaSection, answered: sdp.MediaSection
    ) -> None:
        kind = transceiver.kind
        codec = answered.codec(peer.CODEC_OF_KIND[kind])
        if codec is None:
            raise NegotiationError(f"the {kind} track must offer {peer.CODEC_OF_KIND[kind]}")
        # The MID value names the publisher's m-line, which means nothing to a subscriber.
        extension_map = build_id_map(
            answered.extensions,
            peer.subscriber_extension_ids(kind),
            drop=frozenset({peer.MID_URI, sdp.RID_URI, sdp.REPAIRED_RID_URI}),
        )
        producer_id = ProducerId(f"{self.owner}/{kind}/{next(_producer_numbers)}")
        carried = answered.codec(red.RED) if kind == AUDIO else None
        if carried is not None:  # RED is listed first: every Opus packet comes inside it
            codec = sdp.Codec(carried.payload_type, red.RED, codec.clock_rate)
        producer = self._new_stream(
            producer_id, kind, offered.media_ssrc or 0, codec, extension_map
        )
        producer.red = carried is not None
        rtx = next(
            (c for c in answered.codecs if c.name == "rtx" and c.apt == codec.payload_type), None
        )
        receiver = transceiver.receiver
        if offered.simulcast_send:
            self._add_layers(producer, offered.simulcast_send, answered, receiver, extension_map)
        producer.audio_level_id = answered.extensions.get(peer.AUDIO_LEVEL_URI, 0)
        if kind == VIDEO:
            transport_cc_id = answered.extensions.get(sdp.TRANSPORT_CC_URI, 0)
            self._arrival_reports.extension_id = transport_cc_id
            if not transport_cc_id:  # else the browser's own estimate needs no help
                self._abs_send_time_id = answered.extensions.get(peer.ABS_SEND_TIME_URI, 0)
        peer.hook_sender_reports(receiver, functools.partial(self._on_sender_report, producer))
        self.producers.append(producer)
        self._receiver_of[producer.id] = receiver
        self._by_receiver[id(receiver)] = producer
        if offered.media_ssrc is not None and not producer.simulcast:
            self._by_ssrc[offered.media_ssrc] = producer
        for media_ssrc, rtx_ssrc in offered.fid_groups:
            if rtx is not None and media_ssrc == offered.media_ssrc and not producer.simulcast:
                self._by_rtx_ssrc[rtx_ssrc] = (producer, rtx.payload_type)
            else:
                self._ignored_ssrcs.add(rtx_ssrc)

    def _receive_on(self, transport: Any) -> None:
        """Take the decrypted RTP of the transport, natively where the step was built."""
        self._transport = transport
        peer.hook_rtp_in(transport, self._on_rtp)
        reports = self._arrival_reports
        ingress = peer.receive_rtp_natively(transport, self._on_rtp_now, reports.on_noted)
        if ingress is not None:
            reports.use_ingress(ingress)
            self._ingress = ingress
        else:
            peer.receive_rtp_directly(transport, self._on_rtp_noted)
        peer.contain_rtcp_in(transport)
        self.dropped = ice_demux.media_before_stun(transport)

    def _add_layers(
        self,
        producer: Producer,
        rids: list[str],
        answered: sdp.MediaSection,
        receiver: Any,
        extension_map: bytes,
    ) -> None:
        """Make `producer` a simulcast track with one layer per rid, in the offer's order
        (Chromium lists its encodings as added: the web client adds the lowest first)."""
        codec = answered.codec(peer.CODEC_OF_KIND[producer.kind])
        assert codec is not None
        rtx = next(
            (c for c in answered.codecs if c.name == "rtx" and c.apt == codec.payload_type), None
        )
        layers = []
        limiter = KeyframeRequestLimiter()
        for rid in rids:
            layer = self._new_stream(
                ProducerId(f"{producer.id}/{rid}"), producer.kind, 0, codec, extension_map, limiter
            )
            layer.rid = rid
            layers.append(layer)
            self._layer_by_rid[rid] = layer
            self._receiver_of[layer.id] = receiver
        producer.add_layers(layers)
        self._rid_id = answered.extensions.get(sdp.RID_URI, 0)
        self._repaired_rid_id = answered.extensions.get(sdp.REPAIRED_RID_URI, 0)
        self._simulcast_pts = (codec.payload_type, rtx.payload_type if rtx else -1)

    def _new_stream(
        self,
        producer_id: ProducerId,
        kind: str,
        ssrc: int,
        codec: sdp.Codec,
        extension_map: bytes,
        shared_limiter: KeyframeRequestLimiter | None = None,
    ) -> Producer:
        """A Producer for one RTP stream: a track, or one simulcast layer of it."""
        # One limiter per track, shared by its layers: libwebrtc answers a request for any
        # layer with a key frame on every layer, and ignores requests closer than 300 ms.
        limiter = shared_limiter or KeyframeRequestLimiter()
        producer: Producer = Producer(
            producer_id,
            owner=self.owner,
            person=self.person,
            source=self.source,
            kind=kind,
            ssrc=ssrc,
            payload_type=codec.payload_type,
            clock_rate=codec.clock_rate,
            extension_map=extension_map,
            send_time_id=_send_time_id(kind),
            request_keyframe=lambda: self._request_keyframe(producer, limiter),
            request_resend=lambda lost: self._send_nack(producer, lost),
        )
        return producer

    @staticmethod
    def _on_sender_report(producer: Producer, ssrc: int, ntp: int, rtp_time: int) -> None:
        producer.sender_report(ssrc, ntp, rtp_time, asyncio.get_running_loop().time())

    async def _on_rtp(self, data: bytes, arrival_time_ms: int) -> None:
        """Replaces aiortc's receive pipeline (parse, jitter buffer, decoder) for this peer;
        only reached by RTP that the direct paths did not take."""
        self._on_rtp_noted(data)

    def _on_rtp_noted(self, data: bytes) -> None:
        """The Python receive path: note the arrival for the transport-wide feedback (the
        native ingress notes its own), then take the packet."""
        if self._arrival_reports.extension_id:
            self._arrival_reports.note(data, int.from_bytes(data[8:12], "big"))
        self._on_rtp_now(data)

    def _on_rtp_now(self, data: bytes) -> None:
        ssrc = int.from_bytes(data[8:12], "big")
        producer = self._by_ssrc.get(ssrc)
        if producer is None:
            repair = self._by_rtx_ssrc.get(ssrc)
            if repair is not None:
                self._on_rtx(data, *repair)
                return
            producer = self._learn_ssrc(data)
            if producer is None:
                return
        now = time.monotonic()
        if self._abs_send_time_id and producer.kind == VIDEO:
            stamp = rtp.abs_send_time(data, self._abs_send_time_id)
            if stamp is not None:
                self._uplink.add(int(now * 1000), stamp, len(data), ssrc)
        elif self._ingress is not None and not self._closed:
            # Nothing more to do here for this SSRC: its next packets go from C to the stream.
            self._ingress.receivers[ssrc] = producer.receive
        producer.receive(data, now)

    @staticmethod
    def _on_rtx(data: bytes, producer: Producer, rtx_payload_type: int) -> None:
        """A retransmission the SFU asked for (RFC 4588): forward the packet inside it."""
        if data[1] & 0x7F != rtx_payload_type:
            return
        original = rtp.unwrap_rtx(data, producer.payload_type, producer.ssrc)
        if original is not None:  # None: a padding-only bandwidth probe
            producer.receive(original, time.monotonic())

    def _learn_ssrc(self, data: bytes) -> Producer | None:
        """An SSRC the offer did not list: let aiortc's RtpRouter match it by MID or payload type,
        once, then remember the answer either way."""
        if len(data) < 12:
            return None
        ssrc = int.from_bytes(data[8:12], "big")
        if ssrc in self._ignored_ssrcs:
            return None
        if data[1] & 0x7F in self._simulcast_pts:
            return self._learn_layer(data, ssrc)
        match = peer.match_receiver(self._transport, data)
        producer = self._by_receiver.get(id(match[0])) if match else None
        if producer is None or match is None or match[1] != producer.payload_type:
            if len(self._ignored_ssrcs) < _MAX_IGNORED_SSRCS:
                self._ignored_ssrcs.add(ssrc)
            return None
        producer.ssrc = ssrc
        self._by_ssrc[ssrc] = producer
        return producer

    def _learn_layer(self, data: bytes, ssrc: int) -> Producer | None:
        """A simulcast layer's new SSRC, named by its rid extension (RFC 8852); its RTX by
        the repaired-rid one. Packets without it are dropped, not remembered: the sender
        repeats the rid until it has a receiver report for the SSRC."""
        media_pt, rtx_pt = self._simulcast_pts
        if data[1] & 0x7F == media_pt:
            layer = self._layer_by_rid.get(rtp.rtp_stream_id(data, self._rid_id) or "")
            if layer is None or layer.ssrc:
                return None
            layer.ssrc = ssrc
            self._by_ssrc[ssrc] = layer
            peer.route_rtcp_from(self._transport, ssrc, self._receiver_of[layer.id])
            return layer
        repaired = self._layer_by_rid.get(rtp.rtp_stream_id(data, self._repaired_rid_id) or "")
        if repaired is not None and self._repaired_rid_id:
            self._by_rtx_ssrc[ssrc] = (repaired, rtx_pt)
            self._on_rtx(data, repaired, rtx_pt)
        return None

    async def close(self) -> None:
        """Idempotent; closes this participant's producers and so their consumers."""
        if self._closed:
            return
        self._closed = True
        self._failure.stop()
        ice_demux.log_dropped(f"publish {self.owner}", self.dropped)
        if self._reporter is not None:
            self._reporter.cancel()
        self._arrival_reports.close()
        if self._ingress is not None:
            self._ingress.receivers.clear()
        for producer in self.producers:
            producer.close()
        await peer.close_connection(self._pc)


def _send_time_id(kind: str) -> int:
    """The subscribers' abs-send-time id for `kind`, which the SFU stamps (0: not offered)."""
    return peer.subscriber_extension_ids(kind).get(peer.ABS_SEND_TIME_URI, 0)
