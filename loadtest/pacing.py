"""A send pacer for the load test's publisher, modelled on what browsers do.

aiortc hands a whole frame's packets to the socket at once; Chromium's pacer spreads them out
at a multiple (2.5 by default) of the target bitrate. Unpaced key frames arrive at the SFU as a
burst, and the last packet of the burst waits for the fan-out of all the others: the delay then
measures the load generator's burstiness, not what real publishers see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from loadtest import latency

CHROMIUM_PACING_FACTOR = 2.5


class Pacer:
    """Sans-I/O: how long to hold each packet so the stream never exceeds `bits_per_second`."""

    def __init__(self, bits_per_second: float) -> None:
        if bits_per_second <= 0:
            raise ValueError("the pacing rate must be positive")
        self._seconds_per_byte = 8 / bits_per_second
        self._next_free = 0.0

    def delay(self, size: int, now: float) -> float:
        start = max(now, self._next_free)
        self._next_free = start + size * self._seconds_per_byte
        return start - now


def paced(
    send: Callable[[bytes], Awaitable[None]], pacer: Pacer, abs_send_time_id: int
) -> Callable[[bytes], Awaitable[None]]:
    """Wrap a transport's RTP send: RTP waits for its slot and is stamped with abs-send-time
    when it really leaves (as browsers stamp it); RTCP goes at once."""
    loop = asyncio.get_running_loop()

    async def send_paced(data: bytes) -> None:
        if len(data) >= 2 and 192 <= data[1] <= 223:  # RTCP (RFC 5761 section 4)
            await send(data)
            return
        wait = pacer.delay(len(data), loop.time())
        if wait > 0:
            await asyncio.sleep(wait)
        if abs_send_time_id:
            data = latency.restamp(data, abs_send_time_id, latency.abs_send_time_now())
        await send(data)

    return send_paced
