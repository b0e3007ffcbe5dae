"""The egress benchmark's bookkeeping: who is loud when, and which pulse a heard onset was."""

from __future__ import annotations

import pytest

from loadtest.egress_bench import PULSE_EVERY, TURN, Schedule, delays
from server.config import ConfigError, load


def test_speakers_take_turns_in_pulses() -> None:
    schedule = Schedule(epoch=100.0)
    assert schedule.loud(0, 100.1) and not schedule.loud(1, 100.1)
    assert not schedule.loud(0, 100.6)  # between two pulses
    assert schedule.loud(0, 100.0 + PULSE_EVERY + 0.1)
    assert schedule.loud(1, 100.0 + TURN + 0.1) and not schedule.loud(0, 100.0 + TURN + 0.1)
    assert not schedule.loud(0, 99.9)  # before the schedule starts


def test_onsets_mark_the_first_pulse_of_each_turn() -> None:
    onsets = Schedule(epoch=0.0).onsets(0.0, 2 * TURN)
    assert len(onsets) == 8
    assert [first for _at, first in onsets] == [True, False, False, False] * 2
    assert onsets[4] == (TURN, True)


def test_a_heard_onset_is_matched_with_the_pulse_just_before_it() -> None:
    sent = Schedule(epoch=0.0).onsets(0.0, TURN * 2)
    steady, switching = delays(sent, [0.4, 1.8, TURN + 0.7, 50.0])
    assert steady == pytest.approx([300.0])
    assert switching == pytest.approx([400.0, 700.0])


def test_the_egress_height_is_one_of_the_offered_sizes() -> None:
    assert load({"egress_height": 360}, environ={}).egress_height == 360
    assert load({}, environ={}).egress_height == 720
    with pytest.raises(ConfigError, match="egress_height must be one of 360, 480, 720, 1080"):
        load({"egress_height": 500}, environ={})
