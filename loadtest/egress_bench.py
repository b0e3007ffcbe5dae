"""`python -m loadtest egress [--duration 30] [--height 720] [--json FILE]`: a town hall with
two speakers taking turns goes out live to an RTMP server this tool starts (Debian's
nginx-rtmp) and is recorded, against a Kamar server it starts, all in a private network
namespace.

Each speaker publishes a replayed VP8 clip and a microphone of tone pulses (loadtest/tone.py,
loadtest/pulses.py); they take turns every 6 s, so the programme switches speakers. Measured
over `--duration` seconds after the stream is up:

- `rtmp_seconds_received`: the span of what the RTMP server recorded (ffprobe);
- `egress_cpu_percent`: CPU of every ffmpeg egress runs (the encoder, the RTMP relay, the
  recorder, HLS), in % of one core; `encoder_cpu_percent` of the encode alone;
- `speaker_to_rtmp_ms`: from a pulse leaving the speaker to it being heard from the RTMP server
  (median, pulses within a turn); `switch_to_rtmp_ms` the same for a turn's first pulse;
- `hls_start_s`: from `egress_start` to the live HLS playlist listing its first segment, the
  earliest a web viewer can press play; `speaker_to_hls_ms`: a pulse's delay to a player of
  that playlist (ffmpeg reading it as it grows), median within a turn.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtest.client import SyntheticParticipant
from loadtest.media import ReplayTrack, VideoSpec, ensure_video_file, load_packets
from loadtest.netns import reexec_in_private_netns
from loadtest.pulses import MAX_DELAY, Schedule, delays, steady_delay
from loadtest.rtmp_server import RtmpServer, probe, running_rtmp_server
from loadtest.servers import ServerProcess, local_server, process_cpu_seconds
from loadtest.sfu import CACHE_DIR
from loadtest.target import bounded, write_results
from loadtest.tone import OnsetListener, PulsedTone
from rooms.meeting import grants
from rooms.meeting.egress.commands import HLS_PLAYLIST
from rooms.meeting.egress.recordings import live_directory
from server.config import EGRESS_HEIGHTS, load_secret
from sfu import peer

STREAM_KEY = "townhall"
HLS_NOTE = "to the playlist's first segment; a player adds its own start (Chromium: ~2 s)"


@dataclass(frozen=True)
class EgressResult:
    height: int
    duration_s: float
    rtmp_seconds_received: float
    rtmp_video: str
    egress_cpu_percent: float
    encoder_cpu_percent: float
    relays_cpu_percent: float
    server_cpu_percent: float | None
    speaker_to_rtmp_ms: float | None
    switch_to_rtmp_ms: float | None
    pulses_sent: int
    pulses_heard: int
    hls_start_s: float | None
    speaker_to_hls_ms: float | None
    hls_note: str
    townhalls_per_core: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def egress_pids(server_pid: int) -> dict[int, str]:
    """The server's ffmpeg children: pid -> "encoder" or "relay"."""
    found: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == server_pid and command and command[0].endswith(b"ffmpeg"):
            found[int(stat.parent.name)] = "encoder" if b"pipe:1" in command else "relay"
    return found


def cpu_of(pids: dict[int, str]) -> dict[int, float]:
    cpu: dict[int, float] = {}
    for pid in pids:
        seconds = process_cpu_seconds(pid)
        if seconds is not None:
            cpu[pid] = sum(seconds)
    return cpu


async def run_egress(duration: float, height: int, progress: Callable[[str], None]) -> EgressResult:
    peer.gather_on(["127.0.0.1"])
    frames = load_packets(ensure_video_file(CACHE_DIR, VideoSpec()))
    with tempfile.TemporaryDirectory(prefix="kamar-egress-bench-") as scratch:
        with running_rtmp_server(Path(scratch) / "rtmp") as rtmp:
            async with local_server(("--egress-height", str(height))) as server:
                return await _measure(server, rtmp, frames, duration, height, progress)


@dataclass
class Window:
    """What was seen while measuring, before any figure is computed."""

    pids: dict[int, str]
    cpu_before: dict[int, float]
    cpu_after: dict[int, float]
    server_before: tuple[float, float] | None
    server_after: tuple[float, float] | None
    begin: float  # wall clock
    end: float
    hls_start: float
    rtmp_onsets: list[float]
    hls_onsets: list[float]


async def _measure(
    server: ServerProcess,
    rtmp: RtmpServer,
    frames: list[bytes],
    duration: float,
    height: int,
    progress: Callable[[str], None],
) -> EgressResult:
    secret = load_secret(server.data_dir)
    room = f"bench-egress-{secrets.token_hex(3)}"
    ws_url = server.base_url.replace("http://", "ws://") + "/ws"

    def member(identity: str, role: str) -> SyntheticParticipant:
        grant = grants.JoinGrant(room, identity, identity, role=role)  # type: ignore[arg-type]
        token = grants.mint(grant, secret, int(time.time()), ttl=3600)
        return SyntheticParticipant(ws_url, token, receive="count")

    schedule = Schedule(time.time() + 2.0, span=duration + 120)
    moderator = member("moderator", "moderator")
    speakers = [member(f"speaker{n}", "speaker") for n in range(2)]
    try:
        await moderator.join()
        for n, speaker in enumerate(speakers):
            await speaker.join()
            tone = PulsedTone(functools.partial(schedule.loud, n))
            await speaker.publish([tone, ReplayTrack("video", frames, VideoSpec().fps)])
        playlist = live_directory(server.data_dir / "live", room, None) / HLS_PLAYLIST
        window = await _window(server, rtmp, moderator, playlist, duration, progress)
    finally:
        for participant in (moderator, *speakers):
            await participant.close()
    return _result(window, schedule, probe(rtmp.recording(STREAM_KEY)), height)


