"""Egress tests: a real RTMP server (nginx-rtmp) and publishers that replay a real clip."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from loadtest.client import SyntheticParticipant
from loadtest.media import (
    AUDIO_PACKETS_PER_SECOND,
    ReplayTrack,
    VideoSpec,
    ensure_audio_file,
    ensure_video_file,
    load_packets,
)
from loadtest.rtmp_server import RtmpServer, running_rtmp_server
from rooms.meeting.egress.commands import Encoding
from rooms.meeting.egress.egress import EgressSettings
from server.app import SERVICES_KEY
from tests.conftest import RunningServer

CLIP = VideoSpec(width=320, height=180, fps=15, bitrate=300_000, seconds=4, keyframe_interval=15)
# 360p keeps a test's one encode light on a shared two-core machine; the benchmark does 720p.
TEST_ENCODING = Encoding(height=360, video_kbps=800)


@pytest.fixture
def rtmp(tmp_path: Path) -> Iterator[RtmpServer]:
    with running_rtmp_server(tmp_path / "rtmp") as server:
        yield server


@pytest.fixture
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[bytes]]:
    return load_clip(tmp_path_factory)


def load_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[bytes]]:
    """(VP8 frames, Opus packets of a tone), encoded once per session directory."""
    directory = tmp_path_factory.getbasetemp() / "egress-media"
    return (
        load_packets(ensure_video_file(directory, CLIP)),
        load_packets(ensure_audio_file(directory, seconds=4)),
    )


def use_test_encoding(kamar: RunningServer, recordings: Path) -> None:
    kamar.server.app[SERVICES_KEY].egress = EgressSettings(recordings, encoding=TEST_ENCODING)


async def speaker(
    kamar: RunningServer,
    room: str,
    identity: str,
    clip: tuple[list[bytes], list[bytes]],
    role: str = "speaker",
) -> AsyncIterator[SyntheticParticipant]:
    """A participant publishing the clip's picture and tone (yielded once, closed after)."""
    video, audio = clip
    member = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, identity, role=role), room=room, receive="count"
    )
    try:
        await member.join()
        await member.publish(
            [
                ReplayTrack("audio", audio, AUDIO_PACKETS_PER_SECOND),
                ReplayTrack("video", video, CLIP.fps),
            ]
        )
        yield member
    finally:
        await member.close()
