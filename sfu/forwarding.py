"""Packet forwarding: one Producer (a track coming in) fans out to Consumers (one per subscriber).

Sans-I/O: a Producer is fed decrypted RTP bytes, a Consumer hands rewritten RTP bytes to a
`send` callable. Nothing here awaits, logs or allocates per packet beyond one buffer per
incoming packet: every consumer rewrites the same buffer in place and the output copies it.

Besides the fan-out, a consumer keeps its subscriber's view consistent: key-frame gating at
the start and after a pause or a congested link, NACK repair from the producer's cache
(sfu/retransmit.py), and sender reports in its own RTP clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NewType

from sfu.reception import Reception
from sfu.retransmit import PacketCache, ResendLimiter
from sfu.rtp import (
    FIXED_HEADER,
    SEQ_TS_SSRC,
    audio_level,
    is_vp8_keyframe,
    payload_offset,
    rewrite_extension_ids,
)
from sfu.speakers import LOUD, Heard

ProducerId = NewType("ProducerId", str)
# A longer run of missing packets is an outage or a restart, not loss worth repairing: the
# subscribers' decoders will ask for a key frame instead.
MAX_NACK_GAP = 64
# (NTP timestamp, RTP timestamp, packets sent, bytes sent) for a consumer's RTCP sender report;
# the byte count includes RTP headers, a small overstatement of RFC 3550's payload octets.
SenderReport = Callable[[int, int, int, int], None]

AUDIO = "audio"
VIDEO = "video"


class Producer:
    """A track published by one participant, identified by its media SSRC."""

    __slots__ = (
        "id",
        "owner",
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
        "audio_level_id",
        "closed",
        "reception",
        "_cache",
        "_highest_seq",
        "_request_resend",
        "_loud_total",
        "_loud_packets",
        "_level_packets",
        "_extension_map",
        "_keyframe_waiters",
        "_request_keyframe",
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
    ) -> None:
        """`request_resend` asks the publisher for video packets that never arrived (NACK)."""
        self.id = producer_id
        self.owner = owner
        self.kind = kind
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.clock_rate = clock_rate
        self.consumers: list[Consumer] = []
        self.packets_received = 0
        self.packets_dropped = 0
        self.packets_resent = 0
        self.resend_misses = 0  # NACKed packets no longer (or never) in the cache
        self.last_sender_report: tuple[int, int] | None = None  # (NTP, RTP) of the latest SR
        # The publisher's id of the RFC 6464 audio-level extension (0: none negotiated).
        self.audio_level_id = 0
        self._loud_total = 0  # sum of 127 - level over loud packets only
        self._loud_packets = 0
        self._level_packets = 0  # packets that carried a level at all
        self.closed = False
        # Only video is repaired: receivers do not NACK Opus, which has its own concealment.
        self._cache = PacketCache() if kind == VIDEO else None
        self.reception = Reception()  # for the receiver reports the publisher gets
        self._highest_seq = -1  # highest sequence number received (video), -1 before any
        self._request_resend = request_resend
        self._extension_map = extension_map
        self._keyframe_waiters = 0
        self._request_keyframe = request_keyframe

    def receive(self, data: bytes) -> None:
        """Forward one decrypted RTP packet of this producer's SSRC to every consumer."""
        if len(data) < 12 or data[1] & 0x7F != self.payload_type:
            # RTX (RFC 4588) and anything else on another payload type is not forwarded.
            self.packets_dropped += 1
            return
        self.packets_received += 1
        buf = bytearray(data)
        try:
            if self._extension_map is not None:
                rewrite_extension_ids(buf, self._extension_map)
            keyframe = self._keyframe_waiters > 0 and is_vp8_keyframe(buf, payload_offset(buf))
        except ValueError:
            self.packets_dropped += 1
            return
        _first, second, seq, timestamp, _ssrc = FIXED_HEADER.unpack_from(buf)
        self.reception.add(seq)
        if self._cache is not None:
            self._cache.put(seq, data)
            gap = (seq - self._highest_seq - 1) & 0xFFFF
            if gap < 0x8000 or self._highest_seq < 0:  # newer than the highest so far
                if 0 < gap <= MAX_NACK_GAP and self._highest_seq >= 0:
                    self._ask_for(self._highest_seq + 1, gap)
                self._highest_seq = seq
            else:  # a repair or a reordered packet: fill the gap, move no one's numbering
                for consumer in self.consumers:
                    consumer.forward_late(buf, second & 0x80, seq, timestamp)
                return
        elif self.audio_level_id:
            level = audio_level(data, self.audio_level_id)
            if level is not None:
                self._level_packets += 1
                loudness = 127 - (level & 0x7F)
                if loudness >= LOUD:
                    self._loud_total += loudness
                    self._loud_packets += 1
        marker = second & 0x80
        for consumer in self.consumers:
            consumer.forward(buf, marker, seq, timestamp, keyframe)

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

    def sender_report(self, ssrc: int, ntp: int, rtp: int) -> None:
        """The publisher's RTCP SR: its NTP wall clock at RTP time `rtp` (RFC 3550 6.4.1)."""
        if ssrc != self.ssrc:
            return
        self.last_sender_report = (ntp, rtp)
        for consumer in self.consumers:
            consumer.sender_report(ntp, rtp)

    def resend(self, consumer: Consumer, seq: int) -> None:
        """Send the cached packet `seq` (producer numbering) to `consumer` once more."""
        packet = self._cache.get(seq) if self._cache is not None else None
        if packet is None:
            self.resend_misses += 1
            return
        buf = bytearray(packet)
        if self._extension_map is not None:
            rewrite_extension_ids(buf, self._extension_map)  # validated when first received
        _first, second, seq, timestamp, _ssrc = FIXED_HEADER.unpack_from(buf)
        self.packets_resent += 1
        consumer.resend(buf, second & 0x80, seq, timestamp)

    def add_consumer(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)
        if consumer.waiting_for_keyframe:
            self._keyframe_waiters += 1
            self._request_keyframe()

    def remove_consumer(self, consumer: Consumer) -> None:
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
        for consumer in list(self.consumers):
            consumer.close()


