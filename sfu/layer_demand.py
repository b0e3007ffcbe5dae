"""Which simulcast layers a publisher should send: those some subscriber receives.

A phone that sends its camera as two or three layers spends its uplink on all of them, though
in a meeting of phones nobody may watch the top one (every tile is small) and, alone in a
room, nobody watches any. The SFU tells the publisher which layers to keep (`publish_layers`,
docs/protocol.md) and the browser turns the others off (RTCRtpEncodingParameters.active).

- A layer is wanted while a consumer is on it or waiting for its key frame to switch to it,
  or while a subscriber's tile is big enough to use it: the subscriber climbs to it as its
  link allows, and can only climb to a layer that is being sent. A phone's small tiles cap
  every subscriber below the top layer, so the top layer is what stops.
- The lowest layer stays on while anyone receives the track at all: a subscriber whose link
  fails must be able to drop to it at once.
- A layer nobody wants goes off only after HOLD seconds, so a tile resized back and forth, or
  a subscriber stepping down and up again, does not make the encoder stop and restart.
- A layer wanted again goes on at once (the subscriber that wants it waits for its key frame,
  which the encoder sends when the layer starts).

Sans-I/O: the caller passes what it sees and `now`, and sends the answer when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfu.forwarding import Producer

HOLD = 5.0  # seconds a layer stays on after the last subscriber left it


def wanted_layers(track: Producer) -> list[bool]:
    """Per layer of a simulcast `track`: whether some consumer that is not paused is on it,
    waiting to switch to it, or has a tile that could use it (its `ceiling`), so a step up
    has a layer to take."""
    watching = [c for layer in track.layers for c in layer.consumers if not c.paused]
    return [
        bool(layer.switching) or any(c.layer is layer or c.ceiling >= index for c in watching)
        for index, layer in enumerate(track.layers)
    ]


@dataclass
class LayerDemand:
    """One simulcast track's layers, lowest first."""

    count: int
    active: list[bool] = field(default_factory=list)  # as last told; [] before any decision
    _wanted_at: list[float | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.active = [True] * self.count  # the browser starts with every layer on
        self._wanted_at = [None] * self.count

    def update(self, wanted: Sequence[bool], now: float) -> list[bool] | None:
        """`wanted[i]`: some consumer is on layer i or switching to it. Returns the layers
        to keep on when that changed, else None. The first look counts as wanted for all, so
        a layer nobody takes goes off HOLD seconds after the track starts."""
        anyone = any(wanted)
        keep: list[bool] = []
        for index, want in enumerate(wanted):
            last = self._wanted_at[index]
            if want or (index == 0 and anyone) or last is None:
                self._wanted_at[index] = last = now
            keep.append(now - last < HOLD)
        if keep == self.active:
            return None
        self.active = keep
        return keep
