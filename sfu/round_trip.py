"""Round trips to one subscriber, from the sender reports the SFU sends it and the receiver
reports that answer them (RFC 3550 6.4.1), and the standing queue they show on its downlink.

A receiver report block echoes the middle 32 bits of the NTP timestamp of the last sender
report it received on that stream (LSR) and how long ago it received it (DLSR, 1/65536 s):
the round trip is now - (when that report left) - DLSR. The SFU's reports carry each
publisher's wall clock, not the SFU's, so it remembers when it sent each one.

Why: on a link whose queue stays full, neither REMB (constant delay: no gradient) nor loss
(the receiver's repairs fill the gaps) moved for 25 s while the SFU sent 600 kbit/s into 500
and the audio waited seconds in the queue (the field benchmark's trace). The round trip rose
from 0.3 s to seconds. The queue is the smallest round trip of a window (so a key frame's
burst, which queues a few packets for a moment, does not count) above the smallest of the
last BASE_WINDOW seconds (the link's own delay, which changes when the route does).

Sans-I/O: times come in; the caller sends the reports and reads the blocks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sfu.downlink import MIN_SPAN  # a window as long as the loss tally's and the sent rate's

MAX_REMEMBERED = 256  # sender reports: a few seconds of every stream of a big meeting
BASE_WINDOW = 60.0  # seconds the link's own round trip is the smallest of


@dataclass
class RoundTrips:
    # (SSRC, LSR) -> when it went out; None: sent more than once
    _sent: dict[tuple[int, int], float | None] = field(default_factory=dict)
    _windows: deque[tuple[float, float]] = field(default_factory=deque)  # (start, smallest)
    _smallest: float | None = None  # the smallest round trip of the window going on
    _smallest_from: float = 0.0  # when the sender report it timed went out
    _since: float | None = None
    # When the sender report behind the latest queue reading went out: the reading describes
    # the link as what was sent then found it (sfu/downlink.py ignores readings from before
    # its last decrease).
    timed_from: float | None = None

    def sent(self, ssrc: int, ntp: int, now: float) -> None:
        """A sender report with this 64-bit NTP timestamp went out on stream `ssrc`. Each one
        carries the publisher's clock moved on to when it is sent (sfu/sender_reports.py), so
        an LSR names one sending. Should one repeat all the same, an answer to it may time
        either sending (the receiver's DLSR counts from the last one that arrived), so it is
        not used. (When the SFU passed a publisher's clock on unchanged, timed from the later
        one, a lost repeat made the round trip a second short, the link's own delay too small,
        and an idle link look queued in the benchmark's trace.)"""
        key = (ssrc, ntp >> 16 & 0xFFFFFFFF)
        self._sent[key] = None if key in self._sent else now
        if len(self._sent) > MAX_REMEMBERED:
            del self._sent[next(iter(self._sent))]  # the oldest: dicts keep insertion order

    def answered(self, ssrc: int, lsr: int, dlsr: int, now: float) -> None:
        """A report block on `ssrc` that echoes LSR after DLSR (1/65536 s)."""
        sent = self._sent.get((ssrc, lsr)) if lsr else None
        if sent is None:
            return  # no report received yet, or one the SFU no longer remembers
        trip = now - sent - dlsr / 65536
        if trip < 0:
            return  # cannot be: a report from another run of the same stream
        if self._smallest is None or trip < self._smallest:
            self._smallest, self._smallest_from = trip, sent
        if self._since is None:
            self._since = now

    def queue(self, now: float) -> float | None:
        """Seconds the downlink queued the smallest round trip of the window that ends now
        above its own delay; None until a window of MIN_SPAN with a round trip in it ends
        (sooner, the window goes on)."""
        if self._smallest is None or self._since is None or now - self._since < MIN_SPAN:
            return None
        smallest, start = self._smallest, self._since
        self._smallest = self._since = None
        self.timed_from = self._smallest_from
        windows = self._windows
        windows.append((start, smallest))
        while windows[0][0] < now - BASE_WINDOW:
            windows.popleft()
        return smallest - min(trip for _start, trip in windows)

    def forget(self) -> None:
        """After an outage: the window going on holds what the outage delayed."""
        self._smallest = self._since = None
