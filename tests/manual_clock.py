"""A clock and its timers that a test moves on by hand, for code that takes `clock` and
`call_later` (sfu/arrival_reports.py): time passes only in `advance`, so nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class ManualTimer:
    when: float
    order: int  # timers due at the same time run in the order they were set
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)  # or ran: a timer runs once

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.timers: list[ManualTimer] = []
        self.on_move: list[Callable[[float], None]] = []  # told each new time, e.g. C's clock

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(self.now + delay, len(self.timers), callback)
        self.timers.append(timer)
        return timer

    @property
    def pending(self) -> list[ManualTimer]:
        return sorted(t for t in self.timers if not t.cancelled)

    def advance(self, seconds: float) -> None:
        """Move time on by `seconds`, running each timer that falls due on the way at its time."""
        end = self.now + seconds
        while True:
            due = [t for t in self.pending if t.when <= end]
            if not due:
                break
            self._move_to(due[0].when)
            due[0].cancelled = True
            due[0].callback()
        self._move_to(end)

    def _move_to(self, now: float) -> None:
        self.now = now
        for tell in self.on_move:
            tell(now)
