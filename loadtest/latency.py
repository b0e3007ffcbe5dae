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

ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
_WRAP = 1 << 24
_UNITS_PER_SECOND = 1 << 18


def abs_send_time_now() -> int:
    """The 24-bit abs-send-time of this instant (RFC 3550 NTP format >> 14, as aiortc does)."""
    return (clock.current_ntp_time() >> 14) & 0xFFFFFF


def delay_seconds(sent: int, now: int) -> float:
    """Seconds from stamp `sent` to `now`, across the 64 s wrap."""
    return ((now - sent) % _WRAP) / _UNITS_PER_SECOND


def abs_send_time_offset(data: bytes | bytearray, element_id: int) -> int | None:
    """Where the 3-byte abs-send-time value sits in an RTP packet's one-byte extension block
    (RFC 8285 4.2), or None."""
    if len(data) < 16 or not data[0] & 0x10:
        return None
    start = 12 + 4 * (data[0] & 0x0F)
    if len(data) < start + 4 or data[start] != 0xBE or data[start + 1] != 0xDE:
        return None
    pos = start + 4
    end = min(len(data), pos + 4 * int.from_bytes(data[start + 2 : start + 4], "big"))
    while pos < end:
        byte = data[pos]
        if byte == 0:
            pos += 1
            continue
        if byte >> 4 == 15:
            return None
        length = (byte & 0x0F) + 1
        if byte >> 4 == element_id and length == 3 and pos + 4 <= end:
            return pos + 1
        pos += 1 + length
    return None


def find_abs_send_time(data: bytes | bytearray, element_id: int) -> int | None:
    """The abs-send-time value in an RTP packet, or None."""
    offset = abs_send_time_offset(data, element_id)
    return None if offset is None else int.from_bytes(data[offset : offset + 3], "big")


def restamp(data: bytes, element_id: int, stamp: int) -> bytes:
    """`data` with its abs-send-time set to `stamp` (unchanged when it carries none)."""
    offset = abs_send_time_offset(data, element_id)
    if offset is None:
        return data
    return data[:offset] + stamp.to_bytes(3, "big") + data[offset + 3 :]
