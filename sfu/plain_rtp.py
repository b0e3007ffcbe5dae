"""Plain RTP out: one producer's packets, unencrypted, to a UDP port on this machine.

Egress (rooms/meeting/egress/) hands the programme to ffmpeg, which reads RTP described by an
SDP file (`ffmpeg_sdp`) on loopback ports. A `PlainRtpSink` is that output for one kind: it
receives through an ordinary `Consumer`, like any subscriber, so key-frame gating, RED
stripping and simulcast layers work as they do for browsers, and no new code sits on the
forwarding path. Nothing here is encrypted: it never leaves the machine (127.0.0.1 only).

Following another producer (the next speaker) is make-before-break: the new consumer is added
at once (which asks its publisher for a key frame) and the old one keeps sending until the new
one's first packet, a key frame for video, arrives. The sink numbers its output itself, so the
switch is one continuous stream on one SSRC: sequence numbers go on without a gap (a gap would
read as loss) and the RTP clock moves by the wall time that passed (RFC 3550 5.1).

A simulcast camera is sent from its best layer that is arriving, not simply its top one: a
browser leaves its top layers off while its uplink estimate or its CPU cannot afford them
(Chromium on a loaded machine sent only its 320x180 layer for a whole minute), and a sink on a
layer that never comes would leave the encoder without that picture. The consumer moves
between layers at key frames, as a browser subscriber's does (sfu/layer_switching.py).
"""

from __future__ import annotations

import secrets
import socket
import struct
from collections.abc import Callable

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, VIDEO, Producer

VP8_PT = 96  # the payload types written into the SDP ffmpeg reads (RFC 3551 dynamic range)
OPUS_PT = 111
LOOPBACK = "127.0.0.1"
_SEQ_TS = struct.Struct("!HI")
_HEADER = struct.Struct("!BBHII")
# One 20 ms Opus frame of silence (RFC 6716 3.1: TOC 0xF8, CELT fullband 20 ms, one frame;
# then a frame that decodes to silence), what a voice sends when nobody speaks into it.
OPUS_SILENCE = b"\xf8\xff\xfe"
OPUS_FRAME_TICKS = 960  # 20 ms at 48 kHz
SILENCE_AFTER = 0.06  # seconds without a packet before silence fills in
LAYER_CHECK = 1.0  # seconds between two looks at which simulcast layers are arriving


class _Source:
    """One consumer feeding the sink and how its numbering maps to the sink's."""

    __slots__ = ("consumer", "seq_delta", "ts_delta")

    def __init__(self) -> None:
        self.consumer: Consumer | None = None
        self.seq_delta: int | None = None  # set at the source's first packet
        self.ts_delta = 0


