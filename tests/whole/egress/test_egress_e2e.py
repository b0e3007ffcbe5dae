"""A meeting goes out live to a real RTMP server and is recorded: ffprobe reads back what
arrived (H.264 and AAC, the programme's size, its duration) and the sound is not silent."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from loadtest.rtmp_server import RtmpServer, mean_volume, probe
from tests.conftest import RunningServer, eventually
from tests.whole.egress.conftest import TEST_ENCODING, speaker, use_test_encoding

pytestmark = pytest.mark.webrtc

ROOM = "balai-warga"


def _egress_events(events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in events if e["type"] == "egress"]


async def test_a_moderator_streams_to_rtmp_and_records_a_playable_mp4(
    kamar: RunningServer, rtmp: RtmpServer, clip: tuple[list[bytes], list[bytes]], tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    use_test_encoding(kamar, recordings)
    async with contextlib.AsyncExitStack() as stack:
        host = await stack.enter_async_context(
            contextlib.asynccontextmanager(speaker)(kamar, ROOM, "ketua", clip, "moderator")
        )
        assert host.welcome["stage"]["egress"]["recording"] is False
        await host.send(
            {
                "type": "egress_start",
                "rtmp": [{"url": rtmp.url, "key": "balai"}],
                "record": True,
            }
        )
        await eventually(lambda: _egress_events(host.events), what="the egress event")
        started = _egress_events(host.events)[0]
        assert started["live"] is True and started["recording"] is True
        assert started["destinations"] == ["127.0.0.1"]

        received = rtmp.recording("balai")
        await eventually(
            lambda: received.exists() and probe(received)["seconds"] >= 4.0,
            timeout=20,
            what="4 s of the programme at the RTMP server",
        )
        await host.send({"type": "egress_stop"})
        await eventually(
            lambda: len(_egress_events(host.events)) == 2, what="the egress stopped event"
        )
        assert _egress_events(host.events)[1]["recording"] is False

    # Written as .part until ffmpeg finished it, then renamed: a list never shows half a file.
    await eventually(
        lambda: len(list(recordings.glob("meeting-balai-warga-*.mp4"))) == 1,
        what="the finished MP4",
    )
    files = list(recordings.glob("meeting-balai-warga-*.mp4"))
    assert probe(files[0])["seconds"] >= 3.0
    for path in (received, files[0]):
        found = probe(path)
        assert found["video_codec"] == "h264" and found["audio_codec"] == "aac"
        assert (found["width"], found["height"]) == (TEST_ENCODING.width, TEST_ENCODING.height)
        assert mean_volume(path) > -40.0  # the tone; silence reads about -91 dB
