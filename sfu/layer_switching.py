"""Simulcast for one Consumer: moving between a producer's layers (RFC 8853) at key frames,
numbered on without a seam (RFC 3550 5.1 sequence and timestamp, RFC 7741 4.2 VP8 picture ids).

A part of sfu/consumer.py's Consumer, kept apart as its own concept: `LayerSwitching` holds no
state of its own and works on the consumer's numbering, which the declarations below name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sfu.layer_clock import same_instant, timestamp_after_switch
from sfu.rtp import Vp8Fields, write_picture_id

if TYPE_CHECKING:
    from sfu.consumer import Consumer
    from sfu.forwarding import Producer


class LayerSwitching:
    if TYPE_CHECKING:  # the Consumer's state this part reads and writes (its __slots__)
        producer: Producer
        layer: Producer
        target: Producer | None
        switches: int
        closed: bool
        paused: bool
        waiting_for_keyframe: bool
        _started: bool
        _resuming: bool
        _rebase_from: Producer | None
        _first_seq: int
        _seq_delta: int
        _ts_delta: int
        _last_seq: int
        _last_ts: int
        _sent_at: float
        _pid_delta: int
        _tl0_delta: int
        _last_pid: int
        _last_tl0: int

        def forward(
            self, buf: bytearray, marker: int, seq: int, timestamp: int, keyframe: bool
        ) -> None: ...

        def _leave_route(self) -> None: ...

    else:  # no __dict__ beside the Consumer's slots; mypy would check each name against ()
        __slots__ = ()

    def set_layer(self, index: int) -> None:
        """Receive the simulcast layer `index` from now on. A running video moves at that
        layer's next key frame (asked for at once), so the subscriber's decoder never gets a
        delta frame it has no reference for; a paused or waiting one moves at once."""
        target = self.producer.layers[index]
        if self.closed:
            return
        if target is self.target:  # still waiting: the publisher may have ignored the request
            target.request_keyframe()
            return
        if target is self.layer and self.target is None:
            return
        self._cancel_switch()
        if target is self.layer:
            return
        if self.paused or self.waiting_for_keyframe or not self._started:
            self._move_to(target)
            return
        self.target = target
        target.switching.append(cast("Consumer", self))
        target.wait_for_keyframe()

    def switch_here(self, buf: bytearray, marker: int, seq: int, timestamp: int) -> None:
        """The target layer's key frame starts: leave the old layer and send it, numbered on
        from the last packet sent (called by the target layer, `buf` still as received)."""
        target = self.target
        if target is None:
            return
        self._leave_route()
        self._cancel_switch()
        old = self.layer
        # Safe: only the target layer is forwarding now.
        old.consumers.remove(cast("Consumer", self))
        if self.waiting_for_keyframe:  # stalled on the old layer meanwhile: this one serves
            self.waiting_for_keyframe = False
            self._resuming = False
            old.keyframe_seen()
        target.consumers.append(cast("Consumer", self))
        self.layer = target
        self.switches += 1
        self._rebase(old, seq, timestamp)
        self.forward(buf, marker, seq, timestamp, True)

    def _cancel_switch(self) -> None:
        target = self.target
        if target is not None:
            self.target = None
            target.switching.remove(cast("Consumer", self))
            target.keyframe_seen()

    def _move_to(self, target: Producer) -> None:
        """Change layers while nothing is being sent (paused, or waiting for a key frame)."""
        self._leave_route()
        old = self.layer
        old.consumers.remove(cast("Consumer", self))
        if self.waiting_for_keyframe:
            old.keyframe_seen()
        self.layer = target
        target.consumers.append(cast("Consumer", self))
        if self.waiting_for_keyframe:
            target.wait_for_keyframe()
        if self._started:
            self.switches += 1
            self._resuming = True
            if self._rebase_from is None:  # moved twice while stopped: the first one numbered
                self._rebase_from = old

    def _rebase(self, old: Producer, seq: int, timestamp: int) -> None:
        """Number the layer's packets on from the last one `old` sent: sequence +1, picture id
        and TL0PICIDX +1 (RFC 7741 4.2), and the timestamp of the same capture instant in the
        old layer's clock. Both layers carry the same pictures, but each has its own random
        RTP offset (RFC 3550 5.1); their sender reports map both to one wall clock, so with
        both known the new timestamp is exact, and the subscriber's lip sync (which reads the
        forwarded reports) does not move. Before the reports, the time between the two
        packets' arrivals stands in, which carries the network's jitter into the clock."""
        self._rebase_from = None
        self._seq_delta = (self._last_seq + 1 - seq) & 0xFFFF
        self._first_seq = seq
        layer = self.layer
        aligned = same_instant(
            old.last_sender_report, layer.last_sender_report, layer.clock_rate, timestamp
        )
        if aligned is not None:
            aligned = (aligned + self._ts_delta) & 0xFFFFFFFF  # still the old layer's offset
        elapsed = layer.last_arrival - self._sent_at
        out_ts = timestamp_after_switch(self._last_ts, elapsed, layer.clock_rate, aligned)
        self._ts_delta = (out_ts - timestamp) & 0xFFFFFFFF
        fields = layer.vp8
        if fields is not None:
            if fields.picture_id_at and self._last_pid >= 0:
                self._pid_delta = (self._last_pid + 1 - fields.picture_id) & 0x7FFF
            if fields.tl0_at and self._last_tl0 >= 0:
                self._tl0_delta = (self._last_tl0 + 1 - fields.tl0) & 0xFF

    def _renumber_pictures(self, buf: bytearray, fields: Vp8Fields | None, newest: bool) -> None:
        if fields is None:
            return
        if fields.picture_id_at:
            picture_id = (fields.picture_id + self._pid_delta) & 0x7FFF
            write_picture_id(buf, fields.picture_id_at, fields.picture_id_bits, picture_id)
            if newest:
                self._last_pid = picture_id
        if fields.tl0_at:
            tl0 = (fields.tl0 + self._tl0_delta) & 0xFF
            buf[fields.tl0_at] = tl0
            if newest:
                self._last_tl0 = tl0
