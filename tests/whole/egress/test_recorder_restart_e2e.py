"""A recorder that starts again (ffmpeg died, or fell behind and was stopped) writes its file
again instead of refusing the one its predecessor left: ffmpeg with -nostdin does not
overwrite a file unless told to, so before, every later start failed and the rest of the
meeting was not recorded."""

from __future__ import annotations

import subprocess
from pathlib import Path

from loadtest.rtmp_server import probe
from rooms.meeting.egress.commands import recorder_command
from rooms.meeting.egress.processes import Relay


def _programme(seconds: int) -> bytes:
    """MPEG-TS as the encoder makes it: H.264 with a key frame a second, and AAC."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=160x96:rate=25:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-f", "mpegts", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip


async def test_a_recorder_writes_over_the_unfinished_file_its_predecessor_left(
    tmp_path: Path,
) -> None:
    recording = tmp_path / "rapat.mp4.part"
    recording.write_bytes(b"\x00" * 4096)  # a killed ffmpeg's MP4: no index, unplayable
    relay = Relay("recording", recorder_command("ffmpeg", recording))
    relay.start()
    programme = _programme(3)
    await relay.started.wait()  # the process starts in the relay's own task
    relay.feed(programme)
    await relay.stop()
    assert relay.restarts == 0
    assert probe(recording)["seconds"] > 2  # the new recording, whole
