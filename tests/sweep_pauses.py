"""A background sweep's pauses between rounds, in the test's hands, for loops that take
`pause` (server/upload_expiry.py, rooms/meeting/egress/retention.py): a sweep at a pause has
finished a round, and the next round starts only when the test lets it. No test waits for time
to pass or polls for a sweep's work."""

from __future__ import annotations

import asyncio

DEADLINE_S = 10.0  # for a sweep that is broken, never a delay: a round takes milliseconds


class SweepPauses:
    def __init__(self) -> None:
        self.intervals: list[float] = []  # what each pause asked for, in order
        self._reached = asyncio.Condition()
        self._released = 0

    async def pause(self, seconds: float) -> None:
        """The sweep's `pause`: note it, then wait until the test releases this one."""
        async with self._reached:
            self.intervals.append(seconds)
            self._reached.notify_all()
            mine = len(self.intervals)
            await self._reached.wait_for(lambda: self._released >= mine)

    async def reached(self, count: int) -> None:
        """Return once the sweep has reached its `count`th pause (count - 1 pauses released)."""
        async with asyncio.timeout(DEADLINE_S):
            async with self._reached:
                await self._reached.wait_for(lambda: len(self.intervals) >= count)

    async def release(self) -> None:
        """Let the sweep go on from its latest pause."""
        async with self._reached:
            self._released += 1
            self._reached.notify_all()
