"""The egress benchmark's bookkeeping: who is loud when, how late a heard pulse was, and how
several town halls' figures add up."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.egress_report import HallResult, combine, kept_real_time
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


def _hall(index: int, egress_cpu: float, received: float = 30.0, **changes: Any) -> HallResult:
    figures: dict[str, Any] = {
        "hall": index,
        "rtmp_seconds_received": received + 8.0,  # the start-up before the window too
        "window_s": 30.0,
        "window_received_s": received,
        "kept_real_time": kept_real_time(received, 30.0),
        "rtmp_video": "h264 640x360, aac",
        "egress_cpu_percent": egress_cpu,
        "encoder_cpu_percent": egress_cpu - 1.0,
        "relays_cpu_percent": 1.0,
        "speaker_to_rtmp_ms": 300.0,
        "switch_to_rtmp_ms": 400.0,
        "pulses_sent": 10,
        "pulses_heard": 9,
        "hls_start_s": 3.0,
        "hls_playable_s": 6.0,
        "speaker_to_hls_ms": 2500.0,
    }
    return HallResult(**(figures | changes))


def test_a_single_hall_run_reports_that_halls_figures() -> None:
    hall = _hall(0, 21.0)
    result = combine([hall], server_cpu=5.0, height=360, duration=20.0, load_average=(1, 1, 1))
    assert result.halls == 1 and result.per_hall == [hall]
    assert result.egress_cpu_percent == 21.0 and result.rtmp_seconds_received == 38.0
    assert result.speaker_to_rtmp_ms == 300 and result.hls_start_s == 3.0
    assert result.townhalls_per_core == pytest.approx(100 / 21.0, abs=0.05)
    assert result.halls_per_core == pytest.approx(100 / 26.0, abs=0.05)  # the server counts too


def test_halls_per_core_is_the_halls_over_everything_they_cost_together() -> None:
    halls = [
        _hall(0, 20.0, speaker_to_rtmp_ms=300.0),
        _hall(1, 22.0, received=29.0, hls_start_s=4.5, speaker_to_rtmp_ms=500.0),
        _hall(2, 24.0, speaker_to_rtmp_ms=350.0),
    ]
    result = combine(halls, server_cpu=14.0, height=360, duration=20.0, load_average=(3, 2, 1))
    assert result.egress_cpu_percent == 66.0 and result.encoder_cpu_percent == 63.0
    assert result.relays_cpu_percent == 3.0
    assert result.halls_per_core == 3.8  # 100 * 3 / (66 + 14) = 3.75, to one decimal
    assert result.townhalls_per_core == pytest.approx(4.5, abs=0.05)  # 100 * 3 / 66
    assert result.rtmp_seconds_received == 37.0  # the worst hall's
    assert result.hls_start_s == 4.5  # the slowest hall's
    assert result.hls_playable_s == 6.0
    assert result.speaker_to_rtmp_ms == 350  # the median of the halls'
    assert (result.pulses_sent, result.pulses_heard) == (30, 27)
    assert result.all_kept_real_time
    assert [h["hall"] for h in result.as_dict()["per_hall"]] == [0, 1, 2]


def test_a_hall_that_fell_behind_real_time_voids_halls_per_core() -> None:
    assert kept_real_time(28.5, 30.0) and not kept_real_time(28.4, 30.0)
    assert kept_real_time(31.5, 30.0) and not kept_real_time(41.2, 30.6)  # catching up: late
    assert not kept_real_time(0.0, 0.0)
    behind = _hall(1, 15.0, received=22.7)  # a starved encoder: cheap-looking, not cheap
    result = combine([_hall(0, 20.0), behind], 10.0, 720, 20.0, (9, 8, 7))
    assert not result.all_kept_real_time and result.halls_per_core is None
    assert result.egress_cpu_percent == 35.0  # still reported as measured
    assert combine([_hall(0, 20.0)], None, 720, 20.0, (1, 1, 1)).halls_per_core is None


def test_a_run_has_at_least_one_hall() -> None:
    with pytest.raises(ValueError, match="at least one hall"):
        combine([], 5.0, 360, 20.0, (1, 1, 1))
