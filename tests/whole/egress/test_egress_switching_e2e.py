"""The picture follows the stage: while a screen is shared, three speakers taking turns are
shown one after the other in its corner (the programme follows speaker detection, fed by the
audio levels aiortc puts in every packet like a browser); two on stage share the frame side by
side, three in quarters; and an RTMP destination whose connection drops is restarted by
itself."""

from __future__ import annotations

import contextlib
import fractions
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import pytest
from aiortc.mediastreams import VideoStreamTrack

from loadtest.client import SyntheticParticipant
from loadtest.rtmp_server import RtmpServer, probe
from loadtest.tone import PulsedTone
from rooms.meeting.meeting import Meeting
from server.app import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.egress.conftest import use_test_encoding

pytestmark = pytest.mark.webrtc

ROOM = "balai-giliran"
TURN = 4.0  # seconds each speaker talks


class ColourTrack(VideoStreamTrack):
    """A small plain picture of one colour: whose it is can be read back from the recording."""

    def __init__(self, yuv: tuple[int, int, int]) -> None:
        super().__init__()
        self.yuv = yuv

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=160, height=96, format="yuv420p")
        for plane, value in zip(frame.planes, self.yuv, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, fractions.Fraction(time_base)
        return frame


RED, BLUE, GREEN = (76, 84, 255), (29, 255, 107), (150, 44, 21)  # BT.601 YUV of each
WHITE = (235, 128, 128)  # a shared screen: none of the three colours
# ffmpeg crops (w:h:x:y) of the recording's picture: the top right of the picture-in-picture
# corner (a quarter of the width, h/24 from the edges: commands.picture_filter), away from
# its caption; and the middle of each quarter a trio shows.
CORNER = "iw/8:ih/8:iw-ih/24-iw/8:ih-ih/4-ih/24"
TRIO_CELLS = ("iw/4:ih/4:iw/8:ih/8", "iw/4:ih/4:iw*5/8:ih/8", "iw/4:ih/4:iw*3/8:ih*5/8")


async def _speaker(
    kamar: RunningServer,
    name: str,
    colour: tuple[int, int, int],
    turn: int,
    epoch: float,
    turns: int = 2,
) -> SyntheticParticipant:
    member = SyntheticParticipant(kamar.ws_url, kamar.token(ROOM, name), room=ROOM, receive="count")
    await member.join()

    def loud(now: float) -> bool:
        return now >= epoch and int((now - epoch) // TURN) % turns == turn

    await member.publish([PulsedTone(loud), ColourTrack(colour)])
    return member


def _colours(path: Path, crop: str = "iw:ih:0:0") -> list[str]:
    """'red', 'green' or 'blue' for every half second of the recording's picture (`crop`:
    ffmpeg's w:h:x:y of the part looked at)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"fps=2,crop={crop},scale=8:8",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    frames = [raw[i : i + 192] for i in range(0, len(raw) - 191, 192)]
    seen = []
    for frame in frames:
        sums = {"red": sum(frame[0::3]), "green": sum(frame[1::3]), "blue": sum(frame[2::3])}
        top = max(sums, key=sums.__getitem__)
        others = [value for colour, value in sums.items() if colour != top]
        seen.append(top if sums[top] > 2 * max(others) else "other")
    return seen


@contextlib.asynccontextmanager
async def _recorded_town_hall(
    kamar: RunningServer,
    speakers: tuple[tuple[str, tuple[int, int, int]], ...],
    epoch: float,
    screen: tuple[int, int, int] | None = None,
) -> AsyncIterator[Meeting]:
    """A moderator (sharing a plain `screen` of that colour, if given) and `speakers` taking
    turns from `epoch` on, recorded from the start; yields the meeting. On leaving, the
    recording is stopped (and waited for) and everyone leaves."""
    async with contextlib.AsyncExitStack() as stack:
        host = SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, "ketua", role="moderator"), room=ROOM
        )
        stack.push_async_callback(host.close)
        await host.join()
        if screen is not None:
            await host.publish([ColourTrack(screen)], source="screen")
        for turn, (name, colour) in enumerate(speakers):
            member = await _speaker(kamar, name, colour, turn, epoch, turns=len(speakers))
            stack.push_async_callback(member.close)
        await host.send({"type": "egress_start", "record": True})
        room = kamar.server.app[SERVICES_KEY].registry.find(ROOM)
        assert room is not None
        yield room
        stopped = host.wait_for(lambda e: e["type"] == "egress" and not e["recording"])
        await host.send({"type": "egress_stop"})
        await stopped


async def _finished_recording(recordings: Path) -> Path:
    found: list[Path] = []

    def finished() -> bool:
        found[:] = recordings.glob("*.mp4")
        return bool(found)

    await eventually(finished, what="the finished recording")
    (recording,) = found
    return recording


async def test_the_corner_of_a_shared_screen_follows_the_speaker_who_talks(
    kamar: RunningServer, tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    use_test_encoding(kamar, recordings)
    epoch = time.time() + 1.0
    speakers = (("ani", RED), ("budi", BLUE), ("citra", GREEN))
    async with _recorded_town_hall(kamar, speakers, epoch, screen=WHITE) as room:
        captions: set[str] = set()

        def turns_done() -> bool:  # noting the caption under the corner's picture meanwhile
            if room.egress is not None:
                captions.add(room.egress.captions[1].read_text(encoding="utf-8"))
            # Ani's second turn (the fourth) and Budi's after it: the encoder reads its input
            # behind real time on a busy machine, and what it has not read when the recording
            # stops is not in it (a suite on a machine at load 18 lost Ani's second turn when
            # this stopped half way through it).
            return time.time() > epoch + 4.5 * TURN

        await eventually(turns_done, timeout=40, what="four and a half turns")
        assert {"ani", "budi", "citra"} <= captions  # each speaker's name under their picture
        assert room.egress is not None
        assert room.egress.captions[0].read_text(encoding="utf-8") == "ketua"  # the screen's
    recording = await _finished_recording(recordings)
    assert probe(recording)["seconds"] > TURN
    seen = _colours(recording, CORNER)
    # Ani's turn, then Budi's, then Citra's, then Ani's again: the corner follows the voice.
    changes = [c for i, c in enumerate(seen) if c != "other" and (i == 0 or c != seen[i - 1])]
    assert changes[:4] == ["red", "blue", "green", "red"], seen
    assert set(_colours(recording, "iw/4:ih/4:iw/8:ih/8")) == {"other"}  # the screen, white


async def test_three_speakers_on_stage_share_the_frame_in_quarters(
    kamar: RunningServer, tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    use_test_encoding(kamar, recordings)
    epoch = time.time() + 1.0
    speakers = (("ani", RED), ("budi", BLUE), ("citra", GREEN))
    async with _recorded_town_hall(kamar, speakers, epoch) as room:
        await eventually(lambda: time.time() > epoch + 2.5 * TURN, timeout=20, what="turns")
        assert room.egress is not None
        names = [caption.read_text(encoding="utf-8") for caption in room.egress.captions]
        assert names[:3] == ["ani", "budi", "citra"]  # each quarter named
    recording = await _finished_recording(recordings)
    # Once Citra's first key frame arrived, whoever talks: Ani above left, Budi above right,
    # Citra below in the middle, nobody moved.
    cells = [_colours(recording, crop) for crop in TRIO_CELLS]
    assert "green" in cells[2], cells
    all_three = cells[2].index("green")
    for cell, colour in zip(cells, ("red", "blue", "green"), strict=True):
        assert set(cell[all_three:]) == {colour}, cells


async def test_two_speakers_on_stage_share_the_frame_side_by_side(
    kamar: RunningServer, tmp_path: Path
) -> None:
    recordings = tmp_path / "recordings"
    use_test_encoding(kamar, recordings)
    epoch = time.time() + 1.0
    async with _recorded_town_hall(kamar, (("ani", RED), ("budi", BLUE)), epoch) as room:
        await eventually(lambda: time.time() > epoch + 2.5 * TURN, timeout=20, what="turns")
        assert room.egress is not None
        names = [caption.read_text(encoding="utf-8") for caption in room.egress.captions]
        assert names[:2] == ["ani", "budi"]  # left and right, each named (the rest unused)
    recording = await _finished_recording(recordings)
    # Until Budi's first key frame arrives, Ani fills the frame (the picture switches at key
    # frames, make-before-break); from then on both all along, whoever talks: Ani on the left,
    # Budi on the right, nobody switched away.
    left, right = _colours(recording, "iw/2:ih:0:0"), _colours(recording, "iw/2:ih:iw/2:0")
    assert "blue" in right[: len(right) // 2], (left, right)
    side_by_side = right.index("blue")
    assert set(left[side_by_side:]) == {"red"}, (left, right)
    assert set(right[side_by_side:]) == {"blue"}, (left, right)


async def test_a_dropped_destination_is_restarted(
    kamar: RunningServer, rtmp: RtmpServer, tmp_path: Path
) -> None:
    use_test_encoding(kamar, tmp_path / "recordings")
    epoch = time.time()
    async with contextlib.AsyncExitStack() as stack:
        host = SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, "ketua", role="moderator"), room=ROOM
        )
        stack.push_async_callback(host.close)
        await host.join()
        member = await _speaker(kamar, "ani", RED, 0, epoch)
        stack.push_async_callback(member.close)
        await host.send({"type": "egress_start", "rtmp": [{"url": rtmp.url, "key": "putus"}]})
        room = kamar.server.app[SERVICES_KEY].registry.find(ROOM)
        assert room is not None
        await eventually(lambda: room.egress is not None, what="egress to start")
        assert room.egress is not None
        (relay,) = room.egress.encoder.relays
        await eventually(lambda: relay.bytes_fed > 100_000, timeout=15, what="the stream")
        first_pid = relay.pid
        relay.kill()  # as when the destination drops the connection
        await eventually(
            lambda: relay.restarts == 1 and relay.running and relay.pid != first_pid,
            timeout=10,
            what="the relay to start again after its backoff",
        )
        fed = relay.bytes_fed
        await eventually(lambda: relay.bytes_fed > fed + 100_000, what="the stream to go on")
        await host.send({"type": "egress_stop"})
        await eventually(lambda: room.egress is None, what="egress to stop")
    await eventually(
        lambda: rtmp.recording("putus").exists() and probe(rtmp.recording("putus"))["seconds"] > 1,
        what="the RTMP server to have the stream after the restart",
    )
