"""Loss from RTP sequence numbers, as a receiver report computes it (RFC 3550 appendix A.3).

Counting what the publisher sent against what subscribers got is skewed at the edges of a
measuring window (packets in flight), so each subscriber tracks, per SSRC, the extended
highest sequence number seen and the packets received since the window opened.
"""

from __future__ import annotations

_HALF = 1 << 15


class SequenceTracker:
    __slots__ = ("base", "highest", "received")

    def __init__(self, seq: int) -> None:
        self.base = seq  # extended (never wraps): 16-bit sequence plus 65536 per cycle
        self.highest = seq
        self.received = 1

    def add(self, seq: int) -> None:
        delta = (seq - self.highest) & 0xFFFF
        if delta < _HALF:  # ahead of (or equal to) the highest: a new packet or a repeat
            self.highest += delta
        self.received += 1

    @property
    def expected(self) -> int:
        return self.highest - self.base + 1

    @property
    def lost(self) -> int:
        """Missing packets; late and duplicated ones can make the raw count negative."""
        return max(0, self.expected - self.received)
