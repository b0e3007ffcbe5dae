"""Loss repair for subscribers: answer their NACKs (RFC 4585 section 6.2.1) from a cache.

Each video producer keeps its last packets as received (decrypted, before any per-subscriber
rewrite); a consumer maps a NACKed sequence number of its own numbering back to the producer's
and resends the cached packet, rewritten like the original. The repair goes out on the media
SSRC itself, which receivers accept as a late packet; RTX (RFC 4588) is not used yet.
"""

from __future__ import annotations

# Packets per producer: about 8 s of 1.2 Mbps VP8 (~130 packets/s), far more than the few
# hundred milliseconds a receiver waits for a repair, and small: references to the packets
# aiortc already allocated, no copies.
CACHE_SIZE = 1024
# A receiver repeats a NACK when the repair seems late; resending the same packet more often
# than this only adds to the congestion that lost it.
MIN_RESEND_INTERVAL = 0.1  # seconds


class PacketCache:
    """The last `size` packets of one stream, by 16-bit sequence number."""

    __slots__ = ("_slots", "_mask")

    def __init__(self, size: int = CACHE_SIZE) -> None:
        if size <= 0 or size & (size - 1):
            raise ValueError("the cache size must be a power of two")
        self._slots: list[bytes | None] = [None] * size
        self._mask = size - 1

    def put(self, seq: int, packet: bytes) -> None:
        self._slots[seq & self._mask] = packet

    def get(self, seq: int) -> bytes | None:
        """The packet with sequence number `seq`, or None if it was never seen or overwritten."""
        packet = self._slots[seq & self._mask]
        if packet is None or (packet[2] << 8 | packet[3]) != seq:
            return None
        return packet


class ResendLimiter:
    """Allows one resend of a sequence number per MIN_RESEND_INTERVAL."""

    __slots__ = ("_seqs", "_times", "_mask", "_interval")

    def __init__(self, interval: float = MIN_RESEND_INTERVAL, size: int = CACHE_SIZE) -> None:
        self._seqs = [-1] * size
        self._times = [0.0] * size
        self._mask = size - 1
        self._interval = interval

    def allow(self, seq: int, now: float) -> bool:
        index = seq & self._mask
        if self._seqs[index] == seq and now - self._times[index] < self._interval:
            return False
        self._seqs[index] = seq
        self._times[index] = now
        return True
