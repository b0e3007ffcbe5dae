"""Which simulcast layer each video goes to one subscriber in: a pure decision, made when the
subscriber's feedback arrives (REMB) or its tiles change size, never per packet.

A publisher sends each camera as up to three layers (Chromium: rids q, h, f at 1/4, 1/2 and
full resolution). For every subscriber the SFU picks, per video:

- a size cap: the smallest layer that fills the tile the subscriber shows it in (a 320x180
  tile gains nothing from 640x360, and costs the subscriber's downlink and decoder);
- within that, what its link carries. The estimate comes from the subscriber's REMB
  (draft-alvestrand-rmcat-remb), which libwebrtc's delay-based estimator never lets rise much
  above what it receives (1.5x plus 10 kbit/s) and raises by only ~8 % a second, so it cannot
  say how much *more* would fit, nor confirm a step up for many seconds. What it does say
  quickly is congestion: on overuse it falls, to 0.85x what arrives. It is the videos' own
  budget: the receiver's estimator reads video packets only (audio reaches it only with
  transport-cc, which the SFU does not send to subscribers), so it is not shared with the
  audio; the loss cap, which covers everything sent, is (sfu/receiving.py). So a video climbs
  one layer at a time while the estimate does not fall, and when it falls below what the
  chosen layers cost, they drop at once to what fits; after a drop nothing climbs for a
  while (hysteresis, so a link at its limit does not flap between two layers).
- below the lowest layer, OFF: when even the lowest layers do not fit, the videos in the
  smallest tiles stop (the subscriber keeps hearing everyone; a mobile link of 500 kbit/s
  cannot carry three 150 kbit/s videos and three Opus streams with their retransmissions,
  and a full queue delays the audio by seconds). A stopped video is tried
  again like any step up, but the estimate cannot confirm it (it never rises much above what
  arrives), so a restart that is followed by a stop within RETRY_WINDOW doubles the wait
  before the next try, up to MAX_BACKOFF: a link that cannot carry it is probed ever more
  rarely, and one that recovered gets its videos back within the wait.

The consumer then switches at the target layer's next key frame (sfu/consumer.py), or stops
and restarts at a key frame for OFF (sfu/subscriber.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A layer is big enough when it has at least this share of the tile's pixels in each
# direction: upscaling by 1.33 is hard to see, and a tile between two layers takes the lower.
FILL = 0.75
# Measured bitrates are unknown until a layer has sent for a second; guesses per layer index,
# from Chromium's simulcast defaults for 640x360 and 1280x720 captures.
GUESSED_BITRATES = (150_000, 500_000, 1_500_000)
# A REMB this much below the previous one is the estimator reacting to overuse (it decreases
# to 0.85x of what arrives; rounding and audio make smaller moves noise).
FALL = 0.95
UP_INTERVAL = 2.0  # seconds between two steps up, for the estimate to react to the last one
BACKOFF = 8.0  # seconds after a drop before trying higher again
MAX_BACKOFF = 64.0  # the longest wait after drops that followed steps up again and again
RETRY_WINDOW = 10.0  # a video stopped again this soon after its restart: it did not fit
STEADY = 30.0  # seconds a step up must hold, without a drop, for the wait to be BACKOFF again
OFF = -1  # the layer "index" of a video not sent at all: the link cannot afford it
# What one forwarded Opus stream costs the subscriber's link: ~32 kbit/s of Chromium's speech
# plus 50 packets/s of RTP/SRTP/UDP/IP headers; a guess until the audio sent is measured.
AUDIO_COST = 50_000


@dataclass(frozen=True)
class Layer:
    """What the SFU knows of one layer: its size from its last key frame, its bitrate."""

    size: tuple[int, int] | None = None
    bitrate: int = 0  # bit/s; 0: not measured yet


@dataclass(frozen=True)
class Video:
    """One simulcast video as one subscriber receives it."""

    layers: Sequence[Layer]  # lowest first
    current: int  # the layer it is on, or switching to; OFF: not sent
    tile: tuple[int, int] | None = None  # device pixels the subscriber shows it in; None: any


def cost(video: Video, index: int) -> int:
    if index == OFF:
        return 0
    layer = video.layers[index]
    if layer.bitrate:
        return layer.bitrate
    return GUESSED_BITRATES[min(index, len(GUESSED_BITRATES) - 1)]


def layer_for_tile(layers: Sequence[Layer], tile: tuple[int, int] | None) -> int:
    """The lowest layer that fills `tile` (object-fit: cover), else the highest. Layers whose
    size is not known yet count as filling it only when every lower one is known not to, so
    an unknown layer is never skipped."""
    top = len(layers) - 1
    if tile is None:
        return top
    width, height = tile
    for index, layer in enumerate(layers):
        if layer.size is None:
            return index if index > 0 else top
        if layer.size[0] >= width * FILL and layer.size[1] >= height * FILL:
            return index
    return top


@dataclass
class LayerChooser:
    """One subscriber's layer decisions over time (sans-I/O: `now` comes in)."""

    up_interval: float = UP_INTERVAL
    backoff: float = BACKOFF
    _wait: float | None = None  # the wait after a drop now: `backoff`, doubled by failed tries
    _last_up: float | None = None
    _last_down: float | None = None
    _restarted_at: float | None = None  # the last step from OFF to the lowest layer
    _last_estimate: int | None = None

    def choose(
        self,
        videos: Sequence[Video],
        estimate: int | None,
        now: float,
        congested: bool = True,
        measured: bool = False,
    ) -> list[int]:
        """The layer each video should be on now, OFF for none. `estimate`: bit/s the videos may
        use (the subscriber's REMB, or, once its losses or queue set a cap, that cap less its
        audio: sfu/downlink.py `for_video`), None before the first REMB (then only tile sizes
        and the ramp limit the choice); `congested`: the link drops or queues what is sent
        (reported loss, or an estimate below what is sent). Only then does a video stop: a REMB
        that is merely low (it starts near 300 kbit/s and rises with what arrives) must not stop
        videos that would fit. `measured`: the estimate comes from what the link carried when it
        last filled (a loss or queue cap, rising while the link keeps up): a step up must fit in
        it. A REMB alone cannot confirm a step up, so then it is a trial, undone when the
        estimate falls."""
        if self._last_up is None:  # the first look: what starts (low) gets to show first
            self._last_up = now
        if self._wait is None or self._steady(now):
            self._wait = self.backoff
        caps = [layer_for_tile(v.layers, v.tile) for v in videos]
        chosen = [min(v.current, cap) for v, cap in zip(videos, caps, strict=True)]
        previous, self._last_estimate = self._last_estimate, estimate
        falling = estimate is not None and previous is not None and estimate < previous * FALL
        if (
            estimate is not None
            and falling
            and self._drop_to_fit(videos, chosen, estimate, congested)
        ):
            stopped = any(
                c == OFF and v.current != OFF for v, c in zip(videos, chosen, strict=True)
            )
            restarted = self._restarted_at
            if stopped and restarted is not None and now - restarted < RETRY_WINDOW:
                self._wait = min(self._wait * 2, MAX_BACKOFF)  # the restart did not fit
            self._last_down = now
            return chosen
        if self._may_step_up(now):
            below = [i for i, cap in enumerate(caps) if chosen[i] < cap]
            if below:
                # The video on the lowest layer first, so every tile gets a usable picture
                # before any gets a sharp one; ties go to the biggest tile.
                step = min(below, key=lambda i: (chosen[i], -_area(videos[i].tile)))
                after = [c + 1 if i == step else c for i, c in enumerate(chosen)]
                if not measured or estimate is None or _total(videos, after) <= estimate:
                    if chosen[step] == OFF:
                        self._restarted_at = now
                    chosen = after
                    self._last_up = now
        return chosen

    @staticmethod
    def _drop_to_fit(
        videos: Sequence[Video], chosen: list[int], budget: int, may_stop: bool
    ) -> bool:
        """Lower the costliest videos one layer at a time until the budget covers them; below
        the lowest layer (`may_stop`) a video stops, the one in the smallest tile first."""
        dropped = False
        while _total(videos, chosen) > budget:
            sent = [i for i, c in enumerate(chosen) if c != OFF]
            if not sent:
                break
            above = [i for i in sent if chosen[i] > 0]
            if above:
                top = max(above, key=lambda i: (chosen[i], cost(videos[i], chosen[i])))
            elif not may_stop:
                break
            else:  # all on their lowest layer: the least visible one stops
                top = min(sent, key=lambda i: (_area(videos[i].tile), -i))
            chosen[top] = OFF if chosen[top] == 0 else chosen[top] - 1
            dropped = True
        return dropped

    def link_was_down(self) -> None:
        """The subscriber sent nothing for seconds (an outage): its next estimate starts a new
        series instead of reading as a fall from the last one before the outage, and the drops
        before it hold no stopped video back: the wait is the shortest again and the next look
        may restart one at once, the others one per `up_interval` as after a join. (Restarting
        every stopped video at once, as before, refilled the link that had just come back:
        the field benchmark's trace showed them all stopped again within two seconds.)"""
        self._last_estimate = None
        self._wait, self._last_down, self._restarted_at = self.backoff, None, None
        self._last_up = -math.inf  # the next step up need not wait

    def _steady(self, now: float) -> bool:
        """The last step up came after the last drop and has held for STEADY seconds."""
        up, down = self._last_up, self._last_down
        return up is not None and down is not None and up > down and now - up >= STEADY

    def _may_step_up(self, now: float) -> bool:
        wait = self._wait if self._wait is not None else self.backoff
        if self._last_down is not None and now - self._last_down < wait:
            return False
        return self._last_up is None or now - self._last_up >= self.up_interval


def _total(videos: Sequence[Video], chosen: Sequence[int]) -> int:
    return sum(cost(v, c) for v, c in zip(videos, chosen, strict=True))


def _area(tile: tuple[int, int] | None) -> int:
    return 1 << 30 if tile is None else tile[0] * tile[1]


def publisher_remb(cap: int, estimate: int | None, incoming: int) -> int:
    """The REMB for a simulcast publisher. The uplink estimate stays near 1.5x what arrives,
    and libwebrtc turns a higher layer on only once its bitrate fits on top of the lower
    layers': capped at the estimate, the top layer would never start. So the cap is sent
    unless the estimate shows congestion (it fell below what arrives), and then the estimate.
    """
    if estimate is None or estimate >= incoming:
        return cap
    return min(cap, estimate)
