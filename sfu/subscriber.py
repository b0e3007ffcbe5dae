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

from sfu import ice_demux, packet_output, peer, red, sdp, sender_reports
from sfu.consumer import Consumer
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.forwarding import AUDIO, Producer, ProducerId
from sfu.media_failure import FailureWatch
from sfu.receiving import OnVideoOff, Receiving
from sfu.rtcp_feedback import LossReport, Nack, Remb, parse_feedback
from sfu.sdp_checks import count_m_lines, description_problem
from sfu.subscriber_slot import Slot
from sfu.ticks import on_tick

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 20.0  # seconds a client has to answer a subscribe offer
LAYER_INTERVAL = 1.0  # seconds between two looks at the simulcast layers, REMB or not
TrackMap = dict[str, dict[str, str]]
SendOffer = Callable[[str, int, TrackMap], None]


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
        self._settings = settings
        self._send_offer = send_offer
        self._failure = FailureWatch(f"subscribe {owner}", on_failed)
        self.dropped: ice_demux.DroppedDatagrams | None = None  # the door's counters
        self._pc: Any = None
        self._output: packet_output.PacketOutput | None = None
        self._wanted: dict[ProducerId, Producer] = {}
        self._layer_timer: asyncio.Handle | None = None
        self._report_timer: asyncio.TimerHandle | None = None
        self._slots: list[Slot] = []
        self.receiving = Receiving(owner, lambda: self._slots, on_video_off)
        self._revision = 0
        self._answer: tuple[int, list[str | None], asyncio.Future[str]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._dirty = False
        self._closed = False

    # -- what to receive ---------------------------------------------------------------------

    def accepts(self, producer: Producer) -> bool:
        """Everyone's media but this participant's own (camera and screen alike)."""
        return producer.person != self.owner

    def add_producer(self, producer: Producer) -> None:
        self._wanted[producer.id] = producer
        self._kick()

    def remove_producer(self, producer: Producer) -> None:
        """Stops forwarding at once; the renegotiation that tells the client follows."""
        self._wanted.pop(producer.id, None)
        if not any(p.owner == producer.owner for p in self._wanted.values()):
            self.receiving.forget(producer.owner)
        for slot in self._slots:
            if slot.producer is producer:
                slot.detach()
                slot.producer = None
        self._kick()

    # What it receives and at what rate: sfu/receiving.py decides.

    def set_video_paused(self, owner: str, paused: bool) -> None:
        self.receiving.set_video_paused(owner, paused)

    def set_video_size(self, owner: str, width: int, height: int) -> None:
        self.receiving.set_video_size(owner, width, height)

    def hear_speakers_only(self, on: bool, speakers: list[str]) -> None:
        self.receiving.hear_speakers_only(on, speakers)

    def follow_speakers(self, speakers: list[str]) -> None:
        self.receiving.follow_speakers(speakers)

    def _on_rtcp(self, data: bytes) -> None:
        """The subscriber's key frame requests, NACKs, downlink estimate (REMB) and loss."""
        self.receiving.heard(time.monotonic())
        reports: list[LossReport] = []
        for request in parse_feedback(data):
            if isinstance(request, Remb):
                self.receiving.on_remb(request.bitrate)
                continue
            slot = next((s for s in self._slots if s.ssrc == request.ssrc), None)
            if slot is None:
                continue
            if isinstance(request, LossReport):
                reports.append(request)
            elif isinstance(request, Nack):
                if self.receiving.repairs_allowed:  # else repairs only deepen the congestion
                    slot.nack(request.lost)
            else:
                slot.request_keyframe()
        if reports:
            self.receiving.on_reports(reports, time.monotonic())

    def _choose_layers_periodically(self) -> None:
        self._layer_timer = None
        if self._closed or not any(c.producer.simulcast for c in self.consumers):
            return
        self.receiving.choose_layers()
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
                "participant_id": slot.producer.person,
                "kind": slot.kind,
                "source": slot.producer.source,
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
            slot.consumer.strip_red(*slot.red_choice(self.receiving.speakers_only))
            if producer.kind == AUDIO:
                slot.consumer.send_bare(self.receiving.speakers_only)  # a data saver's
            producer.add_consumer(slot.consumer)
            if self._report_timer is None:
                self._schedule_reports()
            # A pause asked for before the media flowed, or a data saver hearing one voice.
            self.receiving.apply_pauses()
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
        now = time.monotonic()
        streams = [report for slot in self._slots if (report := slot.report(now)) is not None]
        if output is None or not streams or self._pc is None:
            return
        cname = peer.rtcp_cname(self._slots[0].transceiver.sender)
        for stream in streams:
            self.receiving.report_sent(stream.ssrc, stream.ntp, now)
        for packet in sender_reports.compound_reports(streams, cname):
            output.send_rtcp(packet)

    async def close(self) -> None:
        """Idempotent: stops every consumer, then the connection."""
        if self._closed:
            return
        self._closed = True
        self.receiving.closed = True
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
