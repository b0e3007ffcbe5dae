"""Rate limiting of key-frame requests sent to a publisher (RFC 4585 PLI, RFC 5104 FIR).

Every subscriber that joins, or loses packets, asks for a key frame. Relaying each request would
make a publisher send a key frame (10-20x the size of a delta frame) per request and flood every
subscriber's downlink. Requests inside the interval are coalesced into one that is sent when the
interval ends, so the last asker is still served.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MIN_INTERVAL = 0.5  # seconds between two requests to one publisher


@dataclass
class KeyframeRequestLimiter:
    min_interval: float = DEFAULT_MIN_INTERVAL
    _last_sent: float | None = None
    _deferred: bool = False

    def request(self, now: float) -> float | None:
        """Decide what to do with a request arriving at `now`.

        Returns 0.0 to send now, a positive delay to send one deferred request after it, or None
        when a deferred request is already pending (nothing to do).
        """
        if self._deferred:
            return None
        if self._last_sent is None or now - self._last_sent >= self.min_interval:
            self._last_sent = now
            return 0.0
        self._deferred = True
        return self._last_sent + self.min_interval - now

    def deferred_due(self, now: float) -> None:
        """The deferred request was sent at `now`."""
        self._deferred = False
        self._last_sent = now
