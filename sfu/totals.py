"""What this process's SFU has forwarded and received since it started, for its metrics.

Counting per packet stays where it is (plain ints on each producer and consumer, and in the
native routes); nothing here runs per packet. A producer or consumer adds its counts here once,
when it closes, so live counts (summed when the metrics are read) plus these make totals that
only grow, as Prometheus counters must.
"""

from __future__ import annotations


class Totals:
    __slots__ = ("forwarded_packets", "forwarded_octets", "received_packets", "received_octets")

    def __init__(self) -> None:
        self.forwarded_packets = 0  # RTP packets sent to subscribers (repairs included)
        self.forwarded_octets = 0
        self.received_packets = 0  # RTP packets admitted from publishers
        self.received_octets = 0


CLOSED = Totals()  # of producers and consumers closed so far in this process
