"""Periodic timers of many peers are due on a shared grid (sfu/ticks.py)."""

from __future__ import annotations

import pytest

from sfu.ticks import TICK, on_tick


@pytest.mark.parametrize(
    ("when", "due"),
    [
        (10.0, 10.0),  # on the grid already
        (10.01, 10.25),
        (10.24, 10.25),
        (10.26, 10.5),
        (0.0, 0.0),
    ],
)
def test_a_time_is_rounded_up_to_the_next_tick(when: float, due: float) -> None:
    assert TICK == 0.25
    assert on_tick(when) == pytest.approx(due)


def test_times_within_one_tick_share_a_wake_up() -> None:
    assert len({on_tick(100.0 + i / 1000) for i in range(1, 250)}) == 1
