"""One capture instant in two simulcast layers' RTP clocks, from their sender reports."""

from __future__ import annotations

import pytest

from sfu.layer_clock import same_instant, signed_difference, timestamp_after_switch

SECOND = 1 << 32  # one second in NTP's 32.32 format
CLOCK = 90000


@pytest.mark.parametrize(
    ("old", "new", "timestamp", "expected"),
    [
        # Reports of one instant: the timestamp moves by the offset between the two clocks.
        ((100 * SECOND, 1_000), (100 * SECOND, 500_000), 503_000, 4_000),
        # The new layer reported one second later.
        ((100 * SECOND, 1_000), (101 * SECOND, 500_000), 500_000, 91_000),
        # ... or half a second earlier, and the packet is from before its report.
        ((100 * SECOND, 1_000), (100 * SECOND - SECOND // 2, 500_000), 497_000, 1_000 - 48_000),
        # Both clocks wrap around 2^32.
        ((7 * SECOND, 0xFFFF_FF00), (7 * SECOND, 0x10), 0x20, 0xFFFF_FF10),
        ((7 * SECOND, 0x10), (7 * SECOND, 0xFFFF_FF00), 5, 0x10 + 0x105),
    ],
)
def test_the_old_layers_timestamp_of_the_same_instant(
    old: tuple[int, int], new: tuple[int, int], timestamp: int, expected: int
) -> None:
    assert same_instant(old, new, CLOCK, timestamp) == expected & 0xFFFFFFFF


@pytest.mark.parametrize(("old", "new"), [(None, (SECOND, 0)), ((SECOND, 0), None), (None, None)])
def test_without_both_reports_there_is_no_answer(
    old: tuple[int, int] | None, new: tuple[int, int] | None
) -> None:
    assert same_instant(old, new, CLOCK, 1234) is None


@pytest.mark.parametrize(
    ("a", "b", "difference"),
    [
        (10, 3, 7),
        (3, 10, -7),
        (5, 0xFFFF_FFFB, 10),
        (0xFFFF_FFFB, 5, -10),
        (0, 1 << 31, -(1 << 31)),
    ],
)
def test_timestamp_differences_are_signed_across_the_wrap(a: int, b: int, difference: int) -> None:
    assert signed_difference(a, b) == difference


@pytest.mark.parametrize(
    ("last_sent", "elapsed", "aligned", "expected"),
    [
        # No reports: the arrival times stand in (33 ms at 90 kHz = 2,970 ticks).
        (10_000, 0.033, None, 12_970),
        # Arrived together (or out of order): still one tick on, never the same timestamp.
        (10_000, 0.0, None, 10_001),
        (10_000, -0.01, None, 10_001),
        # The reports agree within half a second of the estimate: they win (jitter is gone).
        (10_000, 0.040, 13_000, 13_000),
        (10_000, 0.040, 10_000 + 3_600 + 45_000, 10_000 + 3_600 + 45_000),
        # Too far off (a clock restarted since a report), or not forward: the estimate.
        (10_000, 0.040, 10_000 + 3_600 + 45_001, 13_600),
        (10_000, 0.040, 10_000, 13_600),
        (10_000, 0.040, 9_000, 13_600),
        # Across the 2^32 wrap.
        (0xFFFF_FF00, 0.01, None, 0xFFFF_FF00 + 900 - (1 << 32)),
        (0xFFFF_FF00, 0.01, 0x50, 0x50),
    ],
)
def test_the_first_timestamp_after_a_switch(
    last_sent: int, elapsed: float, aligned: int | None, expected: int
) -> None:
    assert timestamp_after_switch(last_sent, elapsed, CLOCK, aligned) == expected
