"""Uploads that claim to be videos are demuxed: a real video passes with its codec, size and
duration; an `ftyp` header followed by anything else does not."""

from __future__ import annotations

import os
from pathlib import Path

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.community.media_probe import probe_video
from tests.rooms.test_video_poster import mp4


def test_a_real_mp4_opens_with_its_codec_size_and_duration(tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    mp4(source, width=320, height=240, frames=10)
    probe = probe_video(source)
    assert (probe.codec, probe.width, probe.height) == ("mpeg4", 320, 240)
    assert probe.duration_s == pytest.approx(0.4, abs=0.05)  # 10 frames at 25 per second


def audio_only(path: Path) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        for _ in range(5):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000,
        b"\x00\x00\x00\x18ftypisom" + os.urandom(4096),
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\xee" * 500,
        b"",
    ],
    ids=["ftyp-then-zeros", "ftyp-then-noise", "webm-header-then-noise", "empty"],
)
def test_a_header_followed_by_garbage_is_refused(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "fake.mp4"
    source.write_bytes(content)
    with pytest.raises(ValueError):
        probe_video(source)


def test_a_cut_video_and_a_sound_file_are_refused(tmp_path: Path) -> None:
    whole = mp4(tmp_path / "clip.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError):
        probe_video(cut)
    sound = tmp_path / "voice.mp4"
    audio_only(sound)
    with pytest.raises(ValueError, match="no video stream"):
        probe_video(sound)


HEADS = [b"\x00\x00\x00\x18ftypmp42", b"\x00\x00\x00\x14ftyp3gp4", b"\x1a\x45\xdf\xa3"]


@pytest.mark.fuzz
@settings(max_examples=40)  # each example runs FFmpeg on a file
@given(head=st.sampled_from(HEADS), body=st.binary(max_size=2000))
def test_anything_after_a_video_header_is_a_probe_or_value_error(
    tmp_path_factory: pytest.TempPathFactory, head: bytes, body: bytes
) -> None:
    source = tmp_path_factory.mktemp("probe") / "upload"
    source.write_bytes(head + body)
    try:
        probe_video(source)
    except ValueError:
        pass


@pytest.mark.fuzz
@settings(max_examples=40)
@given(cuts=st.lists(st.tuples(st.integers(0, 20_000), st.binary(max_size=16)), max_size=6))
def test_a_damaged_real_video_is_a_probe_or_value_error(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[tuple[int, bytes]]
) -> None:
    directory = tmp_path_factory.mktemp("probe")
    data = bytearray(mp4(directory / "clip.mp4", width=64, height=48, frames=3))
    for at, replacement in cuts:
        at %= len(data) + 1
        data[at : at + len(replacement)] = replacement
    source = directory / "damaged.mp4"
    source.write_bytes(bytes(data))
    try:
        probe_video(source)
    except ValueError:
        pass
