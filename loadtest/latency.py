"""One-way delay from the abs-send-time header extension, for the load test.

aiortc's sender stamps every video packet with abs-send-time (24 bits, 6.18 fixed-point seconds
of the NTP clock, so 3.8 us resolution and a 64 s wrap). The SFU forwards the element with its id
renumbered. Publisher and subscribers of the load test share one process and one clock, so the
subscriber can subtract the stamp from its own NTP time on arrival. What this measures is an upper
bound on the SFU's share: it also holds the publisher's SRTP and socket send and the subscriber's
receive and SRTP unprotect in the load-generator process.
"""

from __future__ import annotations

from aiortc import clock

from sfu import rtp

_WRAP = 1 << 24
_UNITS_PER_SECOND = 1 << 18


def abs_send_time_now() -> int:
    """The 24-bit abs-send-time of this instant (RFC 3550 NTP format >> 14, as aiortc does)."""
    return (clock.current_ntp_time() >> 14) & 0xFFFFFF


def delay_seconds(sent: int, now: int) -> float:
    """Seconds from stamp `sent` to `now`, across the 64 s wrap."""
    return ((now - sent) % _WRAP) / _UNITS_PER_SECOND


def restamp(data: bytes, element_id: int, stamp: int) -> bytes:
    """`data` with its abs-send-time set to `stamp` (unchanged when it carries none)."""
    element = rtp.one_byte_element(data, element_id)
    if element is None or element[1] != 3:
        return data
    offset = element[0]
    return data[:offset] + stamp.to_bytes(3, "big") + data[offset + 3 :]
