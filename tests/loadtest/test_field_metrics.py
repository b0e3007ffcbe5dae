"""The field benchmark's figures from page samples (pure: made-up samples in, numbers out)."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.field.meeting import receives_all
from loadtest.field.metrics import (
    link_usage,
    media_back_s,
    received_since,
    recovery_s,
    stream_figures,
)


def sample(
    t: float,
    frames: float,
    concealed: float = 0,
    heard: float = 0,
    packets: float = 0,
    **video: float,
) -> Any:
    """One page sample at `t` seconds with running totals from sender "b"."""
    return {
        "t": t * 1000,
        "from": {
            "b": {
                "audio": {
                    "concealedSamples": concealed,
                    "totalSamplesReceived": heard,
                    "packetsReceived": packets,
                },
                "video": {"framesDecoded": frames, "frameWidth": 640, "frameHeight": 360, **video},
            }
        },
    }


def test_figures_are_differences_over_the_window() -> None:
    # Every 0.25 s from 9.75 s to 20 s: 30 frames/s, 48,000 audio samples/s of which 10/s
    # concealed, and one 0.2 s freeze every 5 s.
    samples = [
        sample(
            step / 4,
            frames=7.5 * step,
            concealed=2.5 * step,
            heard=12_000 * step,
            freezeCount=step // 20,
            totalFreezesDuration=0.2 * (step // 20),
        )
        for step in range(39, 81)
    ]
    figures = stream_figures(samples, "b", 10.0, 20.0)
    assert figures.audio_concealed_ratio == pytest.approx(10 / 48_000, abs=1e-4)
    assert figures.video_freezes == 2  # at 15 s and 20 s
    assert figures.video_freeze_s == pytest.approx(0.4)
    assert figures.video_stalled_s == 0  # frames came in every sample interval
    assert figures.video_fps == 30.0
    assert (figures.frame_width, figures.frame_height) == (640, 360)


def test_video_that_stops_counts_as_stalled_and_frozen_until_the_window_ends() -> None:
    samples = [sample(t / 4, 10 + min(t, 20)) for t in range(40, 81)]  # frames stop at t=5 s
    figures = stream_figures(samples, "b", 10.0, 20.0)
    assert figures.video_stalled_s == pytest.approx(10.0)
    # Chromium has not counted that freeze (no frame came after it): the open gap is added.
    assert figures.video_freeze_s == pytest.approx(10.0)
    assert figures.video_fps == 0


def test_a_short_gap_is_not_a_stall_but_a_long_one_is() -> None:
    # At 0.25 s steps: a 0.75 s gap (2 -> 3) and a 1.75 s one (4 -> 5).
    frames = [0, 1, 2, 2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 6]
    samples = [sample(10 + i / 4, f) for i, f in enumerate(frames)]
    assert stream_figures(samples, "b", 10.0, 13.5).video_stalled_s == pytest.approx(1.75)


def test_a_sender_never_heard_is_all_concealed() -> None:
    samples = [{"t": 10_000, "from": {}}, {"t": 20_000, "from": {}}]
    figures = stream_figures(samples, "b", 10.0, 20.0)
    assert figures.audio_concealed_ratio == 1.0 and figures.video_stalled_s == 10.0


def test_recovery_is_the_first_new_frame_after_the_link_returned() -> None:
    samples = [sample(t / 4, 50 if t < 48 else 50 + t - 47) for t in range(36, 60)]
    assert recovery_s(samples, ["b"], back_s=10.0) == pytest.approx(2.0)  # first new at t=12 s


def test_video_that_never_returns_has_no_recovery_time() -> None:
    samples = [sample(t / 4, 50) for t in range(36, 200)]
    assert recovery_s(samples, ["b"], back_s=10.0) is None
    assert recovery_s(samples, [], back_s=10.0) == 0.0  # nobody else: nothing to wait for


def test_media_back_is_the_video_when_it_flowed_before_the_outage() -> None:
    # Frames decoding until the link went down at t=8 s; back at 10 s; new frames from 12 s.
    frames = [t - 23 if t < 32 else 9 if t < 48 else t - 38 for t in range(24, 60)]
    samples = [sample(t / 4, frames[t - 24], heard=480 * t) for t in range(24, 60)]
    assert media_back_s(samples, "b", down_s=8.0, back_s=10.0) == pytest.approx(2.0)


def test_media_back_is_the_audio_when_the_video_was_not_flowing_before() -> None:
    # The server had stopped this video for the receiver's link: the audio is what flowed,
    # and its packets come again 0.5 s after the return (t=10 s) though the video never comes.
    # Its played samples grow all along: concealment through the outage counts among them.
    samples = [
        sample(t / 4, 7, heard=480 * t, packets=t if t < 32 or t >= 42 else 31)
        for t in range(24, 60)
    ]
    assert media_back_s(samples, "b", down_s=8.0, back_s=10.0) == pytest.approx(0.5)
    assert recovery_s(samples, ["b"], back_s=10.0) is None
    silent = [sample(t / 4, 7, heard=480 * t, packets=min(t, 31)) for t in range(24, 60)]
    assert media_back_s(silent, "b", down_s=8.0, back_s=10.0) is None


def test_receiving_everyone_needs_audio_and_video_from_each() -> None:
    assert receives_all(sample(1, 5, heard=480), ["b"])
    assert not receives_all(sample(1, 0, heard=480), ["b"])
    assert receives_all(sample(1, 0, heard=480), ["b"], video=False)
    assert not receives_all(sample(1, 5, heard=480), ["b", "c"])
    assert not receives_all(None, ["b"])


def test_link_usage_counts_what_the_phone_sent_and_what_reached_it() -> None:
    def stats(offered: int, delivered: int, packets: int) -> dict[str, Any]:
        return {
            "up": [{"bytes_offered": offered, "queue_peak": 3}],
            "down": [
                {
                    "bytes_delivered": delivered,
                    "delivered": packets,
                    "queue_peak": 40,
                    "bytes_offered": 2 * delivered,
                    "offered": 2 * packets,
                }
            ],
        }

    usage = link_usage(stats(0, 0, 0), stats(125_000, 250_000, 500), 0, 10.0)
    assert usage == {
        "server_sent_kbps": 400.0,
        "server_sent_packets_per_s": 100.0,
        "queue_peak_up": 3,
        "queue_peak_down": 40,
        "packets_per_s_down": 50.0,
        "kbps_up": 100.0,
        "kbps_down": 200.0,
        "mb_per_minute": 2.25,
    }


def test_what_came_after_the_outage_tells_undecodable_video_from_none() -> None:
    samples = [sample(9.0, 50, heard=0), sample(10.0, 50), sample(30.0, 50)]
    samples[-1]["from"]["b"]["video"]["packetsReceived"] = 400
    samples[-1]["from"]["b"]["audio"]["packetsReceived"] = 1000
    assert received_since(samples, "b", back_s=10.0) == {
        "video_packetsReceived": 400, "video_framesDecoded": 0, "audio_packetsReceived": 1000,
    }  # fmt: skip
    assert received_since(samples, "b", back_s=5.0) == {}  # nothing sampled before the return