async def _window(
    server: ServerProcess,
    rtmp: RtmpServer,
    moderator: SyntheticParticipant,
    playlist: Path,
    duration: float,
    progress: Callable[[str], None],
) -> Window:
    """Start egress (RTMP, recording, HLS), listen to both outputs, measure, stop."""
    listener = OnsetListener(f"{rtmp.url}/{STREAM_KEY}")
    hls_listener = OnsetListener(str(playlist))
    started = moderator.wait_for(lambda e: e["type"] in ("egress", "error"))
    destination = {"url": rtmp.url, "key": STREAM_KEY}
    asked = time.monotonic()
    await moderator.send(
        {"type": "egress_start", "rtmp": [destination], "record": True, "hls": True}
    )
    if (event := await started)["type"] == "error":
        raise RuntimeError(f"egress_start refused: {event['message']}")
    progress("egress started; waiting for the RTMP server and the HLS playlist")
    try:
        await _until(lambda: _has_segment(playlist), 30.0)
        hls_start = time.monotonic() - asked
        await _until(lambda: rtmp.recording(STREAM_KEY).exists(), 20.0)
        await listener.start()
        await hls_listener.start()
        await asyncio.sleep(3.0)  # the listeners' start-up; the stream settles meanwhile
        pids = egress_pids(server.pid or 0)
        before, server_before, begin = cpu_of(pids), server.cpu_seconds(), time.time()
        await asyncio.sleep(duration)
        after, server_after, end = cpu_of(pids), server.cpu_seconds(), time.time()
        stopped = moderator.wait_for(lambda e: e["type"] == "egress" and not e["recording"])
        await moderator.send({"type": "egress_stop"})
        await stopped
    finally:
        await listener.stop()
        await hls_listener.stop()
    return Window(
        pids, before, after, server_before, server_after, begin, end, hls_start,
        listener.onsets, hls_listener.onsets,
    )  # fmt: skip


def _result(
    window: Window, schedule: Schedule, received: dict[str, Any], height: int
) -> EgressResult:
    begin, end = window.begin, window.end
    wall = end - begin
    used = {
        pid: window.cpu_after[pid] - window.cpu_before[pid]
        for pid in window.cpu_before
        if pid in window.cpu_after
    }
    encoder = sum(v for pid, v in used.items() if window.pids[pid] == "encoder") / wall * 100
    relays = sum(v for pid, v in used.items() if window.pids[pid] == "relay") / wall * 100
    server_cpu = None
    if window.server_before is not None and window.server_after is not None:
        server_cpu = (sum(window.server_after) - sum(window.server_before)) / wall * 100
    sent = schedule.onsets(begin, end)
    steady, switching = delays(sent, [t for t in window.rtmp_onsets if begin <= t < end + 2])
    # An HLS player is seconds behind: what it played in the window was sent before it too.
    hls_heard = [t for t in window.hls_onsets if begin <= t < end]
    hls_delay = steady_delay(schedule.onsets(begin - MAX_DELAY, end), hls_heard)
    egress_cpu = encoder + relays
    return EgressResult(
        height=height,
        duration_s=round(wall, 1),
        rtmp_seconds_received=round(received["seconds"], 1),
        rtmp_video=f"{received['video_codec']} {received['width']}x{received['height']}, "
        f"{received['audio_codec']}",
        egress_cpu_percent=round(egress_cpu, 1),
        encoder_cpu_percent=round(encoder, 1),
        relays_cpu_percent=round(relays, 1),
        server_cpu_percent=None if server_cpu is None else round(server_cpu, 1),
        speaker_to_rtmp_ms=round(statistics.median(steady)) if steady else None,
        switch_to_rtmp_ms=round(statistics.median(switching)) if switching else None,
        pulses_sent=len(sent),
        pulses_heard=len(steady) + len(switching),
        hls_start_s=round(window.hls_start, 1),
        speaker_to_hls_ms=None if hls_delay is None else round(hls_delay),
        hls_note=HLS_NOTE,
        townhalls_per_core=round(100 / egress_cpu, 1) if egress_cpu > 0 else None,
    )


def _has_segment(playlist: Path) -> bool:
    try:
        return ".ts" in playlist.read_text()
    except OSError:
        return False


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the RTMP server received nothing: is ffmpeg installed?")
        await asyncio.sleep(0.1)


def add_parser(scenarios: Any) -> None:
    egress = scenarios.add_parser(
        "egress", help="a town hall with two speakers taking turns, live to RTMP and recorded"
    )
    egress.add_argument(
        "--duration", type=bounded(float, 5, 600), default=30.0, help="seconds measured (30)"
    )
    egress.add_argument(
        "--height",
        type=int,
        choices=EGRESS_HEIGHTS,
        default=720,
        help="lines of the programme's picture (the server's --egress-height; default 720)",
    )
    egress.add_argument("--json", type=Path, help="write the results to this file")


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    reexec_in_private_netns()
    import uvloop

    result = uvloop.run(run_egress(args.duration, args.height, progress))
    print()
    for name, value in result.as_dict().items():
        print(f"  {name:<24} {'n/a' if value is None else value}")
    if args.json:
        write_results(args.json, [result])
    return 0