class Consumer:
    """One producer's stream as sent to one subscriber: its own SSRC, PT, sequence and clock."""

    __slots__ = (
        "producer",
        "ssrc",
        "payload_type",
        "waiting_for_keyframe",
        "packets_sent",
        "octets_sent",
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
    )

    def __init__(
        self,
        producer: Producer,
        ssrc: int,
        payload_type: int,
        send: Callable[[bytearray], bool],  # copies before returning; False: dropped
        resume_from: tuple[int, int] | None = None,
        report: SenderReport | None = None,
    ) -> None:
        """`resume_from` is the (sequence, timestamp) last sent on this SSRC by an earlier
        consumer, so a reused sender continues its numbering instead of jumping (RFC 3550 5.1).
        `report` receives this stream's sender-report facts whenever the publisher's change."""
        self.producer = producer
        self.ssrc = ssrc
        self.payload_type = payload_type
        # A video decoder can start only at a key frame; earlier packets are useless to it.
        self.waiting_for_keyframe = producer.kind == VIDEO
        self.packets_sent = 0
        self.octets_sent = 0
        self.packets_skipped = 0
        self.paused = False  # the subscriber does not show this video now
        self.closed = False
        self._send = send
        self._report = report
        self._resuming = False
        self._started = False
        self._first_seq = 0  # the producer's sequence number of the first packet sent
        self._resend_limiter: ResendLimiter | None = None  # made on the first NACK
        self._resume_from = resume_from
        self._seq_delta = 0
        self._ts_delta = 0
        self._last_seq = 0
        self._last_ts = 0

    def forward(
        self, buf: bytearray, marker: int, seq: int, timestamp: int, keyframe: bool
    ) -> None:
        if self.waiting_for_keyframe or self.paused:
            if self.paused or not keyframe:
                self.packets_skipped += 1
                return
            self.waiting_for_keyframe = False
            self.producer.keyframe_seen()
            if self._resuming:
                self._resume(seq)
        if not self._started:
            self._start(seq, timestamp)
        out_seq = (seq + self._seq_delta) & 0xFFFF
        out_ts = (timestamp + self._ts_delta) & 0xFFFFFFFF
        buf[1] = marker | self.payload_type
        SEQ_TS_SSRC.pack_into(buf, 2, out_seq, out_ts, self.ssrc)
        # The output copies `buf` at once; the next consumer rewrites it.
        if self._send(buf):
            self._last_seq = out_seq
            self._last_ts = out_ts
            self.packets_sent += 1
            self.octets_sent += len(buf)
        elif self.producer.kind == VIDEO:
            self._skip_to_keyframe()

    def pause(self) -> None:
        """Stop sending until `resume` (the subscriber hides this video)."""
        if self.paused or self.closed:
            return
        self.paused = True
        if self.waiting_for_keyframe:
            self.waiting_for_keyframe = False
            self.producer.keyframe_seen()  # no longer waiting: stop asking the publisher

    def resume(self) -> None:
        """Send again from the next key frame, numbering on from the last packet sent."""
        if not self.paused or self.closed:
            return
        self.paused = False
        self._resuming = self._started
        self.waiting_for_keyframe = True
        self.producer.wait_for_keyframe()

    def _skip_to_keyframe(self) -> None:
        """A dropped video packet (the subscriber's link is full): send nothing more until the
        next key frame rather than frames that cannot decode, and number on without a gap so
        the subscriber does not NACK what was skipped on purpose."""
        self.waiting_for_keyframe = True
        self._resuming = True
        self.producer.wait_for_keyframe()

    def _resume(self, seq: int) -> None:
        # Sequence numbers continue without a gap (a gap would read as loss and draw NACKs);
        # the timestamp keeps its offset, so the pause shows as the time that really passed.
        self._resuming = False
        self._seq_delta = (self._last_seq + 1 - seq) & 0xFFFF
        self._first_seq = seq  # NACKs for packets from before the pause map to nothing now

    def forward_late(self, buf: bytearray, marker: int, seq: int, timestamp: int) -> None:
        """A packet older than the newest one sent: send it where it belongs in this
        consumer's numbering, without moving the numbering (like a repair)."""
        if self.waiting_for_keyframe or self.paused or not self._started:
            return
        if (seq - self._first_seq) & 0xFFFF >= 0x8000:
            return  # from before this consumer started
        self.resend(buf, marker, seq, timestamp)

    def nack(self, lost: list[int], now: float) -> None:
        """The subscriber misses these packets (its own sequence numbers, RFC 4585 6.2.1)."""
        if not self._started or self.closed:
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
            self.producer.resend(self, seq)

    def resend(self, buf: bytearray, marker: int, seq: int, timestamp: int) -> None:
        """Rewrite a repaired packet like its first sending; counters and state stay put."""
        buf[1] = marker | self.payload_type
        SEQ_TS_SSRC.pack_into(
            buf,
            2,
            (seq + self._seq_delta) & 0xFFFF,
            (timestamp + self._ts_delta) & 0xFFFFFFFF,
            self.ssrc,
        )
        self._send(buf)

    def sender_report(self, ntp: int, rtp: int) -> None:
        """Pass the publisher's NTP/RTP pair on in this stream's own RTP clock, so a receiver
        can still line this participant's audio up with their video (RFC 3550 6.4.1)."""
        if self._report is not None and self._started:
            out_rtp = (rtp + self._ts_delta) & 0xFFFFFFFF
            self._report(ntp, out_rtp, self.packets_sent, self.octets_sent)

    def _start(self, seq: int, timestamp: int) -> None:
        self._started = True
        self._first_seq = seq
        if self._resume_from is not None:
            last_seq, last_ts = self._resume_from
            self._seq_delta = (last_seq + 1 - seq) & 0xFFFF
            # Move the clock one second on: a receiver treats this as a gap, never as going back.
            self._ts_delta = (last_ts + self.producer.clock_rate - timestamp) & 0xFFFFFFFF
        if self.producer.last_sender_report is not None:
            self.sender_report(*self.producer.last_sender_report)

    @property
    def last_sent(self) -> tuple[int, int] | None:
        """(sequence, timestamp) of the last packet sent, for a successor on the same SSRC."""
        if not self._started:
            return self._resume_from
        return self._last_seq, self._last_ts

    def request_keyframe(self) -> None:
        """The subscriber lost its picture (RFC 4585 PLI or RFC 5104 FIR)."""
        self.producer.request_keyframe()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.producer.remove_consumer(self)
