"""What one subscriber receives, and at what rate: which videos go (paused by the client, or
stopped because its downlink cannot carry them), on which simulcast layer, and which voices
(all, or a data saver's loudest speaker only).

It decides from the subscriber's tiles, its downlink estimate (REMB lowered by reported loss,
sfu/downlink.py) and the room's active speakers; the connection (sfu/subscriber.py) owns the
slots and consumers it acts on, and feeds it the RTCP it reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sfu import simulcast
from sfu.consumer import Consumer
from sfu.downlink import AUDIO_SPAN, OUTAGE_GAP, Downlink, RepairMeter, SentMeter
from sfu.forwarding import AUDIO, Producer
from sfu.loss_tally import LossTally
from sfu.owner import CAMERA
from sfu.round_trip import RoundTrips
from sfu.rtcp_feedback import LossReport
from sfu.subscriber_slot import Slot

log = logging.getLogger(__name__)

# An estimate this far below what was sent is the receiver seeing its queue grow (libwebrtc's
# delay-based estimate falls to 0.85x what arrives on overuse); a REMB merely low is not.
CONGESTED = 0.9
DATA_SAVER_VOICES = 1  # voices a data saver hears at once: the loudest speaker's
# Told when the downlink stops (True) or restarts (False) a producer's video (simulcast.py OFF).
OnVideoOff = Callable[[Producer, bool], None]


class Receiving:
    def __init__(
        self, owner: str, slots: Callable[[], list[Slot]], on_video_off: OnVideoOff | None
    ) -> None:
        self.owner = owner
        self._slots = slots
        self._on_video_off = on_video_off
        self._paused_video: set[str] = set()  # owners whose video this subscriber paused
        self._video_off: set[str] = set()  # owners whose video its downlink cannot carry now
        self._speakers_only = False  # a data saver: only the active speaker's voice is sent
        self._voices: list[str] = []  # the owners a data saver hears now
        self._tiles: dict[str, tuple[int, int]] = {}  # owner -> tile size (device pixels)
        self._downlink = Downlink()  # REMB, lowered by reported loss (sfu/downlink.py)
        self._sent = SentMeter()  # everything sent to this subscriber
        self._audio_sent = SentMeter(AUDIO_SPAN)  # its audio: what the videos leave room for
        self._repairs = RepairMeter()  # the loss its reports hide behind repairs
        self._losses = LossTally()  # its receiver reports, over all its streams
        self._round_trips = RoundTrips()  # and the standing queue they show
        self._queue: float | None = None  # the latest one measured, not yet acted on
        self._queue_from = 0.0  # when the sender report that timed it went out
        self._heard_at: float | None = None  # when its latest RTCP came
        self.chooser = simulcast.LayerChooser()  # its waits are settings (tests shorten them)
        self.closed = False  # the connection closed: nothing to choose any more

    def _consumers(self) -> list[Consumer]:
        return [slot.consumer for slot in self._slots() if slot.consumer is not None]

    def forget(self, owner: str) -> None:
        """`owner` left: keep no state for them."""
        self._paused_video.discard(owner)
        self._video_off.discard(owner)
        self._tiles.pop(owner, None)

    @property
    def repairs_allowed(self) -> bool:
        return self._downlink.repairs_allowed

    @property
    def sent_rate(self) -> int:
        """Bit/s sent to this subscriber, measured between its last two receiver reports."""
        return self._sent.rate

    @property
    def speakers_only(self) -> bool:
        return self._speakers_only

    def set_video_paused(self, owner: str, paused: bool) -> None:
        """Stop or restart forwarding `owner`'s video to this subscriber (a hidden tile, a
        last-N layout). The slot stays negotiated, so resuming needs no renegotiation, only
        a key frame."""
        if paused:
            self._paused_video.add(owner)
        else:
            self._paused_video.discard(owner)
        self.apply_pauses()

    def hear_speakers_only(self, on: bool, speakers: list[str]) -> None:
        """A data saver's downlink carries the voice of the loudest speaker only (a mobile
        plan pays for every Opus stream: five people talking cost five times one); screen-share
        sound is always sent. `speakers`: the room's active speakers now, loudest first."""
        self._speakers_only = on
        self._voices = []
        self._choose_voices(speakers)
        self.apply_pauses()
        for slot in self._slots():  # and RED, which doubles the audio, goes as plain Opus
            if slot.consumer is not None and slot.kind == AUDIO:
                slot.consumer.strip_red(*slot.red_choice(on))
                slot.consumer.send_bare(on)  # nor do its header extensions go

    def follow_speakers(self, speakers: list[str]) -> None:
        """The room's active speakers changed."""
        if self._speakers_only and self._choose_voices(speakers):
            self.apply_pauses()

    def _choose_voices(self, speakers: list[str]) -> bool:
        """A data saver keeps hearing the last speaker while nobody speaks, so a pause
        between sentences does not clip the next one. True when the voices changed."""
        voices = [owner for owner in speakers if owner != self.owner][:DATA_SAVER_VOICES]
        if not voices or voices == self._voices:
            return False
        self._voices = voices
        return True

    def apply_pauses(self) -> None:
        """A video is sent when neither the subscriber nor its downlink stopped it."""
        stopped = self._paused_video | self._video_off
        for slot in self._slots():
            slot.apply_pause(stopped)
            consumer = slot.consumer
            if consumer is None or consumer.producer.kind != AUDIO:
                continue
            producer = consumer.producer
            if (
                self._speakers_only
                and producer.source == CAMERA
                and producer.owner not in self._voices
            ):
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

    @property
    def estimate(self) -> int | None:
        """What the subscriber's downlink carries, bit/s; None before its first REMB."""
        return self._downlink.estimate

    def report_sent(self, ssrc: int, ntp: int, now: float) -> None:
        """A sender report went to the subscriber on stream `ssrc`: its answers give the round
        trip (sfu/round_trip.py)."""
        self._round_trips.sent(ssrc, ntp, now)

    def heard(self, now: float) -> None:
        """RTCP came from the subscriber (its receivers report every second). After a silence
        longer than OUTAGE_GAP its link was down (`_link_returned`)."""
        if self._heard_at is not None and now - self._heard_at > OUTAGE_GAP:
            log.info("%s: link back after %.1f s", self.owner, now - self._heard_at)
            self._link_returned()
        self._heard_at = now

    def _link_returned(self) -> None:
        """What was sent during the outage is gone: its losses are not the link's verdict
        (sfu/loss_tally.py), nor is what held the rate down before it (sfu/downlink.py);
        repairing it would fill the link that just came back with seconds of stale video, so
        every video restarts at a key frame (asked for now) and no NACK for what came before
        is answered; the layer choice goes on from where it was, its wait reset
        (sfu/simulcast.py)."""
        consumers = self._consumers()
        self._round_trips.forget()
        self._queue = None
        self._downlink.link_returned()
        self._losses.link_returned(
            {c.ssrc: sent[0] for c in consumers if (sent := c.last_sent) is not None}
        )
        for consumer in consumers:
            consumer.restart_at_keyframe()  # video only: every Opus packet decodes alone
        self.chooser.link_was_down()
        self.choose_layers()

    def on_remb(self, bitrate: int) -> None:
        """The subscriber's estimate of its downlink (REMB), for the layer choice."""
        if bitrate != self._downlink.remb:
            self._downlink.remb = bitrate
            self.choose_layers()

    def on_reports(self, reports: list[LossReport], now: float) -> None:
        """The subscriber's receiver report blocks. Over at least MIN_SPAN and enough packets
        (sfu/loss_tally.py), the share lost, or the share of repairs sent when that is higher,
        and the standing queue in its round trips (sfu/round_trip.py): above 10 % lost or a
        growing queue, the estimate falls below what was sent (sfu/downlink.py)."""
        for report in reports:
            self._losses.add(report.ssrc, report.highest, report.lost, now)
            self._round_trips.answered(report.ssrc, report.lsr, report.dlsr, now)
        queue = self._round_trips.queue(now)
        if queue is not None:
            self._queue, self._queue_from = queue, self._round_trips.timed_from or now
        consumers = self._consumers()
        packets = sum(c.packets_sent for c in consumers)  # each a sum over native routes too
        sent = self._sent.update(  # repairs and late packets fill the link too
            now,
            sum(c.octets_sent + c.resent_octets for c in consumers),
            packets + sum(c.resent_packets for c in consumers),
        )
        audio = [c for c in consumers if c.producer.kind == AUDIO]
        self._audio_sent.update(
            now, sum(c.octets_sent for c in audio), sum(c.packets_sent for c in audio)
        )
        repairs = self._repairs.update(now, packets, sum(c.repairs_sent for c in consumers))
        lost = self._losses.take(now)
        if lost is None:
            return  # too few packets yet for a share that means anything
        before = self._downlink.loss_cap  # the one thing a verdict moves (REMB comes by itself)
        received, size = self._losses.received_rate(now), self._sent.packet_size
        delivered = None if received is None or size is None else int(received * size * 8)
        self._downlink.on_loss(
            max(lost, repairs), sent, now, self._queue, self._queue_from, delivered
        )
        self._queue = None
        if self._downlink.loss_cap != before:
            self.choose_layers()

    def choose_layers(self) -> None:
        """Point every simulcast consumer the subscriber shows at the layer the chooser picks
        now, or stop it when its downlink cannot carry even the lowest (sfu/simulcast.py)."""
        shown = [
            c
            for c in self._consumers()
            if c.producer.simulcast
            and not c.producer.closed
            and c.producer.owner not in self._paused_video
        ]
        if not shown or self.closed:
            return
        videos = [
            simulcast.Video(
                layers=[
                    simulcast.Layer(layer.size, layer.bitrate_when_sent)
                    for layer in c.producer.layers
                ],
                current=simulcast.OFF
                if c.producer.owner in self._video_off
                else c.producer.layers.index(c.target or c.layer),
                tile=self._tiles.get(c.producer.owner),
            )
            for c in shown
        ]
        for consumer, video in zip(shown, videos, strict=True):
            consumer.ceiling = simulcast.layer_for_tile(video.layers, video.tile)
        # The audio it receives, measured; before the first measurement a guess per stream.
        audio = self._audio_sent.rate or sum(
            simulcast.AUDIO_COST
            for c in self._consumers()
            if c.producer.kind == AUDIO and not c.paused
        )
        now = time.monotonic()
        video_sent = max(0, self._sent.rate - audio)
        budget = self._downlink.for_video(audio, video_sent, now)
        measured = self._downlink.loss_cap is not None
        congested = measured or (budget is not None and budget < video_sent * CONGESTED)
        chosen = self.chooser.choose(videos, budget, now, congested, measured)
        changed: list[tuple[Producer, bool]] = []
        for consumer, index in zip(shown, chosen, strict=True):
            owner = consumer.producer.owner
            off = index == simulcast.OFF
            if off != (owner in self._video_off):
                (self._video_off.add if off else self._video_off.discard)(owner)
                changed.append((consumer.producer, off))
            if not off:
                consumer.set_layer(index)
        if changed:
            self.apply_pauses()
            for producer, off in changed:
                log.info(
                    "%s: %s's video %s",
                    self.owner,
                    producer.owner,
                    "stops: downlink full" if off else "restarts",
                )
                if self._on_video_off is not None:
                    self._on_video_off(producer, off)
