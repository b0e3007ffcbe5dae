"""Pre-encoded media of the load test: the Opus clip and the replay track."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from loadtest.media import AUDIO_CLOCK, ReplayTrack, ensure_audio_file, load_packets


def test_the_opus_clip_has_a_20_ms_packet_per_frame_and_is_made_once(tmp_path: Path) -> None:
    path = ensure_audio_file(tmp_path, seconds=2)
    packets = load_packets(path)
    assert 95 <= len(packets) <= 101  # 2 s of 20 ms packets (the encoder may hold one back)
    assert all(10 < len(packet) < 400 for packet in packets)
    modified = path.stat().st_mtime_ns
    assert ensure_audio_file(tmp_path, seconds=2) == path
    assert path.stat().st_mtime_ns == modified


async def test_a_replayed_audio_track_counts_time_in_the_48_khz_clock() -> None:
    track = ReplayTrack("audio", [b"\xfc\x01", b"\xfc\x02"], 50)
    first, second, third = [await track.recv() for _ in range(3)]
    assert track.kind == "audio"
    assert [p.pts for p in (first, second, third)] == [0, 960, 1920]
    assert first.time_base.denominator == AUDIO_CLOCK and bytes(third) == b"\xfc\x01"


def test_a_replay_track_needs_frames() -> None:
    with pytest.raises(ValueError, match="no video frames"):
        ReplayTrack("video", [], 30)


async def test_a_held_track_sends_nothing_more() -> None:
    track = ReplayTrack("audio", [b"\xfc\x01", b"\xfc\x02"], 1000)
    await track.recv()
    track.hold()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.1)
    assert track.frames_sent == 1
