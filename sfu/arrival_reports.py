"""When to tell a publisher when its packets arrived (transport-wide congestion control; the
log and the wire format are sfu/transport_feedback.py).

A feedback packet goes out with the first arrival at least FEEDBACK_INTERVAL after the last
one, so while packets flow no timer wakes the server; a timer armed by the first arrival
after each feedback reports the last packets when the publisher stops.

Arrivals are noted either here (`note`, the Python receive path) or in C by the publisher's
`sfu._rtpsend.Ingress` (`use_ingress`), which holds them until Python takes them and calls
`on_noted` when it should: at the first arrival at or after its `call_at`.

The clock and the timer are the event loop's unless a test hands in its own (`clock`,
`call_later`), so tests move time on without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from sfu import rtp
from sfu.transport_feedback import FEEDBACK_INTERVAL, ArrivalLog

# send(log, media_ssrc): turn the log into feedback packets (ArrivalLog.feedback) and send them.
SendFeedback = Callable[[ArrivalLog, int], None]


class Timer(Protocol):
    def cancel(self) -> None: ...


# call_later(delay, callback) -> Timer: run callback after delay seconds of `clock`.
CallLater = Callable[[float, Callable[[], None]], Timer]


def loop_call_later(delay: float, callback: Callable[[], None]) -> Timer:
    """The running event loop's timer, which runs on time.monotonic() like the reporter."""
    return asyncio.get_running_loop().call_later(delay, callback)


class ArrivalReporter:
    def __init__(
        self,
        send: SendFeedback,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater = loop_call_later,
    ) -> None:
        self.extension_id = 0  # the publisher's id of the transport-wide sequence; 0: none
        self.log = ArrivalLog()
        self._send = send
        self._clock = clock
        self._call_later = call_later
        self._timer: Timer | None = None
        self._due = 0.0  # clock() when the next feedback is due
        self._media_ssrc = 0  # the SSRC of the last packet noted
        self._ingress: Any = None
        self._closed = False

    def use_ingress(self, ingress: Any) -> None:
        """Let the native ingress note the arrivals (with this reporter's extension id)."""
        self._ingress = ingress
        ingress.transport_cc_id = self.extension_id
        ingress.call_at = 0.0

    def note(self, data: bytes, ssrc: int) -> None:
        """One decrypted RTP packet arrived now (every packet counts, repairs and probes
        too); those without a transport-wide sequence number are not reported."""
        sequence = rtp.transport_sequence(data, self.extension_id)
        if sequence is None:
            return
        now = self._clock()
        self.log.record(sequence, int(now * 1_000_000))
        self._media_ssrc = ssrc
        self._arrived(now)

    def on_noted(self) -> None:
        """The native ingress noted an arrival at or after its `call_at`, or is full."""
        self._take_from_ingress()
        self._arrived(self._clock())

    def _arrived(self, now: float) -> None:
        if now >= self._due:
            self.send()
        elif self._timer is None and not self._closed:
            # Only for when packets stop: while they flow, one of them sends the feedback.
            delay = self._due + FEEDBACK_INTERVAL - now
            self._timer = self._call_later(delay, self.send)
            if self._ingress is not None:
                self._ingress.call_at = self._due

    def send(self) -> None:
        """Report the arrivals since the last feedback; the next is due FEEDBACK_INTERVAL on."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due = self._clock() + FEEDBACK_INTERVAL
        if self._ingress is not None:
            self._take_from_ingress()
            self._ingress.call_at = 0.0  # the next arrival arms the timer
        if not self._closed:
            self._send(self.log, self._media_ssrc)

    def _take_from_ingress(self) -> None:
        ingress = self._ingress
        if ingress is None or not ingress.held:
            return
        record = self.log.record
        for sequence, arrival_us in ingress.take_arrivals():
            record(sequence, arrival_us)
        self._media_ssrc = ingress.media_ssrc

    def close(self) -> None:
        self._closed = True
        if self._ingress is not None:
            self._ingress.transport_cc_id = 0  # nothing more to note
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
