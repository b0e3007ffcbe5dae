"""One-way delay from the abs-send-time header extension, for the load test.

aiortc's sender stamps every video packet with abs-send-time (24 bits, 6.18 fixed-point seconds
of the NTP clock, so 3.8 us resolution and a 64 s wrap). The SFU forwards the element with its id
renumbered. Publisher and subscribers of the load test share one process and one clock, so the
subscriber can subtract the stamp from its own NTP time on arrival. What this measures is an upper
bound on the SFU's share: it also holds the publisher's SRTP and socket send and the subscriber's
receive and SRTP unprotect in the load-generator process.

The kernel also stamps each datagram as it lands in the subscriber's socket (`SIOCGSTAMP`,
socket(7)); on loopback that is the moment the SFU's `sendto` delivered it. Measured to that
stamp, the delay leaves out the load generator's own receive queue and event loop, which at a
few hundred subscribers in one process dominate the first figure.
"""

from __future__ import annotations

import fcntl
import struct

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


# socket(7): the time the last datagram read from the socket arrived (enables the stamps).
SIOCGSTAMP = 0x8906
_TIMEVAL = struct.Struct("@ll")


def stamp_arrivals(fd: int) -> None:
    """Have the kernel stamp the datagrams arriving in socket `fd` from now on: the first
    SIOCGSTAMP turns the stamps on (SO_TIMESTAMP would put them in control messages instead,
    which the event loop drops). Linux enables them system-wide a moment later, from a work
    queue: until then SIOCGSTAMP answers with the time it is asked."""
    kernel_arrival(fd)


def kernel_arrival(fd: int) -> int | None:
    """The kernel's arrival time of the datagram just read from socket `fd`, as a 24-bit
    abs-send-time (the NTP epoch is a whole number of 64 s wraps after the Unix one, so the
    Unix time serves); None when the kernel has no stamp for it (the first datagram)."""
    try:
        stamp = fcntl.ioctl(fd, SIOCGSTAMP, bytes(_TIMEVAL.size))
    except OSError:
        return None
    seconds, micros = _TIMEVAL.unpack(stamp)
    return int((seconds << 18) + (micros << 18) // 1_000_000) & (_WRAP - 1)


def restamp(data: bytes, element_id: int, stamp: int) -> bytes:
    """`data` with its abs-send-time set to `stamp` (unchanged when it carries none)."""
    element = rtp.one_byte_element(data, element_id)
    if element is None or element[1] != 3:
        return data
    offset = element[0]
    return data[:offset] + stamp.to_bytes(3, "big") + data[offset + 3 :]
