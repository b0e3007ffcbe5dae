"""Periodic work of many peers, woken together.

Each wake-up of the event loop costs the server a context switch and a pass through the loop,
which on a shared 2-core VM measured more than the work many timers do. So a peer's periodic
timers (sender reports, simulcast layer choice) are due on a grid: their times rounded up to a
whole TICK, and the timers of every peer that fall due on the same tick run in one wake-up.
With 80 subscribers that took the server's CPU with no media flowing from 26 to 18 ms a
second (docs/benchmarks.md).
"""

from __future__ import annotations

import math

TICK = 0.25  # seconds: the server wakes at most four times a second for such timers


def on_tick(when: float) -> float:
    """`when` (event-loop time, seconds) rounded up to the next whole TICK."""
    return math.ceil(when / TICK) * TICK
