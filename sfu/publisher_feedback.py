"""What the SFU tells a publisher over RTCP: receiver reports with a REMB cap about once a
second (RFC 3550 6.2, draft-alvestrand-rmcat-remb), transport-wide feedback (sfu/arrival_reports.py
says when), and key frame requests (RFC 4585 PLI, rate limited) and NACKs for its streams.

A part of sfu/publisher.py's PublisherPeer, kept apart as its own concept: `PublisherFeedback`
holds no state of its own and works on the peer's, which the declarations below name.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sfu import packet_output, peer, simulcast
from sfu.forwarding import VIDEO, Producer, ProducerId
from sfu.keyframes import KeyframeRequestLimiter
from sfu.layer_demand import LayerDemand, wanted_layers
from sfu.transport_feedback import ArrivalLog

log = logging.getLogger(__name__)
REPORT_INTERVAL = 1.0  # seconds between receiver reports to a publisher, on average


class PublisherFeedback:
    if TYPE_CHECKING:  # the PublisherPeer's state this part reads and writes
        owner: str
        producers: list[Producer]
        _settings: peer.PeerSettings
        _uplink: peer.BandwidthEstimator
        _receiver_of: dict[ProducerId, Any]
        _transport: Any
        _rtcp_out: packet_output.PacketOutput | None
        _deferred_plis: dict[int, set[Producer]]
        _tasks: set[asyncio.Future[Any]]
        _closed: bool
        _on_layers: Callable[[list[str]], None] | None
        _layer_demand: dict[ProducerId, LayerDemand]

    async def _report_periodically(self) -> None:
        """Receiver reports and a REMB cap to the publisher about once a second (RFC 3550
        6.2 randomises the interval between 0.5 and 1.5 times the nominal one)."""
        loop = asyncio.get_running_loop()
        while not self._closed:
            await asyncio.sleep(REPORT_INTERVAL * (0.5 + random.random()))
            try:
                self._report(loop.time())
            except Exception:  # one bad report must not end the reports for good
                log.exception("receiver report to publisher %s failed", self.owner)

    def _report(self, now: float) -> None:
        """One compound receiver report (with REMB) for every stream heard from."""
        streams = [layer for p in self.producers for layer in p.layers]
        blocks = [
            (p.ssrc, block)
            for p in streams
            if p.ssrc and (block := p.reception.report(now)) is not None
        ]
        video = [p.ssrc for p in streams if p.kind == VIDEO and p.ssrc]
        for layer in streams:
            if layer.vp8 is not None:  # simulcast: subscribers choose layers by bitrate
                layer.measure(now)
        self._tell_layers(now)
        if not blocks or not self.producers:
            return
        # The estimate of the publisher's uplink, never above the operator's cap.
        cap = self._settings.max_video_bitrate
        bitrate = min(cap, self._uplink.bitrate) if self._uplink.bitrate else cap
        if any(p.simulcast for p in self.producers):
            incoming = sum(layer.bitrate for layer in streams if layer.vp8 is not None)
            bitrate = simulcast.publisher_remb(cap, self._uplink.bitrate, incoming)
        remb = (bitrate, video) if video else None
        packet = peer.receiver_report(self._receiver_of[self.producers[0].id], blocks, remb)
        output = self._rtcp_output()
        if packet is not None and output is not None:
            output.send_rtcp(packet)  # a lost report is harmless: the next one follows

    def _tell_layers(self, now: float) -> None:
        """Tell the publisher which simulcast layers someone receives or could use
        (sfu/layer_demand.py): a consumer that is not paused on the layer, waiting to switch
        to it, or whose tile could use it (its `ceiling`), so a step up has a layer to take."""
        if self._on_layers is None:
            return
        for track in self.producers:
            if not track.simulcast:
                continue
            demand = self._layer_demand.get(track.id)
            if demand is None:
                demand = self._layer_demand[track.id] = LayerDemand(len(track.layers))
            keep = demand.update(wanted_layers(track), now)
            if keep is not None:
                rids = [layer.rid for layer, on in zip(track.layers, keep, strict=True) if on]
                log.info("publisher %s: layers %s on", self.owner, ",".join(rids) or "none")
                self._on_layers(rids)

    def _send_feedback(self, log: ArrivalLog, media_ssrc: int) -> None:
        """Send the transport-wide feedback the log holds (sfu/arrival_reports.py says when)."""
        receiver = self._receiver_of.get(self.producers[0].id) if self.producers else None
        sender_ssrc = peer.rtcp_ssrc(receiver) if receiver is not None else None
        output = self._rtcp_output()
        if self._closed or sender_ssrc is None or output is None:
            return
        for packet in log.feedback(sender_ssrc, media_ssrc):
            output.send_rtcp(packet)

    def _rtcp_output(self) -> packet_output.PacketOutput | None:
        """Where the SFU's own RTCP to the publisher goes (receiver reports, REMB, transport-cc
        feedback): protected and sent at once, no task per packet as aiortc's path has. None
        before the transport is known."""
        if self._rtcp_out is None and self._transport is not None:
            self._rtcp_out = packet_output.packet_output(self._transport)
        return self._rtcp_out

    def _request_keyframe(self, producer: Producer, limiter: KeyframeRequestLimiter) -> None:
        """A PLI for `producer`'s stream now, or once the limiter allows; requests for other
        layers of the same track that come meanwhile go out with the deferred one."""
        loop = asyncio.get_running_loop()
        delay = limiter.request(loop.time())
        if self._closed:
            return
        if delay is None:
            self._deferred_plis.setdefault(id(limiter), set()).add(producer)
            return
        if delay == 0.0:
            self._send_pli(producer)
            return
        self._deferred_plis[id(limiter)] = {producer}

        def deferred() -> None:
            limiter.deferred_due(loop.time())
            for stream in self._deferred_plis.pop(id(limiter), set()):
                if not self._closed:
                    self._send_pli(stream)

        loop.call_later(delay, deferred)

    def _send_nack(self, producer: Producer, lost: list[int]) -> None:
        if not self._closed:
            self._to_publisher(
                producer, lambda receiver, ssrc: peer.send_nack(receiver, ssrc, lost)
            )

    def _send_pli(self, producer: Producer) -> None:
        self._to_publisher(producer, peer.send_pli)

    def _to_publisher(
        self, producer: Producer, send: Callable[[Any, int], Awaitable[None]]
    ) -> None:
        """RTCP about one stream (a track or a simulcast layer) to its publisher, in a task
        this peer keeps."""
        receiver = self._receiver_of.get(producer.id)
        if receiver is None or not producer.ssrc or self._closed:
            return
        task = asyncio.ensure_future(send(receiver, producer.ssrc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
