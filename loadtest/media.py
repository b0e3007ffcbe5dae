"""Pre-encoded media for load tests: encode once with av (libvpx), replay without an encoder.

Encoding live would make the load generator's CPU, not the SFU's, the bottleneck. aiortc's
sender packetises an `av.Packet` without re-encoding it (shared/aiortc-notes.md), so a track
that yields packets from a file costs almost nothing per frame.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack

VIDEO_CLOCK = 90_000  # RTP clock of video, RFC 7741 section 4.1
AUDIO_CLOCK = 48_000  # RTP clock of Opus, RFC 7587 section 4.1
AUDIO_PACKETS_PER_SECOND = 50  # 20 ms frames, what browsers send


@dataclass(frozen=True)
class VideoSpec:
    width: int = 640
    height: int = 360
    fps: int = 30
    bitrate: int = 1_200_000
    seconds: int = 10
    keyframe_interval: int = 30  # frames: a subscriber waits at most this long for a key frame

    @property
    def file_name(self) -> str:
        return (
            f"vp8-{self.width}x{self.height}-{self.fps}fps-{self.bitrate // 1000}k"
            f"-{self.seconds}s-g{self.keyframe_interval}.ivf"
        )


def ensure_video_file(directory: Path, spec: VideoSpec = VideoSpec()) -> Path:
    """Encode the test clip into `directory` unless it is already there."""
    path = directory / spec.file_name
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with av.open(str(partial), "w", format="ivf") as container:
        stream = container.add_stream("libvpx", rate=spec.fps)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = spec.bitrate
        stream.codec_context.gop_size = spec.keyframe_interval
        # Constant bitrate, real-time settings: the shape of what a browser's encoder sends.
        rate = str(spec.bitrate)
        stream.codec_context.options = {
            "deadline": "realtime",
            "cpu-used": "8",
            "lag-in-frames": "0",
            "minrate": rate,
            "maxrate": rate,
            "bufsize": str(spec.bitrate // 2),
        }
        frames = (_synthetic_frame(spec, index) for index in range(spec.fps * spec.seconds))
        _encode_all(container, stream, frames)
    partial.rename(path)
    return path


def _encode_all(container: Any, stream: Any, frames: Iterable[Any]) -> None:
    """Encode every frame, flush the encoder, and write all packets."""
    for frame in [*frames, None]:
        for packet in stream.encode(frame):
            container.mux(packet)


def _synthetic_frame(spec: VideoSpec, index: int) -> av.VideoFrame:
    """A scrolling striped pattern with a moving block: motion the encoder must spend bits on,
    built from row slices of one precomputed line so that generating a clip stays quick."""
    frame = av.VideoFrame(spec.width, spec.height, "yuv420p")
    luma = frame.planes[0]
    stride = luma.line_size
    line = _pattern_line(spec.width)
    shift = index * 5
    rows = bytearray(stride * spec.height)
    for y in range(spec.height):
        offset = (y * 3 + shift + int(12 * math.sin((y + index) / 11.0))) % spec.width
        rows[y * stride : y * stride + spec.width] = line[offset : offset + spec.width]
    block = 64
    bx = (index * 7) % (spec.width - block)
    by = (index * 3) % (spec.height - block)
    for y in range(by, by + block):
        rows[y * stride + bx : y * stride + bx + block] = bytes([(index * 9) & 0xFF]) * block
    luma.update(bytes(rows))
    for plane, value in ((frame.planes[1], (index * 3) & 0xFF), (frame.planes[2], 128)):
        plane.update(bytes([value]) * (plane.line_size * (spec.height // 2)))
    frame.pts = index
    frame.time_base = fractions.Fraction(1, spec.fps)
    return frame


def _pattern_line(width: int) -> bytes:
    single = bytes(
        (int(96 + 80 * math.sin(x / 5.0) + 40 * math.sin(x / 17.0)) + (x % 13) * 3) & 0xFF
        for x in range(width)
    )
    return single * 2


def ensure_audio_file(directory: Path, seconds: int = 10) -> Path:
    """Encode a spoken-like Opus clip (20 ms packets, mono, 48 kHz) unless it is there."""
    path = directory / f"opus-48k-mono-20ms-{seconds}s.ogg"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with av.open(str(partial), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=AUDIO_CLOCK)
        stream.layout = "mono"
        stream.bit_rate = 32_000
        stream.codec_context.options = {"frame_duration": "20", "application": "voip"}
        samples = AUDIO_CLOCK // AUDIO_PACKETS_PER_SECOND
        count = seconds * AUDIO_PACKETS_PER_SECOND
        _encode_all(container, stream, (_audio_frame(i * samples, samples) for i in range(count)))
    partial.rename(path)
    return path


def _audio_frame(start: int, samples: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
    frame.planes[0].update(_tone(start, samples))
    frame.sample_rate = AUDIO_CLOCK
    frame.pts = start
    return frame


def _tone(start: int, count: int) -> bytes:
    """A 220 Hz tone that swells and fades twice a second, roughly like syllables (s16)."""
    samples = array.array("h")
    for n in range(start, start + count):
        t = n / AUDIO_CLOCK
        envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 2 * t)
        samples.append(int(8000 * envelope * math.sin(2 * math.pi * 220 * t)))
    return samples.tobytes()


def load_packets(path: Path) -> list[bytes]:
    """The encoded packets of the file's first stream (video or audio)."""
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(container.streams[0]) if packet.size]


class ReplayTrack(MediaStreamTrack):
    """Yields the file's encoded frames as `av.Packet`s in real time, looping; aiortc's sender
    packetises them without an encoder."""

    def __init__(self, kind: str, frames: list[bytes], rate: int) -> None:
        super().__init__()
        if not frames:
            raise ValueError(f"no {kind} frames to replay")
        self.kind = kind
        self._frames = frames
        self._fps = rate
        self._clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self._index = 0
        self._started: float | None = None
        self._held: asyncio.Future[None] | None = None
        self.frames_sent = 0

    def hold(self) -> None:
        """Send nothing more: the connection stays up, with its RTCP and ICE checks."""
        if self._held is None:
            self._held = asyncio.get_running_loop().create_future()

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        if self._held is not None:
            await self._held  # never resolved: closing the connection cancels the wait
        now = time.monotonic()
        if self._started is None:
            self._started = now
        due = self._started + self._index / self._fps
        if due > now:
            await asyncio.sleep(due - now)
        data = self._frames[self._index % len(self._frames)]
        packet = av.Packet(data)
        packet.pts = self._index * (self._clock // self._fps)
        packet.time_base = fractions.Fraction(1, self._clock)
        self._index += 1
        self.frames_sent += 1
        return packet