class PlainRtpSink:
    """Sends the producer it follows to `port` on loopback as plain RTP with one SSRC."""

    def __init__(self, kind: str, port: int, clock: Callable[[], float]) -> None:
        if kind not in (AUDIO, VIDEO):
            raise ValueError(f"kind must be {AUDIO!r} or {VIDEO!r}")
        self.kind = kind
        self.payload_type = VP8_PT if kind == VIDEO else OPUS_PT
        self.clock_rate = 90000 if kind == VIDEO else 48000
        self.ssrc = secrets.randbits(32)
        self.address = (LOOPBACK, port)
        self.packets_sent = 0
        self.octets_sent = 0
        self.send_failures = 0
        self.switches = 0  # times the output moved to another producer
        self.layer_changes = 0  # times it asked to move to another layer of the same camera
        self.silence_sent = 0  # frames of silence filled in (fill_silence)
        self.closed = False
        self._clock = clock
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._active: _Source | None = None  # what goes out now
        self._next: _Source | None = None  # what takes over at its first packet
        self._last_seq = secrets.randbelow(0x10000)  # RFC 3550 5.1: random first numbers
        self._last_ts = secrets.randbits(32)
        self._last_sent_at: float | None = None
        # Packets each layer of the camera followed had received at the last look (LAYER_CHECK).
        self._layer_counts: list[int] = []
        self._layers_seen_at = 0.0

    @property
    def producer(self) -> Producer | None:
        """The producer followed (the one taking over, while a switch waits for it)."""
        source = self._next or self._active
        return source.consumer.producer if source and source.consumer else None

    def follow(self, producer: Producer | None) -> None:
        """Send `producer` from its next usable packet on; None stops sending. Called again
        with the same producer (egress does, on every tick), it keeps a simulcast camera on
        its best layer that is arriving."""
        if self.closed:
            return
        if producer is self.producer:
            if producer is not None and producer.simulcast:
                self._follow_arriving_layer()
            return
        if self._next is not None:  # a switch still waiting: replaced by this one
            self._drop(self._next)
            self._next = None
        if producer is None:
            if self._active is not None:
                self._drop(self._active)
                self._active = None
            return
        if producer.kind != self.kind:
            raise ValueError(f"a {self.kind} sink cannot send a {producer.kind} producer")
        source = _Source()
        self._layer_counts = [layer.packets_received for layer in producer.layers]
        self._layers_seen_at = self._clock()
        source.consumer = Consumer(
            producer,
            self.ssrc,
            self.payload_type,
            lambda buf: self._send(source, buf),
            layer=_best_layer_sent(producer),  # encoded once, for everyone: the best picture
            strip_red=producer.red,  # ffmpeg reads Opus, not RFC 2198
        )
        self._next = source
        producer.add_consumer(source.consumer)  # a video consumer asks for a key frame

    def _follow_arriving_layer(self) -> None:
        """Every LAYER_CHECK, move to the highest layer that received packets since the last
        look, down when the one sent stopped, up when a better one came back (at its key
        frame, asked for by the consumer). When none arrived, nothing changes."""
        source = self._next or self._active
        consumer = source.consumer if source is not None else None
        now = self._clock()
        if consumer is None or now - self._layers_seen_at < LAYER_CHECK:
            return
        layers = consumer.producer.layers
        counts = [layer.packets_received for layer in layers]
        before, self._layer_counts, self._layers_seen_at = self._layer_counts, counts, now
        arriving = [
            index
            for index, (then, since) in enumerate(zip(before, counts, strict=False))
            if since > then
        ]
        if arriving and layers[arriving[-1]] is not (consumer.target or consumer.layer):
            consumer.set_layer(arriving[-1])
            self.layer_changes += 1

    def request_keyframe(self) -> None:
        """The reader has no picture (ffmpeg started after the last key frame, or lost one):
        ask the publisher for a key frame."""
        source = self._next or self._active
        if source is not None and source.consumer is not None:
            source.consumer.request_keyframe()

    def _send(self, source: _Source, buf: bytearray) -> bool:
        if source is self._next:  # the first packet of the producer taking over
            if self._active is not None:
                self._drop(self._active)
            self._active, self._next = source, None
            if self._last_sent_at is not None:
                self.switches += 1
        elif source is not self._active:
            return True  # a consumer being dropped; nothing of it goes out any more
        now = self._clock()
        seq, ts = _SEQ_TS.unpack_from(buf, 2)
        if source.seq_delta is None:
            elapsed = 0.0 if self._last_sent_at is None else now - self._last_sent_at
            ticks = max(1, round(elapsed * self.clock_rate))
            source.seq_delta = (self._last_seq + 1 - seq) & 0xFFFF
            source.ts_delta = (self._last_ts + ticks - ts) & 0xFFFFFFFF
        out_seq = (seq + source.seq_delta) & 0xFFFF
        out_ts = (ts + source.ts_delta) & 0xFFFFFFFF
        _SEQ_TS.pack_into(buf, 2, out_seq, out_ts)
        try:
            self._socket.sendto(buf, self.address)
        except OSError:  # a full socket buffer (ffmpeg stalled): a video consumer waits
            self.send_failures += 1  # for the next key frame, as for a full browser link
            return False
        if (out_seq - self._last_seq) & 0xFFFF < 0x8000:  # newer, not a late repair
            self._last_seq, self._last_ts = out_seq, out_ts
            self._last_sent_at = now
        self.packets_sent += 1
        self.octets_sent += len(buf)
        return True

    def fill_silence(self) -> None:
        """Audio: when nothing went out for SILENCE_AFTER (no speaker, a dropped packet, a
        browser's DTX pause), send a frame of silence, so a mixer that reads every voice in
        step (ffmpeg's amix) never waits for this one. The producer's next packet re-anchors
        the numbering after it, like a switch."""
        if self.kind != AUDIO or self.closed:
            return
        now = self._clock()
        last = self._last_sent_at
        if last is not None and now - last < SILENCE_AFTER:
            return
        ticks = OPUS_FRAME_TICKS if last is None else round((now - last) * self.clock_rate)
        seq = (self._last_seq + 1) & 0xFFFF
        ts = (self._last_ts + max(ticks, OPUS_FRAME_TICKS)) & 0xFFFFFFFF
        packet = _HEADER.pack(0x80, self.payload_type, seq, ts, self.ssrc) + OPUS_SILENCE
        try:
            self._socket.sendto(packet, self.address)
        except OSError:
            self.send_failures += 1
            return
        self._last_seq, self._last_ts, self._last_sent_at = seq, ts, now
        self.silence_sent += 1
        if self._active is not None:
            self._active.seq_delta = None  # its next packet numbers on from the silence

    @staticmethod
    def _drop(source: _Source) -> None:
        if source.consumer is not None:
            source.consumer.close()
            source.consumer = None

    def close(self) -> None:
        """Idempotent: stops following and closes the socket."""
        if self.closed:
            return
        self.follow(None)
        self.closed = True
        self._socket.close()


def _best_layer_sent(producer: Producer) -> int:
    """The highest layer that has sent anything (a browser may never turn its top one on),
    else the top one."""
    layers = producer.layers
    sent = [index for index, layer in enumerate(layers) if layer.packets_received]
    return sent[-1] if sent else len(layers) - 1


def ffmpeg_sdp(video_ports: list[int], audio_ports: list[int]) -> str:
    """The session description ffmpeg reads the sinks with (`-i file.sdp`): one m-line per
    picture, then one per voice."""
    lines = [
        "v=0",
        f"o=- 0 0 IN IP4 {LOOPBACK}",
        "s=Kamar egress",
        f"c=IN IP4 {LOOPBACK}",
        "t=0 0",
    ]
    for port in video_ports:
        lines += [f"m=video {port} RTP/AVP {VP8_PT}", f"a=rtpmap:{VP8_PT} VP8/90000"]
    for port in audio_ports:
        lines += [f"m=audio {port} RTP/AVP {OPUS_PT}", f"a=rtpmap:{OPUS_PT} opus/48000/2"]
    return "\r\n".join([*lines, ""])


def free_port_pair() -> int:
    """An even UDP port on loopback whose next port is free too: ffmpeg reads RTP on the
    even port and RTCP on the odd one above it (RFC 3550 11). Free when asked; a process that
    takes it meanwhile makes ffmpeg fail to start, and egress chooses again before it restarts
    ffmpeg (rooms/meeting/egress/egress.py)."""
    for _attempt in range(64):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtp_socket:
            rtp_socket.bind((LOOPBACK, 0))
            port = rtp_socket.getsockname()[1]
            if port % 2 or port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtcp_socket:
                try:
                    rtcp_socket.bind((LOOPBACK, port + 1))
                except OSError:
                    continue
                return int(port)
    raise OSError("no free pair of UDP ports on loopback")
