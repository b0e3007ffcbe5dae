"""What a browser subscriber sends back to the SFU, for the load test's counting subscribers.

A browser receiving media sends a compound RTCP packet about once a second: a receiver report
with a block per stream (RFC 3550 6.4.2; the interval randomized to 0.5-1.5 times its value,
6.3.1) and its bandwidth estimate as REMB (draft-alvestrand-rmcat-remb). The load test's
subscribers count packets from the socket callback instead of handing them to aiortc's
receivers, and aiortc's receivers report only what they saw: without this the SFU would never
pay for its subscribers' RTCP, and the load test would size a server too optimistically.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from sfu import peer as sfu_peer
from sfu.reception import ReportBlock

REPORT_INTERVAL = 1.0  # seconds, on average
# The bandwidth a subscriber reports: plenty, so the SFU chooses layers by tile size alone
# (a browser on a good link reports several Mbit/s).
REMB_BITRATE = 10_000_000

# (SSRC, its report block or None when there is none to give) for every stream received.
Streams = Callable[[float], list[tuple[int, ReportBlock | None]]]


async def report_periodically(receiver: Any, streams: Streams) -> None:
    """Send receiver reports and REMB as `receiver` (an aiortc RTCRtpReceiver of the subscribe
    connection, whose RTCP SSRC they carry) until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(REPORT_INTERVAL * (0.5 + random.random()))
        received = streams(loop.time())
        if not received:
            continue
        blocks = [(ssrc, block) for ssrc, block in received if block is not None]
        remb = (REMB_BITRATE, [ssrc for ssrc, _block in received])
        await sfu_peer.send_receiver_report(receiver, blocks, remb)
