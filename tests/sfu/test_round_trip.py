"""sfu/round_trip.py: round trips from sender reports and their answers, and the queue."""

from __future__ import annotations

from sfu.downlink import MIN_SPAN
from sfu.round_trip import BASE_WINDOW, MAX_REMEMBERED, RoundTrips

AUDIO = 0xB0000002
NTP = 0x1122_3344_5566_7788  # a publisher's wall clock in the report
LSR = 0x3344_5566  # its middle 32 bits, as a receiver echoes them


def trips_with_base(base: float) -> RoundTrips:
    trips = RoundTrips()
    trips.sent(AUDIO, NTP, 10.0)
    trips.answered(AUDIO, LSR, 0, 10.0 + base)
    assert trips.queue(10.0 + base + MIN_SPAN) == 0.0  # the first window is the base
    return trips


def test_the_round_trip_leaves_out_how_long_the_receiver_held_the_report() -> None:
    trips = trips_with_base(0.3)
    trips.sent(AUDIO, NTP + (1 << 16), 20.0)  # the next report: LSR one more
    trips.answered(AUDIO, LSR + 1, 65536 // 2, 21.5)  # held 0.5 s: the trip is 1.0 s
    assert round(trips.queue(22.0) or 0, 6) == 0.7


def test_the_queue_is_the_smallest_trip_of_a_window_so_a_burst_does_not_count() -> None:
    trips = trips_with_base(0.3)
    for second, trip in ((20.0, 0.9), (20.2, 0.35), (20.4, 1.4)):  # a key frame's burst
        ntp = NTP + (int(second * 10) << 16)
        trips.sent(AUDIO, ntp, second)
        trips.answered(AUDIO, ntp >> 16 & 0xFFFFFFFF, 0, second + trip)
    assert trips.queue(20.4) is None  # the window has not spanned MIN_SPAN yet
    assert round(trips.queue(21.9) or 0, 6) == 0.05


def test_unknown_or_absent_reports_and_impossible_trips_give_nothing() -> None:
    trips = RoundTrips()
    trips.answered(AUDIO, 0, 0, 1.0)  # no sender report received yet
    trips.answered(AUDIO, LSR, 0, 1.0)  # never sent
    trips.sent(AUDIO, NTP, 5.0)
    trips.answered(AUDIO, LSR, 65536 * 3, 6.0)  # held longer than it was away
    assert trips.queue(10.0) is None


def test_only_the_latest_reports_are_remembered() -> None:
    trips = RoundTrips()
    for index in range(MAX_REMEMBERED + 1):
        trips.sent(AUDIO, NTP + (index << 16), float(index))
    trips.answered(AUDIO, LSR, 0, 500.0)  # the first: forgotten
    assert trips.queue(501.0) is None
    trips.answered(AUDIO, LSR + 1, 0, 500.0)
    assert trips.queue(501.0) == 0.0


def test_the_links_own_round_trip_is_the_smallest_of_the_last_minute() -> None:
    trips = trips_with_base(0.3)
    at = 10.0 + BASE_WINDOW + 5.0  # a new route, 0.5 s, after the old one's minute
    for step in range(2):
        now = at + step
        ntp = NTP + ((100 + step) << 16)
        trips.sent(AUDIO, ntp, now)
        trips.answered(AUDIO, ntp >> 16 & 0xFFFFFFFF, 0, now + 0.5)
        assert trips.queue(now + 0.5 + MIN_SPAN) == 0.0


def test_after_an_outage_the_window_going_on_is_dropped() -> None:
    trips = trips_with_base(0.3)
    trips.sent(AUDIO, NTP + (1 << 16), 20.0)
    trips.answered(AUDIO, LSR + 1, 0, 25.0)  # delayed by the outage
    trips.forget()
    assert trips.queue(26.0) is None


def test_a_repeated_report_times_no_round_trip() -> None:
    # The publisher's clock is repeated until its next report: which sending DLSR counts from
    # is unknown (the later one may have been lost), so its answers are not used.
    trips = RoundTrips()
    trips.sent(AUDIO, NTP, 10.0)
    trips.sent(AUDIO, NTP, 11.0)
    trips.answered(AUDIO, LSR, 65536 // 10, 11.5)
    assert trips.queue(13.0) is None
    trips.sent(AUDIO, NTP + (1 << 16), 12.0)
    trips.answered(AUDIO, LSR + 1, 0, 12.3)
    assert round(trips.queue(13.0) or 0, 6) == 0.0


def test_a_queue_reading_says_when_the_report_it_timed_went_out() -> None:
    trips = trips_with_base(0.3)
    assert trips.timed_from == 10.0
    for second, trip in ((20.0, 0.9), (20.2, 0.5)):
        ntp = NTP + (int(second * 10) << 16)
        trips.sent(AUDIO, ntp, second)
        trips.answered(AUDIO, ntp >> 16 & 0xFFFFFFFF, 0, second + trip)
    assert round(trips.queue(21.5) or 0, 6) == 0.2
    assert trips.timed_from == 20.2  # the report behind the smallest trip
