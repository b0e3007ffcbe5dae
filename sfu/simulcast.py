"""Which simulcast layer each video goes to one subscriber in: a pure decision, made when the
subscriber's feedback arrives (REMB) or its tiles change size, never per packet.

A publisher sends each camera as up to three layers (Chromium: rids q, h, f at 1/4, 1/2 and
full resolution). For every subscriber the SFU picks, per video:

- a size cap: the smallest layer that fills the tile the subscriber shows it in (a 320x180
  tile gains nothing from 640x360, and costs the subscriber's downlink and decoder);
- within that, what its link carries. The estimate comes from the subscriber's REMB
  (draft-alvestrand-rmcat-remb), which libwebrtc's delay-based estimator never lets rise much
  above what it receives (1.5x plus 10 kbit/s), so it cannot say how much *more* would fit:
  it only says whether what is sent now fits. Like an encoder ramping up, a video climbs one
  layer at a time while the estimate shows no congestion, and drops at once when it does;
  after a drop it waits before it tries again (hysteresis, so it does not flap).

The consumer then switches at the target layer's next key frame (sfu/consumer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A layer is big enough when it has at least this share of the tile's pixels in each
# direction: upscaling by 1.33 is hard to see, and a tile between two layers takes the lower.
FILL = 0.75
# Measured bitrates are unknown until a layer has sent for a second; guesses per layer index,
# from Chromium's simulcast defaults for 640x360 and 1280x720 captures.
GUESSED_BITRATES = (150_000, 500_000, 1_500_000)
# The estimate counts audio and every video; below this share of what the chosen layers
# send, the link is taken as congested.
CONGESTED_BELOW = 0.9
UP_INTERVAL = 2.0  # seconds between two steps up, for the estimate to react to the last one
BACKOFF = 8.0  # seconds after a drop before trying higher again


@dataclass(frozen=True)
class Layer:
    """What the SFU knows of one layer: its size from its last key frame, its bitrate."""

    size: tuple[int, int] | None = None
    bitrate: int = 0  # bit/s; 0: not measured yet


@dataclass(frozen=True)
class Video:
    """One simulcast video as one subscriber receives it."""

    layers: Sequence[Layer]  # lowest first
    current: int  # the layer it is on, or switching to
    tile: tuple[int, int] | None = None  # device pixels the subscriber shows it in; None: any


def cost(video: Video, index: int) -> int:
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
    _last_up: float | None = None
    _last_down: float | None = None

    def choose(self, videos: Sequence[Video], estimate: int | None, now: float) -> list[int]:
        """The layer each video should be on now. `estimate`: the subscriber's REMB in bit/s,
        None before the first one (then only tile sizes and the ramp limit the choice)."""
        caps = [layer_for_tile(v.layers, v.tile) for v in videos]
        chosen = [min(v.current, cap) for v, cap in zip(videos, caps, strict=True)]
        if estimate is not None and self._drop_while_congested(videos, chosen, estimate):
            self._last_down = now
            return chosen
        if self._may_step_up(now, estimate, videos, chosen):
            below = [i for i, cap in enumerate(caps) if chosen[i] < cap]
            if below:
                # The video on the lowest layer first, so every tile gets a usable picture
                # before any gets a sharp one; ties go to the biggest tile.
                step = min(below, key=lambda i: (chosen[i], -_area(videos[i].tile)))
                chosen[step] += 1
                self._last_up = now
        return chosen

    def _drop_while_congested(
        self, videos: Sequence[Video], chosen: list[int], estimate: int
    ) -> bool:
        """Lower the costliest videos one layer at a time until the estimate covers them."""
        dropped = False
        while sum(cost(v, c) for v, c in zip(videos, chosen, strict=True)) * (
            CONGESTED_BELOW
        ) > estimate and any(chosen):
            top = max(range(len(chosen)), key=lambda i: (chosen[i], cost(videos[i], chosen[i])))
            chosen[top] -= 1
            dropped = True
        return dropped

    def _may_step_up(
        self, now: float, estimate: int | None, videos: Sequence[Video], chosen: list[int]
    ) -> bool:
        if self._last_down is not None and now - self._last_down < self.backoff:
            return False
        if self._last_up is not None and now - self._last_up < self.up_interval:
            return False
        if estimate is None:
            return True
        return estimate >= sum(cost(v, c) for v, c in zip(videos, chosen, strict=True))


def _area(tile: tuple[int, int] | None) -> int:
    return 1 << 30 if tile is None else tile[0] * tile[1]
