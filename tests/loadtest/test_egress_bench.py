"""The egress benchmark's bookkeeping: who is loud when, and how late a heard pulse was."""

from __future__ import annotations

import pytest

from loadtest.pulses import MAX_GAP, MIN_GAP, PULSE_LENGTH, TURN, Schedule, delays, steady_delay
from server.config import ConfigError, load


def test_speakers_take_turns_in_pulses_that_never_repeat() -> None:
    schedule = Schedule(epoch=100.0, span=60.0)
    first_start, first_speaker, first_of_turn = schedule.pulses[0]
    assert (first_start, first_speaker, first_of_turn) == (100.0, 0, True)
    assert schedule.loud(0, 100.1) and not schedule.loud(1, 100.1)
    assert not schedule.loud(0, 100.0 + PULSE_LENGTH + 0.05)  # between two pulses
    assert not schedule.loud(0, 99.9)  # before the schedule starts
    assert schedule.loud(1, 100.0 + TURN + 0.1) and not schedule.loud(0, 100.0 + TURN + 0.1)
    starts = [start for start, _who, _first in schedule.pulses]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(MIN_GAP <= gap <= MAX_GAP or gap < TURN for gap in gaps)
    assert len({round(gap, 3) for gap in gaps}) > len(gaps) // 2  # not one period


def test_a_heard_onset_is_matched_with_the_pulse_just_before_it() -> None:
    sent = Schedule(epoch=0.0, span=2 * TURN).onsets(0.0, 2 * TURN)
    steady_start = next(at for at, first in sent if not first)
    steady, switching = delays(sent, [0.4, steady_start + 0.3, TURN + 0.7, 50.0])
    assert steady == pytest.approx([300.0])
    assert switching == pytest.approx([400.0, 700.0])


def test_a_long_steady_delay_is_found_though_it_spans_several_pulses() -> None:
    sent = Schedule(epoch=0.0, span=120.0).onsets(0.0, 120.0)
    heard = [at + 7.3 for at, first in sent if not first][:20]
    delay = steady_delay(sent, heard)
    assert delay == pytest.approx(7300.0, abs=30)
    assert steady_delay(sent, heard[:2]) is None  # too few to tell


def test_the_egress_height_is_one_of_the_offered_sizes() -> None:
    assert load({"egress_height": 360}, environ={}).egress_height == 360
    assert load({}, environ={}).egress_height == 720
    with pytest.raises(ConfigError, match="egress_height must be one of 360, 480, 720, 1080"):
        load({"egress_height": 500}, environ={})
