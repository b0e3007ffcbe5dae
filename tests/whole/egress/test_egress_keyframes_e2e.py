"""A camera that sends a key frame only when asked, as a browser does, still reaches the
programme. Egress asks as it starts following the camera, but its encoder's ffmpeg is not
reading its ports yet then, so that key frame is lost; egress asks again while the encoder
puts out no picture (processes.PictureWatch). Before, the programme waited for the camera's
next key frame, which a browser may not send for minutes: in a suite run on a loaded machine
an HLS viewer saw "Siaran web belum dimulai" for a whole minute, with no segment written.
The same came of a simulcast camera whose top layer a browser had turned off: the sinks now
take the best layer that is arriving (sfu/plain_rtp.py). Real ffmpeg; the camera is a
Producer fed by the test, so when key frames come is its choice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from loadtest.media import VideoSpec, ensure_video_file, load_packets
from rooms.meeting.egress import programme
from rooms.meeting.egress.commands import HLS_PLAYLIST
from rooms.meeting.egress.egress import Egress, EgressSettings
from sfu.forwarding import VIDEO, Producer, ProducerId
from tests.conftest import eventually
from tests.whole.egress.conftest import TEST_ENCODING

pytestmark = pytest.mark.webrtc

# One key frame, the first: every other frame needs the ones before it.
CLIP = VideoSpec(width=160, height=96, fps=15, bitrate=100_000, seconds=4, keyframe_interval=1000)
RTP_PAYLOAD = 1100  # bytes of VP8 per packet, as a browser keeps under the path's MTU
TICK = 0.3  # seconds: how often the meeting calls egress.follow (server/app.py)


def _is_key_frame(frame: bytes) -> bool:
    return not frame[0] & 0x01  # VP8's frame tag: 0 for a key frame (RFC 6386 9.1)


class AskedCamera:
    """Sends the clip from its key frame each time it is asked, at once, and nothing once the
    clip has run out until it is asked again. `layer`: the rid of the simulcast layer it is."""

    def __init__(self, frames: list[bytes], layer: str = "") -> None:
        self.frames = frames
        self.asked = 0
        self.ssrc = 0xA11 + len(layer)
        name = f"ani/video/1/{layer}" if layer else "ani/video/1"
        self.producer = Producer(
            ProducerId(name), "ani", VIDEO, self.ssrc, 96, 90000, None, self._ask
        )
        self._next = len(frames)  # nothing before the first request
        self._seq = 0
        self._started = time.monotonic()

    def _ask(self) -> None:
        self.asked += 1
        self.start()

    def start(self) -> None:
        """Send from the key frame on, at once."""
        self._next = 0
        asyncio.get_running_loop().call_soon(self._send_next)

    async def run(self) -> None:
        while True:
            self._send_next()
            await asyncio.sleep(1 / CLIP.fps)  # the camera's own pace

    def _send_next(self) -> None:
        if self._next >= len(self.frames):
            return
        frame = self.frames[self._next]
        self._next += 1
        timestamp = int((time.monotonic() - self._started) * 90000) & 0xFFFFFFFF
        parts = [frame[i : i + RTP_PAYLOAD] for i in range(0, len(frame), RTP_PAYLOAD)]
        for n, part in enumerate(parts):
            marker = 0x80 if n == len(parts) - 1 else 0
            descriptor = b"\x10" if n == 0 else b"\x00"  # S: the start of the frame (RFC 7741)
            header = bytes([0x80, marker | 96]) + self._seq.to_bytes(2, "big")
            header += timestamp.to_bytes(4, "big") + self.ssrc.to_bytes(4, "big")
            self._seq = (self._seq + 1) & 0xFFFF
            self.producer.receive(header + descriptor + part, time.monotonic())


@contextlib.asynccontextmanager
async def _egress_of(
    camera: AskedCamera,
    tmp_path: Path,
    track: Producer | None = None,
    before_start: Callable[[Egress], None] | None = None,
) -> AsyncIterator[Egress]:
    """Egress on HLS following `camera` (or the simulcast `track` it is a layer of), started as
    egress_start starts it, with the camera sending and the meeting's ticks going on as in a
    running meeting; stopped on leaving. `before_start` sees it before it starts."""
    followed = track or camera.producer
    settings = EgressSettings(tmp_path / "recordings", tmp_path / "live", encoding=TEST_ENCODING)
    egress = Egress("balai-kamera", settings, [], False, time.monotonic, event_id=7, hls=True)
    if before_start is not None:
        before_start(egress)
    egress.start()
    egress.follow([followed], [])  # at once, before ffmpeg reads its ports

    async def ticks() -> None:
        while True:
            egress.follow([followed], [])
            await asyncio.sleep(TICK)

    tasks = [asyncio.ensure_future(camera.run()), asyncio.ensure_future(ticks())]
    try:
        yield egress
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await egress.stop()


def _camera(tmp_path_factory: pytest.TempPathFactory, layer: str = "") -> AskedCamera:
    frames = load_packets(ensure_video_file(tmp_path_factory.getbasetemp() / "egress-media", CLIP))
    assert [_is_key_frame(frame) for frame in frames].count(True) == 1 and _is_key_frame(frames[0])
    return AskedCamera(frames, layer)


async def _until(
    condition: Callable[[], bool], what: str, egress: Egress, camera: AskedCamera
) -> None:
    try:
        await eventually(condition, timeout=30, what=what)  # a loaded machine: ffmpeg is slow
    except AssertionError as error:
        raise AssertionError(
            f"{error}: the encoder put out {egress.encoder.bytes_out} bytes, restarted "
            f"{egress.encoder.restarts} times; the camera was asked for key frames "
            f"{camera.asked} times"
        ) from error


async def test_a_camera_whose_first_key_frame_egress_missed_is_asked_again(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    camera = _camera(tmp_path_factory)
    async with _egress_of(camera, tmp_path) as egress:
        assert egress.hls is not None
        playlist = egress.hls / HLS_PLAYLIST
        await _until(
            lambda: playlist.exists() and ".ts" in playlist.read_text(encoding="utf-8"),
            "an HLS segment",
            egress,
            camera,
        )


async def test_a_restarted_encoder_gets_its_pictures_again(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    camera = _camera(tmp_path_factory)
    async with _egress_of(camera, tmp_path) as egress:
        encoder = egress.encoder
        await _until(lambda: encoder.bytes_out > 0, "the programme", egress, camera)
        pid = encoder.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # as when ffmpeg crashes
        await _until(
            lambda: encoder.restarts == 1 and encoder.pid not in (None, pid),
            "the encoder to start again",
            egress,
            camera,
        )
        before = encoder.bytes_out
        # Nothing comes out of the new process before it has a key frame of every picture.
        await _until(lambda: encoder.bytes_out > before, "the programme again", egress, camera)


async def test_a_camera_whose_top_layer_never_comes_is_sent_from_the_layer_that_does(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    low = _camera(tmp_path_factory, "q")
    # Its top layer is off (the browser's uplink estimate or CPU cannot afford it): nothing
    # comes on it, and a key frame asked for on it never does.
    top = Producer(ProducerId("ani/video/1/h"), "ani", VIDEO, 0xA20, 96, 90000, None, lambda: None)
    track = Producer(ProducerId("ani/video/1"), "ani", VIDEO, 0, 96, 90000, None, lambda: None)
    track.add_layers([low.producer, top])
    async with _egress_of(low, tmp_path, track) as egress:
        low.start()  # the low layer sends all along, from when egress already follows the track
        await _until(lambda: egress.encoder.bytes_out > 0, "the programme", egress, low)
        assert [sink.layer_changes for sink in egress.pictures] == [1] * programme.PICTURES


async def test_an_encoder_whose_port_was_taken_starts_again_on_other_ports(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A port is free when egress chooses it, but ffmpeg binds it only once loaded: another
    process that took it meanwhile made ffmpeg fail, and every restart on the same ports failed
    the same way (the suite saw it: "bind failed: Address already in use", five restarts)."""
    camera = _camera(tmp_path_factory)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken: list[int] = []

    def take_a_port(egress: Egress) -> None:
        taken.append(egress.pictures[0].address[1])
        squatter.bind(("127.0.0.1", taken[0]))

    with squatter:
        async with _egress_of(camera, tmp_path, before_start=take_a_port) as egress:
            camera.start()
            await _until(lambda: egress.encoder.bytes_out > 0, "the programme", egress, camera)
            assert egress.encoder.restarts >= 1
            assert egress.pictures[0].address[1] != taken[0]
