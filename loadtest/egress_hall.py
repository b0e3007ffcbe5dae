"""One town hall of the egress benchmark: a moderator and two speakers taking turns, its egress
to the benchmark's RTMP server under a stream key of its own, recorded and on HLS, and the
players listening to both outputs. Several run at once on one server (`--halls`).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import statistics
import time
from pathlib import Path

from loadtest.client import SyntheticParticipant
from loadtest.egress_report import HallResult, kept_real_time
from loadtest.media import ReplayTrack, VideoSpec
from loadtest.pulses import MAX_DELAY, Schedule, delays, steady_delay
from loadtest.rtmp_server import RtmpServer, probe
from loadtest.servers import ServerProcess, process_cpu_seconds
from loadtest.tone import OnsetListener, PulsedTone
from rooms.meeting import grants
from rooms.meeting.egress.commands import HLS_PLAYABLE_SEGMENTS, HLS_PLAYLIST
from rooms.meeting.egress.recordings import live_directory
from server.config import load_secret

EGRESS_PROCESSES = 4  # the encoder and three copies: RTMP, the MP4 recorder, HLS
PROCESS_TIMEOUT = 10.0  # seconds for a hall's ffmpeg processes to show up after egress_start
LIVE_TIMEOUT = 30.0  # seconds from egress_start to both outputs


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


class BenchHall:
    """Hall number `index` on `server`; its figures once `finish` has run."""

    def __init__(
        self, index: int, server: ServerProcess, rtmp: RtmpServer, epoch: float, span: float
    ) -> None:
        self.index = index
        self.room = f"bench-egress-{index}-{secrets.token_hex(3)}"
        self.key = f"townhall{index}" if index else "townhall"
        self.rtmp = rtmp
        self.schedule = Schedule(epoch, span, seed=7 + index)
        self.playlist = live_directory(server.data_dir / "live", self.room, None) / HLS_PLAYLIST
        secret = load_secret(server.data_dir)
        ws_url = server.base_url.replace("http://", "ws://") + "/ws"

        def member(identity: str, role: str) -> SyntheticParticipant:
            grant = grants.JoinGrant(self.room, identity, identity, role=role)  # type: ignore[arg-type]
            token = grants.mint(grant, secret, int(time.time()), ttl=3600)
            return SyntheticParticipant(ws_url, token, receive="count")

        self.moderator = member("moderator", "moderator")
        self.speakers = [member(f"speaker{n}", "speaker") for n in range(2)]
        self.rtmp_listener = OnsetListener(f"{rtmp.url}/{self.key}")
        self.hls_listener = OnsetListener(str(self.playlist))
        self.pids: dict[int, str] = {}  # this hall's ffmpeg processes
        self.asked = 0.0  # monotonic: egress_start sent
        self.hls_start: float | None = None
        self.hls_playable: float | None = None  # HLS_PLAYABLE_SEGMENTS listed
        self.rtmp_live = False  # the RTMP server has the stream
        # (monotonic time, seconds the RTMP server had recorded) at the window's start and end
        self.marks: list[tuple[float, float]] = []

    async def join(self, frames: list[bytes]) -> None:
        await self.moderator.join()
        for n, speaker in enumerate(self.speakers):
            await speaker.join()
            tone = PulsedTone(functools.partial(self.schedule.loud, n))
            await speaker.publish([tone, ReplayTrack("video", frames, VideoSpec().fps)])

    async def start_egress(self, server_pid: int) -> None:
        """egress_start (RTMP, recording, HLS); the ffmpeg processes that appear are this
        hall's (halls are started one after another)."""
        known = set(egress_pids(server_pid))
        started = self.moderator.wait_for(lambda e: e["type"] in ("egress", "error"))
        destination = {"url": self.rtmp.url, "key": self.key}
        self.asked = time.monotonic()
        await self.moderator.send(
            {"type": "egress_start", "rtmp": [destination], "record": True, "hls": True}
        )
        if (event := await started)["type"] == "error":
            raise RuntimeError(f"egress_start refused: {event['message']}")
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while len(self.pids) < EGRESS_PROCESSES:
            if time.monotonic() > deadline:
                raise RuntimeError(f"hall {self.index}: egress started {len(self.pids)} ffmpegs")
            await asyncio.sleep(0.05)
            self.pids = {p: r for p, r in egress_pids(server_pid).items() if p not in known}

    async def until_live(self) -> None:
        """Until the HLS playlist lists a segment and the RTMP server records the stream
        (each noted when first seen), then the players start listening."""
        recording = self.rtmp.recording(self.key)
        deadline = time.monotonic() + LIVE_TIMEOUT
        while self.hls_playable is None or not self.rtmp_live:
            now = time.monotonic()
            listed = _segments_listed(self.playlist)
            if self.hls_start is None and listed:
                self.hls_start = now - self.asked
            if self.hls_playable is None and listed >= HLS_PLAYABLE_SEGMENTS:
                self.hls_playable = now - self.asked
            self.rtmp_live = self.rtmp_live or recording.exists()
            if now > deadline:
                missing = "RTMP stream" if self.rtmp_live else "playable HLS playlist"
                raise RuntimeError(f"hall {self.index}: no {missing} within {LIVE_TIMEOUT:g} s")
            await asyncio.sleep(0.05)
        await self.rtmp_listener.start()
        await self.hls_listener.start()

    async def mark(self) -> None:
        """Note how many seconds the RTMP server has recorded so far (at the window's start and
        end): whether it grew as fast as the clock says whether the hall kept real time."""
        received = await asyncio.to_thread(probe, self.rtmp.recording(self.key))
        self.marks.append((time.monotonic(), received["seconds"]))

    async def stop_egress(self) -> None:
        stopped = self.moderator.wait_for(lambda e: e["type"] == "egress" and not e["recording"])
        await self.moderator.send({"type": "egress_stop"})
        await stopped

    async def close(self) -> None:
        await self.rtmp_listener.stop()
        await self.hls_listener.stop()
        for participant in (self.moderator, *self.speakers):
            await participant.close()

    def result(self, used: dict[int, float], begin: float, end: float) -> HallResult:
        """`used`: CPU seconds of every egress process over the window [begin, end)."""
        wall = end - begin
        mine = {pid: seconds for pid, seconds in used.items() if pid in self.pids}
        encoder = sum(s for pid, s in mine.items() if self.pids[pid] == "encoder") / wall * 100
        relays = sum(s for pid, s in mine.items() if self.pids[pid] == "relay") / wall * 100
        received = probe(self.rtmp.recording(self.key))
        (start, before), (end_mark, after) = self.marks
        grown, window = after - before, end_mark - start
        sent = self.schedule.onsets(begin, end)
        heard = [t for t in self.rtmp_listener.onsets if begin <= t < end + 2]
        steady, switching = delays(sent, heard)
        # An HLS player is seconds behind: what it played in the window was sent before it too.
        hls_heard = [t for t in self.hls_listener.onsets if begin <= t < end]
        hls_delay = steady_delay(self.schedule.onsets(begin - MAX_DELAY, end), hls_heard)
        return HallResult(
            hall=self.index,
            rtmp_seconds_received=round(received["seconds"], 1),
            window_s=round(window, 1),
            window_received_s=round(grown, 1),
            kept_real_time=kept_real_time(grown, window),
            rtmp_video=f"{received['video_codec']} {received['width']}x{received['height']}, "
            f"{received['audio_codec']}",
            egress_cpu_percent=round(encoder + relays, 1),
            encoder_cpu_percent=round(encoder, 1),
            relays_cpu_percent=round(relays, 1),
            speaker_to_rtmp_ms=round(statistics.median(steady)) if steady else None,
            switch_to_rtmp_ms=round(statistics.median(switching)) if switching else None,
            pulses_sent=len(sent),
            pulses_heard=len(steady) + len(switching),
            hls_start_s=None if self.hls_start is None else round(self.hls_start, 1),
            hls_playable_s=None if self.hls_playable is None else round(self.hls_playable, 1),
            speaker_to_hls_ms=None if hls_delay is None else round(hls_delay),
        )


def _segments_listed(playlist: Path) -> int:
    try:
        return playlist.read_text().count("#EXTINF")
    except OSError:
        return 0
