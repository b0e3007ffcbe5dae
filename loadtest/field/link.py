"""One direction of an emulated bad link, sans I/O: netem's arithmetic in Python.

A packet offered at `now` is lost (random or Gilbert-Elliott burst loss), refused by a full
queue (tail drop), or given the time it leaves: after the one-way delay (plus jitter that
never reorders) and after the packets before it have been serialized at the link rate.
That is what Linux's netem computes in `netem_enqueue` (sch_netem.c): with a rate set, a
packet's time to send is max(now + delay, time to send of the packet before it) + its
serialization time, so a burst queues behind the bottleneck and then travels the delay. The
queue limit counts every packet held, in the delay line or waiting for the link, as netem's
`limit` (1,000 packets by default) does. An outage drops every packet offered while it lasts.

The I/O glue (loadtest/field/emulator.py) feeds packets in and takes out those due; nothing
here reads a clock or touches a socket.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

DEFAULT_QUEUE = 1000  # packets, netem's default limit


@dataclass(frozen=True)
class PipeConfig:
    """One direction's impairments. `loss_burst` is the mean number of packets lost in a row
    (1: independent losses); `rate_bps` 0 means no rate limit."""

    delay_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    loss_burst: float = 1.0
    rate_bps: float = 0.0
    queue: int = DEFAULT_QUEUE

    def __post_init__(self) -> None:
        if not 0 <= self.delay_s <= 10 or not 0 <= self.jitter_s <= self.delay_s:
            raise ValueError("delay must be 0-10 s and jitter 0-delay")
        if not 0 <= self.loss < 1:
            raise ValueError("loss must be 0 <= loss < 1")
        if not 1 <= self.loss_burst <= 1000:
            raise ValueError("the mean loss burst must be 1-1000 packets")
        if self.rate_bps < 0 or 0 < self.rate_bps < 8_000:
            raise ValueError("the rate must be 0 (unlimited) or at least 8000 bit/s")
        if not 1 <= self.queue <= 100_000:
            raise ValueError("the queue must hold 1-100000 packets")


class GilbertElliott:
    """Two-state burst loss (netem's `loss gemodel p r` with 1-h = 1 and 1-k = 0): in the bad
    state every packet is lost, in the good state none. p (good -> bad) and r (bad -> good)
    are chosen so the long-run loss is `loss` and a burst lasts `mean_burst` packets on
    average: r = 1 / mean_burst and p = loss * r / (1 - loss) (the stationary bad share
    p / (p + r) is then `loss`). Bursts of 1 are plain independent loss: see `Pipe`."""

    def __init__(self, loss: float, mean_burst: float) -> None:
        self.to_good = 1.0 / mean_burst
        self.to_bad = loss * self.to_good / (1.0 - loss)
        self.bad = False

    def lost(self, draw: float) -> bool:
        """One packet's fate from one uniform draw in [0, 1); the state moves first, as in
        netem's loss_gilb_ell()."""
        if self.bad:
            self.bad = draw >= self.to_good
        else:
            self.bad = draw < self.to_bad
        return self.bad


@dataclass
class PipeCounters:
    offered: int = 0
    bytes_offered: int = 0
    delivered: int = 0
    bytes_delivered: int = 0
    lost: int = 0
    queue_drops: int = 0
    outage_drops: int = 0
    queue_peak: int = 0


@dataclass
class Pipe:
    """One direction: offer packets, take the due ones. FIFO: packets leave in order."""

    config: PipeConfig
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counters: PipeCounters = field(default_factory=PipeCounters)
    down_until: float = float("-inf")

    def __post_init__(self) -> None:
        self._bursts = GilbertElliott(self.config.loss, self.config.loss_burst)
        self._held: deque[tuple[float, bytes]] = deque()
        self._last_leaves = float("-inf")

    def reconfigure(self, config: PipeConfig) -> None:
        """New impairments for packets offered from now on; packets held keep their times."""
        self.config = config
        self._bursts = GilbertElliott(config.loss, config.loss_burst)

    def go_down(self, now: float, seconds: float) -> None:
        """Drop every packet offered during [now, now + seconds): the link is cut."""
        self.down_until = now + seconds

    def offer(self, now: float, packet: bytes) -> float | None:
        """The time `packet` leaves, or None when it is dropped."""
        self.counters.offered += 1
        self.counters.bytes_offered += len(packet)
        if now < self.down_until:
            self.counters.outage_drops += 1
            return None
        if self._lost():
            self.counters.lost += 1
            return None
        if len(self._held) >= self.config.queue:
            self.counters.queue_drops += 1
            return None
        leaves = now + self.config.delay_s
        if self.config.jitter_s > 0:
            leaves += self.rng.uniform(-self.config.jitter_s, self.config.jitter_s)
        # Never before the packet ahead of it (no reordering, and the link is busy until then).
        leaves = max(leaves, self._last_leaves)
        if self.config.rate_bps > 0:
            leaves += len(packet) * 8 / self.config.rate_bps
        self._last_leaves = leaves
        self._held.append((leaves, packet))
        self.counters.queue_peak = max(self.counters.queue_peak, len(self._held))
        return leaves

    def _lost(self) -> bool:
        if self.config.loss == 0:
            return False
        if self.config.loss_burst == 1:  # netem's `loss random`
            return self.rng.random() < self.config.loss
        return self._bursts.lost(self.rng.random())

    def next_due(self) -> float | None:
        """When the first held packet leaves, or None when none is held."""
        return self._held[0][0] if self._held else None

    def take_due(self, now: float) -> list[bytes]:
        """The packets whose time has come, in order; they count as delivered."""
        due: list[bytes] = []
        while self._held and self._held[0][0] <= now:
            packet = self._held.popleft()[1]
            due.append(packet)
            self.counters.bytes_delivered += len(packet)
        self.counters.delivered += len(due)
        return due

    @property
    def held(self) -> int:
        return len(self._held)
