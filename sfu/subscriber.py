"""The connection a participant receives everyone else's media on. The SFU offers and
renegotiates whenever the set of producers changes; the client only ever answers.

A transceiver ("slot") whose producer has gone is set inactive and, once the client has
answered that, reused for the next producer of the same kind, so the SDP does not grow with
every join and leave. The consumer on a reused slot continues the slot's sequence numbers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from sfu import ice_demux, packet_output, peer, red, sdp, sender_reports, simulcast
from sfu.consumer import Consumer
from sfu.downlink import OUTAGE_GAP, Downlink, SentMeter
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.forwarding import AUDIO, Producer, ProducerId
from sfu.media_failure import FailureWatch
from sfu.router import CAMERA, person_of, source_of
from sfu.rtcp_feedback import LossReport, Nack, Remb, parse_feedback
from sfu.sdp_checks import count_m_lines, description_problem
from sfu.subscriber_slot import Slot
from sfu.ticks import on_tick

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 20.0  # seconds a client has to answer a subscribe offer
DATA_SAVER_VOICES = 1  # voices a data saver hears at once: the loudest speaker's
LAYER_INTERVAL = 1.0  # seconds between two looks at the simulcast layers, REMB or not
TrackMap = dict[str, dict[str, str]]
SendOffer = Callable[[str, int, TrackMap], None]
# Told when the downlink stops (True) or restarts (False) an owner's video (sfu/simulcast.py OFF).
OnVideoOff = Callable[[str, bool], None]


class SubscriberPeer:
    def __init__(
        self,
        owner: str,
        settings: peer.PeerSettings,
        send_offer: SendOffer,
        on_failed: Callable[[], None],
        on_video_off: OnVideoOff | None = None,
    ) -> None:
        self.owner = owner
        self._on_video_off = on_video_off
        self._settings = settings
        self._send_offer = send_offer
        self._failure = FailureWatch(f"subscribe {owner}", on_failed)
        self.dropped: ice_demux.DroppedDatagrams | None = None  # the door's counters
        self._pc: Any = None
        self._output: packet_output.PacketOutput | None = None
        self._wanted: dict[ProducerId, Producer] = {}
        self._paused_video: set[str] = set()  # owners whose video this subscriber paused
        self._video_off: set[str] = set()  # owners whose video its downlink cannot carry now
        self._speakers_only = False  # a data saver: only the active speaker's voice is sent
        self._voices: list[str] = []  # the owners a data saver hears now
        self._tiles: dict[str, tuple[int, int]] = {}  # owner -> tile size (device pixels)
        self._downlink = Downlink()  # REMB, lowered by reported loss (sfu/downlink.py)
        self._sent = SentMeter()  # everything sent to this subscriber
        self._remb_at: float | None = None  # when its latest REMB came
        self._audio_sent = SentMeter()  # its audio: what the videos must leave room for
        self.chooser = simulcast.LayerChooser()  # its waits are settings (tests shorten them)
        self._layer_timer: asyncio.Handle | None = None
        self._report_timer: asyncio.TimerHandle | None = None
        self._slots: list[Slot] = []
        self._revision = 0
        self._answer: tuple[int, list[str | None], asyncio.Future[str]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._dirty = False
        self._closed = False

    # -- what to receive ---------------------------------------------------------------------

    def add_producer(self, producer: Producer) -> None:
        self._wanted[producer.id] = producer
        self._kick()

    def remove_producer(self, producer: Producer) -> None:
        """Stops forwarding at once; the renegotiation that tells the client follows."""
        self._wanted.pop(producer.id, None)
        if not any(p.owner == producer.owner for p in self._wanted.values()):
            self._paused_video.discard(producer.owner)  # they left: keep no state for them
            self._video_off.discard(producer.owner)
            self._tiles.pop(producer.owner, None)
        for slot in self._slots:
            if slot.producer is producer:
                slot.detach()
                slot.producer = None
        self._kick()

    def set_video_paused(self, owner: str, paused: bool) -> None:
        """Stop or restart forwarding `owner`'s video to this subscriber (a hidden tile, a
        last-N layout). The slot stays negotiated, so resuming needs no renegotiation, only
        a key frame."""
        if paused:
            self._paused_video.add(owner)
        else:
            self._paused_video.discard(owner)
        self._apply_pauses()

    def hear_speakers_only(self, on: bool, speakers: list[str]) -> None:
        """A data saver's downlink carries the voice of the loudest speaker only (a mobile
        plan pays for every Opus stream: five people talking cost five times one); screen-share
        sound is always sent. `speakers`: the room's active speakers now, loudest first."""
        self._speakers_only = on
        self._voices = []
        self._choose_voices(speakers)
        self._apply_pauses()
        for slot in self._slots:  # and RED, which doubles the audio, goes as plain Opus
            if slot.consumer is not None and slot.kind == AUDIO:
                slot.consumer.strip_red(*slot.red_choice(on))

    @property
    def hears_speakers_only(self) -> bool:
        return self._speakers_only

    def follow_speakers(self, speakers: list[str]) -> None:
        """The room's active speakers changed."""
        if self._speakers_only and self._choose_voices(speakers):
            self._apply_pauses()

    def _choose_voices(self, speakers: list[str]) -> bool:
        """A data saver keeps hearing the last speaker while nobody speaks, so a pause
        between sentences does not clip the next one. True when the voices changed."""
        voices = [owner for owner in speakers if owner != self.owner][:DATA_SAVER_VOICES]
        if not voices or voices == self._voices:
            return False
        self._voices = voices
        return True

    def _apply_pauses(self) -> None:
        """A video is sent when neither the subscriber nor its downlink stopped it."""
        stopped = self._paused_video | self._video_off
        for slot in self._slots:
            slot.apply_pause(stopped)
            consumer = slot.consumer
            if consumer is None or consumer.producer.kind != AUDIO:
                continue
            owner = consumer.producer.owner
            if self._speakers_only and source_of(owner) == CAMERA and owner not in self._voices:
                consumer.pause()
            else:
                consumer.resume()

    def set_video_size(self, owner: str, width: int, height: int) -> None:
        """The subscriber shows `owner`'s video in a tile of width x height device pixels
        (0 x 0: unknown, no cap): the simulcast layer follows."""
        if width and height:
            self._tiles[owner] = (width, height)
        else:
            self._tiles.pop(owner, None)
        self.choose_layers()

    def _on_rtcp(self, data: bytes) -> None:
        """The subscriber's key frame requests, NACKs, downlink estimate (REMB) and loss."""
        losses: list[float] = []
        for request in parse_feedback(data):
            if isinstance(request, Remb):
                self.on_remb(request.bitrate)
                continue
            slot = next((s for s in self._slots if s.ssrc == request.ssrc), None)
            if slot is None:
                continue
            if isinstance(request, LossReport):
                losses.append(request.fraction_lost)
            elif isinstance(request, Nack):
                if self._downlink.repairs_allowed:  # else repairs only deepen the congestion
                    slot.nack(request.lost)
            else:
                slot.request_keyframe()
        if losses:
            self.on_loss(sum(losses) / len(losses), time.monotonic())

    @property
    def estimate(self) -> int | None:
        """What the subscriber's downlink carries, bit/s; None before its first REMB."""
        return self._downlink.estimate

    def on_remb(self, bitrate: int) -> None:
        """The subscriber's estimate of its downlink (REMB), for the layer choice."""
        now = time.monotonic()
        if self._remb_at is not None and now - self._remb_at > OUTAGE_GAP:
            self.chooser.link_was_down()
        self._remb_at = now
        if bitrate != self._downlink.remb:
            self._downlink.remb = bitrate
            self.choose_layers()

    def on_loss(self, fraction: float, now: float) -> None:
        """A receiver report's loss (averaged over its streams): above 10 % the estimate
        falls below what was sent (sfu/downlink.py)."""
        consumers = self.consumers
        sent = self._sent.update(
            now, sum(c.octets_sent for c in consumers), sum(c.packets_sent for c in consumers)
        )
        audio = [c for c in consumers if c.producer.kind == AUDIO]
        self._audio_sent.update(
            now, sum(c.octets_sent for c in audio), sum(c.packets_sent for c in audio)
        )
        before = self._downlink.estimate
        self._downlink.on_loss(fraction, sent, now)
        if self._downlink.estimate != before:
            self.choose_layers()

    def choose_layers(self) -> None:
        """Point every simulcast consumer the subscriber shows at the layer the chooser picks
        now, or stop it when its downlink cannot carry even the lowest (sfu/simulcast.py)."""
        shown = [
            c
            for c in self.consumers
            if c.producer.simulcast
            and not c.producer.closed
            and c.producer.owner not in self._paused_video
        ]
        if not shown or self._closed:
            return
        videos = [
            simulcast.Video(
                layers=[simulcast.Layer(layer.size, layer.bitrate) for layer in c.producer.layers],
                current=simulcast.OFF
                if c.producer.owner in self._video_off
                else c.producer.layers.index(c.target or c.layer),
                tile=self._tiles.get(c.producer.owner),
            )
            for c in shown
        ]
        # The audio it receives, measured; before the first measurement a guess per stream.
        audio = self._audio_sent.rate or sum(
            simulcast.AUDIO_COST
            for c in self.consumers
            if c.producer.kind == AUDIO and not c.paused
        )
        chosen = self.chooser.choose(videos, self._downlink.estimate, time.monotonic(), audio)
        changed: list[tuple[str, bool]] = []
        for consumer, index in zip(shown, chosen, strict=True):
            owner = consumer.producer.owner
            off = index == simulcast.OFF
            if off != (owner in self._video_off):
                (self._video_off.add if off else self._video_off.discard)(owner)
                changed.append((owner, off))
            if not off:
                consumer.set_layer(index)
        if changed:
            self._apply_pauses()
            for owner, off in changed:
                log.info(
                    "%s: %s's video %s",
                    self.owner,
                    owner,
                    "stops: downlink full" if off else "restarts",
                )
                if self._on_video_off is not None:
                    self._on_video_off(owner, off)

    def _choose_layers_periodically(self) -> None:
        self._layer_timer = None
        if self._closed or not any(c.producer.simulcast for c in self.consumers):
            return
        self.choose_layers()
        loop = asyncio.get_running_loop()
        due = on_tick(loop.time() + LAYER_INTERVAL)
        self._layer_timer = loop.call_at(due, self._choose_layers_periodically)

    @property
    def slots(self) -> list[Slot]:
        return list(self._slots)

    @property
    def consumers(self) -> list[Consumer]:
        return [slot.consumer for slot in self._slots if slot.consumer is not None]

    # -- negotiation -------------------------------------------------------------------------

    def handle_answer(self, answer: str, revision: int) -> None:
        """The client's answer to offer `revision`. Errors leave the offer outstanding."""
        if self._answer is None:
            raise NegotiationStateError("no subscribe offer is waiting for an answer")
        expected, mids, future = self._answer
        if revision != expected:
            raise NegotiationStateError(
                f"revision {revision} is not the outstanding offer's ({expected})"
            )
        if isinstance(answer, str) and count_m_lines(answer) != len(mids):
            raise NegotiationError(f"the answer must have the offer's {len(mids)} m-lines")
        problem = description_problem(answer, offer=False)
        if problem is not None:
            raise NegotiationError(problem)
        try:
            sections = sdp.parse(answer)
        except ValueError as exc:
            raise NegotiationError(f"the answer is not a valid SDP: {exc}") from exc
        if [s.mid for s in sections] != mids:
            raise NegotiationError("the answer's m-lines do not match the offer's")
        if not future.done():
            future.set_result(sdp.drop_mdns_candidates(answer))

    def _kick(self) -> None:
        self._dirty = True
        if not self._closed and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._negotiate_while_dirty())

    async def _negotiate_while_dirty(self) -> None:
        try:
            while self._dirty and not self._closed:
                self._dirty = False
                await self._negotiate_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            if self._closed:  # the participant left mid-negotiation: nothing went wrong
                log.debug("subscribe negotiation for %s ended by close", self.owner)
                return
            log.warning("subscribe negotiation for %s failed", self.owner, exc_info=True)
            self._failure.fail("negotiation failed")

    async def _negotiate_once(self) -> None:
        if not self._update_slots():
            return
        pc = self._connection()
        await pc.setLocalDescription(await pc.createOffer())
        self._guard(pc)
        offer = self._offer_red(pc.localDescription.sdp)
        self._revision += 1
        revision = self._revision
        tracks: TrackMap = {
            slot.transceiver.mid: {
                "participant_id": person_of(slot.producer.owner),
                "kind": slot.kind,
                "source": source_of(slot.producer.owner),
            }
            for slot in self._slots
            if slot.producer is not None
        }
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._answer = (revision, [s.mid for s in sdp.parse(offer)], future)
        self._send_offer(sdp.announce_addresses(offer, self._settings.announce), revision, tracks)
        try:
            answer = await asyncio.wait_for(future, ANSWER_TIMEOUT)
        finally:
            self._answer = None
        if self._closed:
            return
        await pc.setRemoteDescription(peer.description(answer, "answer"))
        self._learn_negotiated(sdp.parse(pc.localDescription.sdp), sdp.parse(answer))
        self._attach_consumers()

    def _offer_red(self, offer: str) -> str:
        """Our offer with RED beside Opus in each audio section (sfu/red.py); the slots
        remember which payload type it got."""
        sections = sdp.parse(offer)
        opus = next((s.codec("opus") for s in sections if s.codec("opus") is not None), None)
        if opus is None:
            return offer
        offer = red.offer_red(offer, opus.payload_type)
        offered = {s.mid: s.codec(red.RED) for s in sdp.parse(offer)}
        for slot in self._slots:
            codec = offered.get(slot.transceiver.mid)
            slot.red_offered = codec.payload_type if codec is not None else None
        return offer

    def _update_slots(self) -> bool:
        """Match wanted producers to slots; False when there is nothing to negotiate."""
        assigned = {slot.producer.id for slot in self._slots if slot.producer is not None}
        changed = False
        for slot in self._slots:
            if slot.producer is None and slot.transceiver.direction != "inactive":
                slot.transceiver.direction = "inactive"
                changed = True
        for producer in self._wanted.values():
            if producer.id in assigned:
                continue
            target = self._reusable_slot(producer.kind) or self._new_slot(producer.kind)
            target.producer = producer
            target.reusable = False
            target.transceiver.direction = "sendonly"
            changed = True
        return changed

    def _reusable_slot(self, kind: str) -> Slot | None:
        for slot in self._slots:
            if slot.reusable and slot.producer is None and slot.kind == kind:
                return slot
        return None

    def _new_slot(self, kind: str) -> Slot:
        transceiver = self._connection().addTransceiver(peer.IdleTrack(kind), direction="sendonly")
        peer.prefer_codecs(transceiver)
        peer.take_over_sender_reports(transceiver.sender)
        slot = Slot(transceiver=transceiver, kind=kind)
        self._slots.append(slot)
        return slot

    def _learn_negotiated(
        self, sections: list[sdp.MediaSection], answer: list[sdp.MediaSection]
    ) -> None:
        by_mid = {section.mid: section for section in sections}
        answered = {section.mid: section for section in answer}
        for slot in self._slots:
            section = by_mid.get(slot.transceiver.mid)
            if section is None:
                continue
            codec = section.codec(peer.CODEC_OF_KIND[slot.kind])
            slot.ssrc = section.media_ssrc or slot.ssrc
            slot.payload_type = codec.payload_type if codec else slot.payload_type
            slot.rtx = _rtx_of(section, answered.get(section.mid), slot.payload_type)
            slot.red_payload_type = red.accepted(answered.get(section.mid), slot.red_offered)
            # Reusable only once the client has seen it inactive: reusing a slot that is still
            # active would hand the client a new participant's media without a track event.
            slot.reusable = slot.producer is None and slot.transceiver.direction == "inactive"

    def _connection(self) -> Any:
        if self._pc is None:
            self._pc = self._settings.new_connection()
            self._pc.on("connectionstatechange", self._on_state)
        return self._pc

    def _on_state(self) -> None:
        state = self._pc.connectionState
        if not self._closed:
            self._failure.state_changed(state)
        if state == "connected":
            self._attach_consumers()

    def _guard(self, pc: Any) -> None:
        """Once ICE has its sockets (the first offer is made), put the door in front of them
        (sfu/ice_demux.py) and keep aiortc's DTLS task from dying on what the client sends."""
        transceivers = pc.getTransceivers()
        if self.dropped is not None or not transceivers:
            return
        transport = peer.sender_transport(transceivers[0].sender)  # BUNDLE: one for all
        self.dropped = ice_demux.media_before_stun(transport)
        peer.refuse_rtp_in(transport)
        peer.contain_rtcp_in(transport)

    def _attach_consumers(self) -> None:
        """Start forwarding on negotiated slots once DTLS is up (SRTP keys exist only then)."""
        if self._closed or self._pc is None or self._pc.connectionState != "connected":
            return
        for slot in self._slots:
            producer = slot.producer
            if producer is None or slot.consumer is not None or not slot.ssrc:
                continue
            if producer.closed or producer.id not in self._wanted or not slot.payload_type:
                continue
            if self._output is None:
                transport = peer.sender_transport(slot.transceiver.sender)
                peer.receive_rtcp_directly(transport, self._on_rtcp)
                self._output = packet_output.packet_output(transport)
            output = self._output
            slot.consumer = Consumer(
                producer,
                slot.ssrc,
                slot.payload_type,
                output.send,
                slot.last_sent,
                report=slot.note_sender_report,
                rtx=slot.rtx,
                routes=output if isinstance(output, packet_output.NativePacketOutput) else None,
            )
            slot.consumer.strip_red(*slot.red_choice(self._speakers_only))
            producer.add_consumer(slot.consumer)
            if self._report_timer is None:
                self._schedule_reports()
            # A pause asked for before the media flowed, or a data saver hearing one voice.
            self._apply_pauses()
            if producer.simulcast and self._layer_timer is None:
                # Starts on the lowest layer (layer=0 above): small key frames, quick to show.
                self._layer_timer = asyncio.get_running_loop().call_soon(
                    self._choose_layers_periodically
                )

    def _schedule_reports(self) -> None:
        loop = asyncio.get_running_loop()
        due = sender_reports.due_time(loop.time(), random.random())
        self._report_timer = loop.call_at(due, self._send_reports)

    def _send_reports(self) -> None:
        """Sender reports for every stream this subscriber receives, in as few packets as fit."""
        if self._closed:
            return
        self._schedule_reports()
        output = self._output
        streams = [report for slot in self._slots if (report := slot.report()) is not None]
        if output is None or not streams or self._pc is None:
            return
        cname = peer.rtcp_cname(self._slots[0].transceiver.sender)
        for packet in sender_reports.compound_reports(streams, cname):
            output.send_rtcp(packet)

    async def close(self) -> None:
        """Idempotent: stops every consumer, then the connection."""
        if self._closed:
            return
        self._closed = True
        self._failure.stop()
        ice_demux.log_dropped(f"subscribe {self.owner}", self.dropped)
        if self._layer_timer is not None:
            self._layer_timer.cancel()
        if self._report_timer is not None:
            self._report_timer.cancel()
        for slot in self._slots:
            slot.detach()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        if self._pc is not None:
            await peer.close_connection(self._pc)


def _rtx_of(
    offer: sdp.MediaSection, answer: sdp.MediaSection | None, payload_type: int
) -> tuple[int, int] | None:
    """The RTX payload type and SSRC for repairs of `payload_type`, when our offer announced
    an RTX stream (a FID group) and the client's answer kept an RTX codec for it."""
    if answer is None or not offer.fid_groups:
        return None
    kept = {codec.payload_type for codec in answer.codecs}
    for codec in offer.codecs:
        if codec.name == "rtx" and codec.apt == payload_type and codec.payload_type in kept:
            return codec.payload_type, offer.fid_groups[0][1]
    return None
