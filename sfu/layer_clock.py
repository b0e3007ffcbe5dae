"""The same capture instant in two simulcast layers' RTP clocks, from their sender reports.

Every layer of a simulcast track numbers its timestamps from its own random offset (RFC 3550
5.1), but all of them sample one capture clock, and each layer's RTCP sender report ties one of
its RTP timestamps to the publisher's NTP wall clock (RFC 3550 6.4.1). When the SFU moves a
subscriber from one layer to another, it keeps the subscriber's timestamps in the old layer's
numbering: it needs the old layer's timestamp for the new layer's key frame. Two reports give it
exactly; without them the arrival times stand in (`timestamp_after_switch`).
"""

from __future__ import annotations

NTP_UNIT = 1 << 32  # NTP timestamps are 32.32 fixed-point seconds
# The aligned timestamp must agree with the arrival-time estimate within this many seconds:
# a report from before a publisher restarted its RTP clock would be arbitrarily far off.
MAX_ALIGNMENT_ERROR = 0.5

SenderReport = tuple[int, int]  # (NTP timestamp, RTP timestamp) of one report


def signed_difference(a: int, b: int) -> int:
    """a - b for 32-bit RTP timestamps that may have wrapped (RFC 3550 A.1 style)."""
    difference = (a - b) & 0xFFFFFFFF
    return difference - (1 << 32) if difference >= 1 << 31 else difference


def same_instant(
    old: SenderReport | None, new: SenderReport | None, clock_rate: int, timestamp: int
) -> int | None:
    """The old layer's RTP timestamp of the instant `timestamp` marks in the new layer's clock,
    or None unless both layers have reported. Both layers share `clock_rate` (one codec)."""
    if old is None or new is None:
        return None
    old_ntp, old_rtp = old
    new_ntp, new_rtp = new
    # Seconds from the old report to the new one, plus ticks from the new report to the packet.
    between_reports = (new_ntp - old_ntp) * clock_rate / NTP_UNIT
    ticks = round(between_reports) + signed_difference(timestamp, new_rtp)
    return (old_rtp + ticks) & 0xFFFFFFFF


def timestamp_after_switch(
    last_sent: int, elapsed: float, clock_rate: int, aligned: int | None
) -> int:
    """The timestamp, in the subscriber's numbering, of the first packet after a layer switch.

    `last_sent` is the last timestamp sent, `elapsed` the seconds between the arrivals of that
    packet and this one, `aligned` the same instant from the two layers' reports (already in
    the subscriber's numbering), or None. The aligned one wins when it moves forward and lies
    within MAX_ALIGNMENT_ERROR of the arrival-time estimate, which carries the network's jitter
    and stands in otherwise; a report from before a publisher restarted its clock is far off.
    """
    estimate = (last_sent + max(1, round(elapsed * clock_rate))) & 0xFFFFFFFF
    if aligned is None or signed_difference(aligned, last_sent) <= 0:
        return estimate
    if abs(signed_difference(aligned, estimate)) > clock_rate * MAX_ALIGNMENT_ERROR:
        return estimate
    return aligned
