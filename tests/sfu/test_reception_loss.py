"""Loss counting as the load test's subscribers do it, with sfu.reception (RFC 3550 A.3)."""

from __future__ import annotations

import pytest

from sfu.reception import Reception


def track(seqs: list[int]) -> Reception:
    tracker = Reception()
    for seq in seqs:
        tracker.add(seq)
    return tracker


@pytest.mark.parametrize(
    ("seqs", "expected", "lost"),
    [
        ([10, 11, 12, 13], 4, 0),
        ([10, 12, 13], 4, 1),
        ([65534, 65535, 0, 1], 4, 0),  # the 16-bit counter wraps
        ([65534, 1], 4, 2),
        ([10, 13, 11, 12], 4, 0),  # reordered, nothing lost
        ([10, 11, 11, 12], 3, 0),  # a duplicate never counts as negative loss
        ([10, 9, 11], 2, 0),  # one from before the window arrives late
    ],
)
def test_expected_and_lost_follow_the_extended_highest_sequence(
    seqs: list[int], expected: int, lost: int
) -> None:
    tracker = track(seqs)
    assert (tracker.expected, tracker.lost) == (expected, lost)


def test_a_long_run_across_several_wraps_counts_every_gap() -> None:
    seqs = [n & 0xFFFF for n in range(200_000) if n % 1000 != 7]
    tracker = track(seqs)
    assert tracker.expected == 200_000 and tracker.lost == 200
