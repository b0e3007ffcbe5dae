"""A Consumer: one producer's stream as one subscriber receives it (sfu/forwarding.py feeds it).

Sans-I/O like the producer: it rewrites the shared buffer's header in place and hands it to a
`send` callable that copies it at once.

Two parts of the class are kept apart, each a concept of its own: moving between simulcast
layers (sfu/layer_switching.py), and handing the numbering to a native route while the consumer
simply forwards, so that its producer sends for it from C (sfu/route_handover.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sfu import red, totals
from sfu.forwarding import VIDEO, Producer
from sfu.layer_switching import LayerSwitching
from sfu.retransmit import ResendLimiter
from sfu.route_handover import RouteHandover, RouteSource
from sfu.rtp import SEQ_TS_SSRC, Vp8Fields, without_extensions, wrap_rtx

# (NTP timestamp, RTP timestamp in the consumer's clock, when the publisher's report arrived in
# monotonic seconds) for its RTCP sender reports; the subscriber reads the packet and octet
# counts (`packets_sent`, `octets_sent`) when it sends.
SenderReport = Callable[[int, int, float], None]


class Consumer(LayerSwitching, RouteHandover):
    """One producer's stream as sent to one subscriber: its own SSRC, PT, sequence and clock."""

    __slots__ = (
        "producer",
        "ssrc",
        "payload_type",
        "waiting_for_keyframe",
        "_packets_sent",
        "_octets_sent",
        "packets_skipped",
        "paused",
        "closed",
        "_send",
        "_report",
        "_started",
        "_resuming",
        "_first_seq",
        "_resend_limiter",
        "_resume_from",
        "_seq_delta",
        "_ts_delta",
        "_last_seq",
        "_last_ts",
        "layer",
        "target",
        "switches",
        "_simulcast",
        "_rebase_from",
        "_sent_at",
        "_pid_delta",
        "_tl0_delta",
        "_last_pid",
        "_last_tl0",
        "rtx",
        "repairs_sent",
        "resent_packets",
        "resent_octets",
        "_rtx_seq",
        "route",
        "_routes",
        "_strip_red",
        "_bare",
        "ceiling",
    )

    def __init__(
        self,
        producer: Producer,
        ssrc: int,
        payload_type: int,
        send: Callable[[bytearray], bool],  # copies before returning; False: dropped
        resume_from: tuple[int, int] | None = None,
        report: SenderReport | None = None,
        layer: int = 0,
        rtx: tuple[int, int] | None = None,
        routes: RouteSource | None = None,
        strip_red: bool = False,
    ) -> None:
        """`resume_from` is the (sequence, timestamp) last sent on this SSRC by an earlier
        consumer, so a reused sender continues its numbering instead of jumping (RFC 3550 5.1).
        `report` receives this stream's sender-report facts whenever the publisher's change.
        `layer` is the simulcast layer to start on (index into `producer.layers`).
        `rtx`: (payload type, SSRC) of the RTX stream the subscriber accepted (RFC 4588), on
        which repairs go out, so they never disturb the media stream's loss statistics.
        `routes`: where this consumer gets a native route while it simply forwards.
        `strip_red`: the producer's RED packets go out as their primary Opus frame (a
        subscriber that did not accept RED; sfu/red.py), never on a native route."""
        self.producer = producer
        self._strip_red = strip_red
        self._bare = False  # header extensions stripped (`send_bare`)
        # The highest simulcast layer this subscriber's tile could use (sfu/receiving.py sets
        # it): the publisher keeps sending up to there so a step up can happen.
        self.ceiling = len(producer.layers) - 1
        self.layer = producer.layers[layer]  # the stream that feeds this consumer now
        self.target: Producer | None = None  # the layer to move to at its next key frame
        self.switches = 0  # layer switches done
        self._simulcast = producer.simulcast
        self.ssrc = ssrc
        self.payload_type = payload_type
        # A video decoder can start only at a key frame; earlier packets are useless to it.
        self.waiting_for_keyframe = producer.kind == VIDEO
        self._packets_sent = 0  # by this object; a route counts its own (`packets_sent`)
        self._octets_sent = 0
        self.packets_skipped = 0
        self.paused = False  # the subscriber does not show this video now
        self.closed = False
        self._send = send
        self._report = report
        self.rtx = rtx
        self.repairs_sent = 0  # answers to its NACKs
        self.resent_packets = 0  # those and late packets, sent outside the numbering
        self.resent_octets = 0
        self._rtx_seq = secrets.randbelow(0x10000)  # RFC 3550 5.1: a random first number
        self._resuming = False
        self._started = False
        self._first_seq = 0  # the producer's sequence number of the first packet sent
        self._resend_limiter: ResendLimiter | None = None  # made on the first NACK
        self._resume_from = resume_from
        self._seq_delta = 0
        self._ts_delta = 0
        self._last_seq = 0
        self._last_ts = 0
        # The layer changed while stopped: re-anchor on resuming, numbering on from this one.
        self._rebase_from: Producer | None = None
        self._sent_at = 0.0  # arrival time of the last packet sent (simulcast only)
        self._pid_delta = 0  # VP8 picture id and TL0PICIDX offsets (simulcast only)
        self._tl0_delta = 0
        self._last_pid = -1
        self._last_tl0 = -1
        self.route: Any = None  # the native route forwarding for this consumer, if any
        self._routes = routes

    def forward(
        self, buf: bytearray, marker: int, seq: int, timestamp: int, keyframe: bool
    ) -> None:
        if self.waiting_for_keyframe or self.paused or self._resuming:
            if self.paused or (self.waiting_for_keyframe and not keyframe):
                self.packets_skipped += 1
                return
            if self.waiting_for_keyframe:
                self.waiting_for_keyframe = False
                self.layer.keyframe_seen()
            if self._resuming:  # audio resumes at any packet, video at the key frame above
                self._resume(seq, timestamp)
        if not self._started:
            self._start(seq, timestamp)
        if self._strip_red:
            stripped = red.primary(buf)
            if stripped is None:  # not RED after all: nothing a plain Opus receiver can play
                self.packets_skipped += 1
                return
            buf = stripped
        if self._bare:
            try:
                buf = without_extensions(buf)
            except ValueError:  # checked when received: cannot happen, never sent broken
                self.packets_skipped += 1
                return
        out_seq = (seq + self._seq_delta) & 0xFFFF
        out_ts = (timestamp + self._ts_delta) & 0xFFFFFFFF
        buf[1] = marker | self.payload_type
        SEQ_TS_SSRC.pack_into(buf, 2, out_seq, out_ts, self.ssrc)
        if self._simulcast:
            layer = self.layer
            self._sent_at = layer.last_arrival
            self._renumber_pictures(buf, layer.vp8, True)
        # The output copies `buf` at once; the next consumer rewrites it.
        if self._send(buf):
            self._last_seq = out_seq
            self._last_ts = out_ts
            self._packets_sent += 1
            self._octets_sent += len(buf)
            if self._routes is not None and not self._strip_red and not self._bare:
                self._take_route()
        elif self.producer.kind == VIDEO:
            self._skip_to_keyframe()

    def strip_red(self, strip: bool, payload_type: int) -> None:
        """Send the producer's RED as it is (`strip` False) or its primary frames only, from
        the next packet on, with `payload_type` (red's or Opus'; the receiver follows a payload
        type change within the stream). Stripping runs on the Python path."""
        if strip == self._strip_red and payload_type == self.payload_type:
            return
        self._leave_route()
        self._strip_red = strip
        self.payload_type = payload_type

    def send_bare(self, bare: bool) -> None:
        """Strip every packet's header extensions from the next one on (a data saver's audio:
        about 16 of each packet's ~110 bytes on the wire). Runs on the Python path."""
        if bare != self._bare:
            self._leave_route()
            self._bare = bare

    def pause(self) -> None:
        """Stop sending until `resume` (the subscriber hides this video, or a data saver
        hears only the active speaker)."""
        if self.paused or self.closed:
            return
        self._leave_route()
        self.paused = True
        self._cancel_switch()
        if self.waiting_for_keyframe:
            self.waiting_for_keyframe = False
            self.layer.keyframe_seen()  # no longer waiting: stop asking the publisher

    def resume(self) -> None:
        """Send again, numbering on from the last packet sent: video from its next key
        frame, audio from its next packet (every Opus packet decodes on its own)."""
        if not self.paused or self.closed:
            return
        self.paused = False
        self._resuming = self._started
        if self.producer.kind == VIDEO:
            self.waiting_for_keyframe = True
            self.layer.wait_for_keyframe()

    def restart_at_keyframe(self) -> None:
        """The subscriber's link came back after an outage: what was sent into it is gone, and
        repairing it would refill the link with seconds of stale video. Send nothing more
        until the next key frame (asked for now), numbering on without a gap, and answer no
        NACK meanwhile; NACKs for what came before map to nothing once it resumes."""
        if self.producer.kind != VIDEO or self.paused or self.closed or not self._started:
            return
        if not self.waiting_for_keyframe:
            self._skip_to_keyframe()

    def _skip_to_keyframe(self) -> None:
        """A dropped video packet (the subscriber's link is full): send nothing more until the
        next key frame rather than frames that cannot decode, and number on without a gap so
        the subscriber does not NACK what was skipped on purpose."""
        self._leave_route()
        self.waiting_for_keyframe = True
        self._resuming = True
        self.layer.wait_for_keyframe()

    def _resume(self, seq: int, timestamp: int) -> None:
        # Sequence numbers continue without a gap (a gap would read as loss and draw NACKs);
        # the timestamp keeps its offset, so the pause shows as the time that really passed.
        self._resuming = False
        if self._rebase_from is not None:  # another layer now: its clock has its own offset
            self._rebase(self._rebase_from, seq, timestamp)
            return
        self._seq_delta = (self._last_seq + 1 - seq) & 0xFFFF
        self._first_seq = seq  # NACKs for packets from before the pause map to nothing now

    def forward_late(self, buf: bytearray, marker: int, seq: int, timestamp: int) -> None:
        """A packet older than the newest one sent: send it where it belongs in this
        consumer's numbering, without moving the numbering (like a repair)."""
        if self.waiting_for_keyframe or self.paused or not self._started:
            return
        if (seq - self._first_seq) & 0xFFFF >= 0x8000:
            return  # from before this consumer started
        self.resend(buf, marker, seq, timestamp, self.layer.vp8, repair=False)

    def nack(self, lost: list[int], now: float) -> None:
        """The subscriber misses these packets (its own sequence numbers, RFC 4585 6.2.1).
        None is answered while the stream waits for a key frame to go on from: it skips what
        came before on purpose (a full link, a pause, an outage)."""
        if not self._started or self.closed or self.waiting_for_keyframe:
            return
        limiter = self._resend_limiter
        if limiter is None:
            limiter = self._resend_limiter = ResendLimiter()
        for out_seq in lost:
            out_seq &= 0xFFFF
            if not limiter.allow(out_seq, now):
                continue
            seq = (out_seq - self._seq_delta) & 0xFFFF
            if (seq - self._first_seq) & 0xFFFF >= 0x8000:
                continue  # from before this consumer started: never sent to it
            self.layer.resend(self, seq)

    def resend(
        self,
        buf: bytearray,
        marker: int,
        seq: int,
        timestamp: int,
        fields: Vp8Fields | None = None,
        *,
        repair: bool = True,
    ) -> None:
        """Rewrite a repaired packet like its first sending; counters and state stay put.
        `fields`: where the packet's VP8 picture numbering is (simulcast layers only).
        `repair`: an answer to this subscriber's NACK, counted in `repairs_sent` (the share of
        repairs is loss its reports hide: sfu/downlink.py); a publisher's late packet is not."""
        if self._simulcast:
            self._renumber_pictures(buf, fields, False)
        buf[1] = marker | self.payload_type
        SEQ_TS_SSRC.pack_into(
            buf,
            2,
            (seq + self._seq_delta) & 0xFFFF,
            (timestamp + self._ts_delta) & 0xFFFFFFFF,
            self.ssrc,
        )
        out = buf
        if self.rtx is not None:  # else on the media SSRC itself, as a late packet
            try:
                out = wrap_rtx(buf, self.rtx[0], self.rtx[1], self._rtx_seq)
            except ValueError:
                return
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        if self._send(out):  # on the wire too: counted in the subscriber's sent rate
            self.resent_packets += 1
            self.resent_octets += len(out)
            if repair:
                self.repairs_sent += 1

    def sender_report(self, ntp: int, rtp: int, at: float) -> None:
        """Pass the publisher's NTP/RTP pair, which arrived at `at`, on in this stream's own
        RTP clock, so a receiver can still line this participant's audio up with their video
        (RFC 3550 6.4.1)."""
        if self._report is not None and self._started:
            out_rtp = (rtp + self._ts_delta) & 0xFFFFFFFF
            self._report(ntp, out_rtp, at)

    def _start(self, seq: int, timestamp: int) -> None:
        self._started = True
        self._first_seq = seq
        if self._resume_from is not None:
            last_seq, last_ts = self._resume_from
            self._seq_delta = (last_seq + 1 - seq) & 0xFFFF
            # Move the clock one second on: a receiver treats this as a gap, never as going back.
            self._ts_delta = (last_ts + self.producer.clock_rate - timestamp) & 0xFFFFFFFF
        if self.layer.last_sender_report is not None:
            self.sender_report(*self.layer.last_sender_report, self.layer.last_sender_report_at)

    @property
    def last_sent(self) -> tuple[int, int] | None:
        """(sequence, timestamp) of the last packet sent, for a successor on the same SSRC."""
        if not self._started:
            return self._resume_from
        route = self.route
        if route is not None:
            return route.last_seq, route.last_ts
        return self._last_seq, self._last_ts

    def request_keyframe(self) -> None:
        """The subscriber lost its picture (RFC 4585 PLI or RFC 5104 FIR)."""
        self.layer.request_keyframe()

    def close(self) -> None:
        if self.closed:
            return
        self._leave_route()
        self._cancel_switch()
        self.closed = True
        totals.CLOSED.forwarded_packets += self.packets_sent
        totals.CLOSED.forwarded_octets += self.octets_sent
        self.producer.remove_consumer(self)
