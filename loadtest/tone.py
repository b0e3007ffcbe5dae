"""Speech-like pulses for the egress benchmark, and the ear that hears them come back.

`PulsedTone` is a microphone that aiortc encodes itself, so every packet carries its RFC 6464
audio level like a browser's and the SFU's speaker detection follows who is loud. Its loudness
follows a schedule in wall-clock time, so the moment a pulse starts is known.
`OnsetListener` plays the RTMP stream back through ffmpeg (decoded to 8 kHz mono PCM) and notes
the wall-clock time each pulse starts to be heard: the speaker-to-viewer delay is the
difference.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fractions
import math
import shutil
import time
from collections.abc import Callable

import av
from aiortc import MediaStreamTrack

RATE = 48_000
FRAME = RATE // 50  # 20 ms, what browsers send
TONE_HZ = 440
LISTEN_RATE = 8_000
CHUNK = LISTEN_RATE // 50  # 20 ms of what the listener hears
LOUD_RMS = 1000.0  # of s16: the tone is ~5,600, decoded silence stays under ~50
QUIET_CHUNKS = 10  # 200 ms of quiet before a loud chunk counts as a new onset


class PulsedTone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, loud: Callable[[float], bool]) -> None:
        """`loud(now)`: whether the tone sounds at wall-clock time `now` (seconds)."""
        super().__init__()
        self._loud = loud
        self._samples = 0
        self._started: tuple[float, float] | None = None  # (monotonic, wall) at sample 0

    async def recv(self) -> av.AudioFrame:
        if self._started is None:
            self._started = (time.monotonic(), time.time())
        mono, wall = self._started
        due = mono + self._samples / RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        at = wall + self._samples / RATE
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(_tone(self._samples) if self._loud(at) else bytes(2 * FRAME))
        frame.sample_rate = RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, RATE)
        self._samples += FRAME
        return frame


def _tone(start: int) -> bytes:
    samples = array.array(
        "h",
        (
            int(8000 * math.sin(2 * math.pi * TONE_HZ * n / RATE))
            for n in range(start, start + FRAME)
        ),
    )
    return samples.tobytes()


class OnsetListener:
    """Plays `url` with ffmpeg and records when each loud pulse begins (wall clock)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.onsets: list[float] = []
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        self._process = await asyncio.create_subprocess_exec(
            ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
            "-fflags", "nobuffer", "-flags", "low_delay", "-analyzeduration", "500000",
            "-i", self.url, "-map", "0:a:0", "-ac", "1", "-ar", str(LISTEN_RATE),
            "-f", "s16le", "pipe:1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        self._task = asyncio.ensure_future(self._listen())

    async def _listen(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        quiet = QUIET_CHUNKS
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                chunk = await self._process.stdout.readexactly(2 * CHUNK)
                samples = array.array("h", chunk)
                rms = math.sqrt(sum(s * s for s in samples) / len(samples))
                if rms >= LOUD_RMS:
                    if quiet >= QUIET_CHUNKS:
                        self.onsets.append(time.time())
                    quiet = 0
                else:
                    quiet += 1

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
