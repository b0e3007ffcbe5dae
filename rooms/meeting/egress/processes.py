"""The ffmpeg processes of one egress: the encoder, and the relays its output feeds.

The encoder's stdout (MPEG-TS, 188-byte packets) is read here and written to every relay's
stdin, whole packets only, so a relay started or restarted mid-stream begins on a packet
boundary and finds its footing at the next key frame (commands.KEYFRAME_SECONDS). A relay that
exits while it should run (the destination dropped the connection, the network went away) is
restarted after commands.backoff; one that cannot keep up (its pipe holds more than
MAX_BACKLOG) is stopped and restarted the same way, so it never holds the others back. The
encoder's output is watched for pictures (PictureWatch): egress asks the publishers for key
frames again while none comes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from rooms.meeting.egress.commands import STEADY, backoff

log = logging.getLogger(__name__)
TS_PACKET = 188
PAT_PID = 0
VIDEO_PID = 0x100  # ffmpeg's mpegts muxer numbers streams from 0x100: video is mapped first
MAX_BACKLOG = 4 * 1024 * 1024  # bytes waiting in a relay's pipe: ~10 s of a 3 Mbit/s programme
STOP_TIMEOUT = 10.0  # seconds a process gets to finish its file or stream before it is killed
# What ffmpeg prints for each command on its stdin (commands.layout_command): not a problem.
_COMMAND_ECHO = ("Enter command:", "Command reply for stream")
SECOND_SIGNAL_AFTER = 0.5  # seconds: see Encoder.stop
PICTURE_WAIT = 2.0  # seconds the encoder may put out no picture before key frames are asked for


@dataclass
class PictureWatch:
    """When to ask the publishers of the encoder's pictures for a key frame again. Pure.

    ffmpeg decodes nothing of a VP8 picture before a key frame and composes nothing while one
    of its pictures is missing, and a browser sends a key frame only when asked. Egress asks as
    a picture sink starts following a camera, but then the encoder's ffmpeg is not reading its
    ports yet (it binds them once loaded and past its SDP file, a second later on a loaded
    machine, and again after every restart): that key frame is lost, and the programme would
    wait for the camera's next one, which a browser may not send for minutes. So while an
    encoder runs and has put out no picture for PICTURE_WAIT (since it started, its last
    picture or the last request), asking again is due. A picture lost later (a key frame
    dropped on loopback) is caught the same way."""

    asked: int = 0  # times asking was due
    _since: float | None = None  # None: no encoder running, nobody to ask for

    def started(self, now: float) -> None:
        self._since = now

    def saw_picture(self, now: float) -> None:
        self._since = now

    def ended(self) -> None:
        self._since = None

    def due(self, now: float) -> bool:
        """True when the publishers should be asked for key frames now (then waits again)."""
        if self._since is None or now - self._since < PICTURE_WAIT:
            return False
        self._since = now
        self.asked += 1
        return True


class _Supervised:
    """A process run again, after commands.backoff, whenever it stops while it should run."""

    name: str
    restarts: int
    _stopping: bool

    async def _run_once(self) -> None:
        raise NotImplementedError

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping:
            started = loop.time()
            await self._run_once()
            if self._stopping:
                return
            failures = 1 if loop.time() - started >= STEADY else failures + 1
            self.restarts += 1
            delay = backoff(failures)
            log.warning("egress %s stopped; restarting in %.0f s", self.name, delay)
            await asyncio.sleep(delay)


class Relay(_Supervised):
    """One ffmpeg fed the programme on stdin: a destination or the recording."""

    def __init__(self, name: str, command: list[str], secret: str = "") -> None:
        self.name = name  # for logs and state: a host or "recording", never a stream key
        self.command = command
        self.restarts = 0
        self.bytes_fed = 0
        self._secret = secret  # masked in what ffmpeg prints
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._synced = False  # the running process has been fed from a key frame on
        self.started = asyncio.Event()  # set once its first process runs

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._supervise())

    async def _run_once(self) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            log.error("egress %s: ffmpeg could not start: %s", self.name, exc)
            return
        self._process = process
        self._synced = False
        self.started.set()
        assert process.stderr is not None
        async for line in process.stderr:
            log.warning("egress %s: %s", self.name, self._masked(line))
        await process.wait()

    def _masked(self, line: bytes) -> str:
        text = line.decode("utf-8", "replace").rstrip()
        return text.replace(self._secret, "***") if self._secret else text

    def feed(self, packets: bytes) -> None:
        """Whole TS packets for the process's stdin; dropped while it is not running."""
        process = self._process
        if process is None or process.returncode is not None or process.stdin is None:
            return
        stdin = process.stdin
        if stdin.is_closing():
            return
        if stdin.transport.get_write_buffer_size() > MAX_BACKLOG:
            log.warning("egress %s cannot keep up; restarting it", self.name)
            process.kill()
            return
        if not self._synced:  # a new process: nothing it could decode before a key frame
            start = keyframe_start(packets)
            if start is None:
                return
            packets = packets[start:]
            self._synced = True
        stdin.write(packets)
        self.bytes_fed += len(packets)

    def kill(self) -> None:
        """End the process now, as a dropped connection would (tests, a stuck relay)."""
        if self.running and self._process is not None:
            self._process.kill()

    async def stop(self) -> None:
        """Close stdin so ffmpeg finishes its file or stream, then wait for it. Idempotent."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None and process.stdin is not None:
            process.stdin.close()
            await _wait_or_kill(process)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class Encoder(_Supervised):
    """The one transcode: reads the RTP sinks, writes MPEG-TS, which goes to every relay.
    `clock`: the time `pictures` is kept in (egress asks it on its ticks)."""

    def __init__(
        self,
        command: list[str],
        relays: list[Relay],
        clock: Callable[[], float],
        before_restart: Callable[[], None] | None = None,
    ) -> None:
        """`before_restart` runs before each process but the first (egress chooses its ports
        again then)."""
        self.name = "encoder"
        self.command = command
        self._before_restart = before_restart
        self.relays = relays
        self.restarts = 0
        self.bytes_out = 0
        self.pictures = PictureWatch()
        self._clock = clock
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    def start(self) -> None:
        for relay in self.relays:
            relay.start()
        self._task = asyncio.ensure_future(self._supervise())

    def send_command(self, line: bytes) -> None:
        """A command for ffmpeg's filters on its stdin (commands.layout_command); dropped
        while it is not running (its restart is told again soon)."""
        process = self._process
        if process is None or process.returncode is not None or process.stdin is None:
            return
        if not process.stdin.is_closing():
            process.stdin.write(line)

    async def _run_once(self) -> None:
        if self.restarts and self._before_restart is not None:
            self._before_restart()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,  # layout commands
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            log.error("egress encoder: ffmpeg could not start: %s", exc)
            return
        self._process = process
        self.pictures.started(self._clock())
        assert process.stdout is not None and process.stderr is not None
        errors = asyncio.ensure_future(self._log_errors(process.stderr))
        pending = b""
        try:
            while chunk := await process.stdout.read(64 * 1024):
                pending += chunk
                whole = len(pending) - len(pending) % TS_PACKET
                if whole:
                    packets, pending = pending[:whole], pending[whole:]
                    self.bytes_out += whole
                    if carries_picture(packets):
                        self.pictures.saw_picture(self._clock())
                    for relay in self.relays:
                        relay.feed(packets)
            await process.wait()
            await errors
        finally:
            self.pictures.ended()

    async def _log_errors(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            text = line.decode("utf-8", "replace").strip()
            # SIGINT interrupts its read ("Connection timed out"); a layout command is echoed.
            if text and not self._stopping and not text.startswith(_COMMAND_ECHO):
                log.warning("egress encoder: %s", text)

    async def stop(self) -> None:
        """Let ffmpeg finish what it holds (SIGINT), pass it on, then stop every relay.

        ffmpeg's first SIGINT ends its loop at the next packet, but does not interrupt a read
        that waits for one (its interrupt callback fires from the second signal on, and a
        meeting may be silent): a second SIGINT a moment later ends that wait. Both stay
        graceful; ffmpeg exits at once only from the fourth."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(process.wait()), SECOND_SIGNAL_AFTER)
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT)
            except TimeoutError:
                if process is not None and process.returncode is None:
                    process.kill()
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        for relay in self.relays:
            await relay.stop()


def keyframe_start(packets: bytes) -> int | None:
    """Where in whole TS packets the stream can be joined: the PAT just before a video key
    frame (its packet starting a unit with the random access indicator, ISO 13818-1 2.4.3.5),
    or the key frame itself; None when the chunk holds no key frame."""
    pat = None
    for offset in range(0, len(packets) - TS_PACKET + 1, TS_PACKET):
        header = packets[offset : offset + 6]
        pid = ((header[1] & 0x1F) << 8) | header[2]
        if pid == PAT_PID:
            pat = offset
        elif pid == VIDEO_PID and header[1] & 0x40 and header[3] & 0x20 and header[4]:
            if header[5] & 0x40:  # random access indicator: a key frame starts here
                return pat if pat is not None and offset - pat <= 4 * TS_PACKET else offset
    return None


def carries_picture(packets: bytes) -> bool:
    """Whether whole TS packets hold any of the programme's video (VIDEO_PID)."""
    for offset in range(0, len(packets) - TS_PACKET + 1, TS_PACKET):
        if (packets[offset + 1] & 0x1F) << 8 | packets[offset + 2] == VIDEO_PID:
            return True
    return False


async def _wait_or_kill(process: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
