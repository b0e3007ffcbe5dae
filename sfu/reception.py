"""What the SFU tells a publisher about each stream it receives: RTCP receiver-report facts
(RFC 3550 section 6.4.1, appendix A.3 for loss and A.8 for jitter).

Without receiver reports a browser learns nothing about loss or round-trip time on its uplink,
so its loss-based bandwidth estimate never grows past where it started; with them (and a REMB
cap) it finds the bitrate its link allows. Sans-I/O: the caller passes `now`.
"""

from __future__ import annotations

from typing import NamedTuple

_HALF = 1 << 15
_MAX_CUMULATIVE_LOST = 0x7FFFFF  # a signed 24-bit field


class ReportBlock(NamedTuple):
    fraction_lost: int  # of the packets expected since the previous report, in 1/256
    packets_lost: int  # cumulative, may be negative with duplicates (RFC 3550 6.4.1)
    highest_sequence: int  # extended: cycles << 16 | sequence
    jitter: int  # interarrival jitter in RTP timestamp units (RFC 3550 A.8)
    lsr: int  # middle 32 bits of the last sender report's NTP time, 0 before one
    dlsr: int  # delay since that sender report, in 1/65536 s


class Reception:
    __slots__ = (
        "_base", "_highest", "_received", "_expected_prior", "_received_prior", "_lsr",
        "_sr_at", "_clock_rate", "_transit", "_jitter",
    )  # fmt: skip

    def __init__(self, clock_rate: int = 90000) -> None:
        self._clock_rate = clock_rate
        self._transit: float | None = None  # arrival minus RTP time of the previous packet
        self._jitter = 0.0
        self._base = -1  # extended sequence number of the first packet, -1 before any
        self._highest = -1
        self._received = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._lsr = 0
        self._sr_at = 0.0

    def add(self, seq: int, timestamp: int = 0, arrival: float | None = None) -> None:
        """One more packet with 16-bit sequence number `seq` and RTP `timestamp` arrived at
        `arrival` (seconds on any steady clock; None: no arrival time, no jitter update)."""
        self._received += 1
        if arrival is not None:
            # RFC 3550 A.8: the difference in relative transit times, smoothed by 1/16.
            transit = arrival * self._clock_rate - timestamp
            if self._transit is not None:
                # Timestamps wrap at 2**32; a difference is never near that large.
                delta = abs((transit - self._transit + 2**31) % 2**32 - 2**31)
                self._jitter += (delta - self._jitter) / 16
            self._transit = transit
        if self._highest < 0:
            self._base = self._highest = seq
            return
        delta = (seq - self._highest) & 0xFFFF
        if delta < _HALF:  # newer; an older one (reordered) only counts as received
            self._highest += delta

    @property
    def highest(self) -> int:
        """The 16-bit sequence number of the newest packet so far, -1 before any."""
        return self._highest & 0xFFFF if self._highest >= 0 else -1

    @property
    def expected(self) -> int:
        """Packets expected so far: from the first sequence number to the highest."""
        return self._highest - self._base + 1 if self._highest >= 0 else 0

    @property
    def lost(self) -> int:
        """Missing packets; late and duplicated ones can make the raw count negative."""
        return max(0, self.expected - self._received)

    def sender_report(self, ntp: int, now: float) -> None:
        self._lsr = (ntp >> 16) & 0xFFFFFFFF
        self._sr_at = now

    def report(self, now: float) -> ReportBlock | None:
        """The next report block; None while nothing has arrived. Starts a new interval."""
        if self._highest < 0:
            return None
        expected = self.expected
        expected_interval = expected - self._expected_prior
        received_interval = self._received - self._received_prior
        self._expected_prior, self._received_prior = expected, self._received
        lost_interval = expected_interval - received_interval
        fraction = (lost_interval << 8) // expected_interval if lost_interval > 0 else 0
        lost = max(-_MAX_CUMULATIVE_LOST - 1, min(_MAX_CUMULATIVE_LOST, expected - self._received))
        dlsr = int((now - self._sr_at) * 65536) if self._lsr else 0
        return ReportBlock(
            min(fraction, 255), lost, self._highest & 0xFFFFFFFF, int(self._jitter), self._lsr, dlsr
        )
