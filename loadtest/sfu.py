"""The `sfu` scenario: one publisher replaying VP8, N subscribers counting packets, one server.

The server runs as its own process so that its CPU time can be read from /proc: the figure
that matters is SFU CPU per forwarded packet, (user + system time) / packets delivered.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtest.chat_stats import percentile
from loadtest.client import SyntheticParticipant
from loadtest.cluster import LocalCluster, NodeFigures, NodeWindow, measured_servers
from loadtest.measuring import (
    MeasuredServer,
    own_cpu_seconds,
    progress_bar,
    start_profiler,
)
from loadtest.media import (
    AUDIO_PACKETS_PER_SECOND,
    ReplayTrack,
    VideoSpec,
    ensure_audio_file,
    ensure_video_file,
    load_packets,
)
from loadtest.servers import ExternalServer
from rooms.meeting import grants
from server.config import load_secret
from sfu import peer

ROOM_PREFIX = "loadtest"
JOIN_BATCH = 10  # subscribers joining at once
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kamar-loadtest"


@dataclass(frozen=True)
class SfuScenario:
    subscribers: int
    duration: float = 20.0  # seconds measured, after everyone receives media
    settle: float = 2.0  # seconds between the last join and the measurement
    join_timeout: float = 60.0
    publishers: int = 1  # each sends one VP8 video (and Opus audio with `audio`)
    audio: bool = False
    # Publisher pacing like Chromium's (2.5 x the ~1.2 Mbps stream); None: whole frames at once.
    pace_bps: float | None = 3_000_000
    # The publisher asks for transport-cc and numbers its packets, as browsers do; the SFU then
    # sends it feedback instead of estimating its uplink itself.
    transport_cc: bool = True
    # Subscribers send receiver reports and REMB about once a second, as browsers do.
    subscriber_rtcp: bool = True
    # py-spy output of the server while measuring: flame graph SVG, speedscope JSON for a .json
    # name, collapsed stacks for a .txt name; or None.
    profile: Path | None = None
    # Seconds to measure the server with everyone still connected after the publishers stop
    # sending (0: not measured): what the connections alone cost (RTCP, ICE checks, timers).
    idle: float = 0.0
    # >1: that many nodes with Redis and PostgreSQL, started here; subscribers spread over them
    # (subscriber i connects through node i mod K), publishers through the first.
    nodes: int = 1


@dataclass
class SfuResult:
    subscribers: int
    duration_s: float
    forwarded_pps: float
    sfu_cpu_us_per_packet: float | None
    sfu_cpu_user_us_per_packet: float | None  # Python and libsrtp
    sfu_cpu_sys_us_per_packet: float | None  # the kernel: UDP send and receive
    sfu_cpu_percent: float | None
    # The load generator's own CPU: near 100% means it, not the SFU, limits loss and latency.
    loadgen_cpu_percent: float
    loss_ratio: float
    # Publisher's send stamp to the subscriber's socket (the kernel's arrival stamp)...
    latency_ms_p50: float | None
    latency_ms_p99: float | None
    # ... and to the subscriber's event loop, which adds the load generator's own queueing.
    loop_latency_ms_p50: float | None
    loop_latency_ms_p99: float | None
    join_ms_p50: float
    join_ms_p99: float
    rss_mb: float | None
    rss_mb_per_subscriber: float | None
    rss_mb_per_subscriber_stream: float | None  # per track a subscriber receives
    publisher_pps: float
    # Server CPU in ms per second once no media flows (`SfuScenario.idle`); None: not measured.
    idle_sfu_cpu_ms_per_s: float | None = None
    # A bare relay's CPU per forwarded packet to as many sockets, timed right after (`--floor`,
    # loadtest/relay_floor.py), and the SFU's figure minus it; None: not measured.
    floor_us_per_packet: float | None = None
    above_floor_us_per_packet: float | None = None
    nodes: int = 1
    # With several nodes: each node's CPU and what its subscribers received (loadtest/cluster.py).
    per_node: list[NodeFigures] = field(default_factory=list)

    def note_floor(self, floor_us_per_packet: float | None) -> None:
        self.floor_us_per_packet = floor_us_per_packet
        if floor_us_per_packet is not None and self.sfu_cpu_us_per_packet is not None:
            above = self.sfu_cpu_us_per_packet - floor_us_per_packet
            self.above_floor_us_per_packet = round(above, 2)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["per_node"] = [asdict(figures) for figures in self.per_node]
        return data


def _rounded_percentile(values: list[float], fraction: float, digits: int = 3) -> float | None:
    value = percentile(values, fraction)
    return None if value is None else round(value, digits)


async def run_sfu(
    scenario: SfuScenario,
    progress: Callable[[str], None],
    external: ExternalServer | None = None,
) -> SfuResult:
    """Measure `external` (a server already running here), or a server started for the run."""
    peer.gather_on(["127.0.0.1"])
    spec = VideoSpec()
    frames = load_packets(ensure_video_file(CACHE_DIR, spec))
    voice = load_packets(ensure_audio_file(CACHE_DIR)) if scenario.audio else []
    async with measured_servers(external, scenario.nodes) as server:
        secret = load_secret(server.data_dir)
        # A room of its own: a running server may have people in other rooms.
        room = f"{ROOM_PREFIX}-{secrets.token_hex(4)}"
        ws_url = server.base_url.replace("http://", "ws://") + "/ws"
        cluster = server if isinstance(server, LocalCluster) else None

        def via(index: int) -> str:
            return cluster.ws_url(index) if cluster else ws_url

        def token(identity: str, publish: bool) -> str:
            # Publishers only send: every packet the SFU forwards then goes to a subscriber,
            # so the CPU per forwarded packet has one denominator.
            grant = grants.JoinGrant(
                room, identity, identity, can_publish=publish, can_subscribe=not publish
            )
            return grants.mint(grant, secret, int(time.time()), ttl=3600)

        publishers = [
            SyntheticParticipant(ws_url, token(f"speaker{n}", True), receive="count")
            for n in range(scenario.publishers)
        ]
        subscribers: list[SyntheticParticipant] = []
        try:
            replays = await _publish(publishers, frames, voice, spec.fps, scenario)
            rss_before = server.rss_mb()
            join_ms = await _join_subscribers(via, token, scenario, subscribers, progress)
            await asyncio.sleep(scenario.settle)
            per_node = NodeWindow(cluster, subscribers) if cluster else None
            result = await measure_media(
                scenario, server, publishers, subscribers, rss_before, join_ms, progress
            )
            if per_node is not None:
                result.nodes, result.per_node = scenario.nodes, per_node.finish()
            if scenario.idle > 0:
                for track in replays:
                    track.hold()
                result.idle_sfu_cpu_ms_per_s = await _measure_idle(
                    server, scenario.idle, scenario.settle, progress
                )
            return result
        finally:
            for participant in [*publishers, *subscribers]:
                await participant.close()


async def _publish(
    publishers: list[SyntheticParticipant],
    frames: list[bytes],
    voice: list[bytes],
    fps: int,
    scenario: SfuScenario,
) -> list[ReplayTrack]:
    """Join each publisher and send the replayed video (and voice, when there is one); the
    tracks, so they can be held for the idle measurement."""
    replays: list[ReplayTrack] = []
    for publisher in publishers:
        await publisher.join()
        tracks = [ReplayTrack("video", frames, fps)]
        if voice:
            tracks.append(ReplayTrack("audio", voice, AUDIO_PACKETS_PER_SECOND))
        replays += tracks
        await publisher.publish(
            list(tracks), pace_bps=scenario.pace_bps, transport_cc=scenario.transport_cc
        )
    return replays


async def _join_subscribers(
    via: Callable[[int], str],
    token: Callable[[str, bool], str],
    scenario: SfuScenario,
    subscribers: list[SyntheticParticipant],
    progress: Callable[[str], None],
) -> list[float]:
    join_ms: list[float] = []

    async def join_one(index: int) -> None:
        participant = SyntheticParticipant(
            via(index), token(f"sub{index}", False), receive="count",
            report=scenario.subscriber_rtcp,
        )  # fmt: skip
        subscribers.append(participant)  # in index order: each is added before any await
        started = time.monotonic()
        await participant.join()
        deadline = started + scenario.join_timeout
        while participant.received.first_packet_at is None:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"subscriber {index} received nothing in {scenario.join_timeout} s"
                )
            await asyncio.sleep(0.02)
        join_ms.append((participant.received.first_packet_at - started) * 1000)

    for start in range(0, scenario.subscribers, JOIN_BATCH):
        batch = range(start, min(start + JOIN_BATCH, scenario.subscribers))
        await asyncio.gather(*(join_one(i) for i in batch))
        progress(f"joined {len(join_ms)}/{scenario.subscribers} subscribers")
    return join_ms


async def _measure_idle(
    server: MeasuredServer, seconds: float, settle: float, progress: Callable[[str], None]
) -> float | None:
    """The server's CPU (ms per second) over `seconds` once the last packets have passed."""
    await asyncio.sleep(settle)
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    while (elapsed := time.monotonic() - t0) < seconds:
        await asyncio.sleep(min(1.0, seconds - elapsed))
        elapsed = time.monotonic() - t0
        progress(f"{progress_bar(elapsed / seconds)} {elapsed:4.1f}/{seconds:.0f} s  no media")
    cpu1, t1 = server.cpu_seconds(), time.monotonic()
    if cpu0 is None or cpu1 is None:
        return None
    return round((sum(cpu1) - sum(cpu0)) / (t1 - t0) * 1000, 2)


async def _publisher_packets(publishers: list[SyntheticParticipant]) -> int:
    total = 0
    for publisher in publishers:
        assert publisher.publish_pc is not None
        for sender in publisher.publish_pc.getSenders():
            for stats in (await sender.getStats()).values():
                if stats.type == "outbound-rtp":
                    total += stats.packetsSent
    return total


@dataclass(frozen=True)
class _Totals:
    """Counters read at each end of the measured window."""

    own: float  # this process's CPU seconds (the load generator's)
    cpu: tuple[float, float] | None  # the server's user and system CPU seconds, if known
    delivered: int  # packets the subscribers got
    sent: int  # packets the publishers sent
    at: float  # time.monotonic()

    @staticmethod
    async def read(
        server: MeasuredServer,
        publishers: list[SyntheticParticipant],
        subscribers: list[SyntheticParticipant],
    ) -> _Totals:
        own = own_cpu_seconds()
        cpu, delivered = server.cpu_seconds(), _delivered(subscribers)
        return _Totals(own, cpu, delivered, await _publisher_packets(publishers), time.monotonic())


def _delivered(subscribers: list[SyntheticParticipant]) -> int:
    return sum(sum(s.received.packets.values()) for s in subscribers)


def _reception(subscribers: list[SyntheticParticipant], sent: int) -> dict[str, Any]:
    """What the subscribers got while measuring (which stops), by SfuResult's field names:
    the share lost (all `sent` by a subscriber that got nothing) and the delays in ms after
    their sockets and after their event loops."""
    delays_ms: list[float] = []
    socket_delays_ms: list[float] = []
    expected = lost = 0
    for subscriber in subscribers:
        received = subscriber.received
        received.measuring = False
        delays_ms.extend(delay * 1000 for delay in received.delays)
        socket_delays_ms.extend(delay * 1000 for delay in received.socket_delays)
        if not received.sequences:  # got nothing at all: everything sent was lost
            expected += sent
            lost += sent
        for tracker in received.sequences.values():
            expected += tracker.expected
            lost += tracker.lost
    return {
        "loss_ratio": round(lost / expected, 5) if expected else 1.0,
        "latency_ms_p50": _rounded_percentile(socket_delays_ms, 0.5),
        "latency_ms_p99": _rounded_percentile(socket_delays_ms, 0.99),
        "loop_latency_ms_p50": _rounded_percentile(delays_ms, 0.5),
        "loop_latency_ms_p99": _rounded_percentile(delays_ms, 0.99),
    }


def _memory(
    rss: float | None, rss_before: float | None, subscribers: int, streams: int
) -> dict[str, Any]:
    """The server's memory, and what each subscriber and each stream to one added, by
    SfuResult's field names."""
    grown = None if rss is None or rss_before is None or not subscribers else rss - rss_before
    return {
        "rss_mb": None if rss is None else round(rss, 1),
        "rss_mb_per_subscriber": None if grown is None else round(grown / subscribers, 3),
        "rss_mb_per_subscriber_stream": None
        if grown is None
        else round(grown / (subscribers * streams), 3),
    }


async def measure_media(
    scenario: SfuScenario,
    server: MeasuredServer,
    publishers: list[SyntheticParticipant],
    subscribers: list[SyntheticParticipant],
    rss_before: float | None,
    join_ms: list[float],
    progress: Callable[[str], None],
) -> SfuResult:
    for subscriber in subscribers:
        subscriber.received.start_measuring()
    profiler = (
        await start_profiler(server, scenario.profile, scenario.duration)
        if scenario.profile
        else None
    )
    start = await _Totals.read(server, publishers, subscribers)
    while (elapsed := time.monotonic() - start.at) < scenario.duration:
        await asyncio.sleep(min(1.0, scenario.duration - elapsed))
        elapsed = time.monotonic() - start.at
        progress(
            f"{progress_bar(elapsed / scenario.duration)} "
            f"{elapsed:4.1f}/{scenario.duration:.0f} s  "
            f"{(_delivered(subscribers) - start.delivered) / max(elapsed, 1e-9):8.0f} pkt/s"
            " forwarded"
        )
    end = await _Totals.read(server, publishers, subscribers)
    if profiler is not None:
        await profiler.wait()
    packets = end.delivered - start.delivered
    streams = len(publishers) * (2 if scenario.audio else 1)

    window = end.at - start.at
    user = system = None  # unknown without the server's process id
    if start.cpu is not None and end.cpu is not None:
        user, system = end.cpu[0] - start.cpu[0], end.cpu[1] - start.cpu[1]

    def per_packet(*seconds: float | None) -> float | None:
        if not packets or any(s is None for s in seconds):
            return None
        return round(sum(s or 0.0 for s in seconds) / packets * 1e6, 2)

    return SfuResult(
        subscribers=len(subscribers),
        duration_s=round(window, 2),
        forwarded_pps=round(packets / window, 1),
        sfu_cpu_us_per_packet=per_packet(user, system),
        sfu_cpu_user_us_per_packet=per_packet(user),
        sfu_cpu_sys_us_per_packet=per_packet(system),
        sfu_cpu_percent=None
        if user is None or system is None
        else round((user + system) / window * 100, 1),
        loadgen_cpu_percent=round((end.own - start.own) / window * 100, 1),
        **_reception(subscribers, end.sent - start.sent),
        join_ms_p50=round(statistics.median(join_ms), 1),
        join_ms_p99=_rounded_percentile(join_ms, 0.99, 1) or 0.0,
        **_memory(server.rss_mb(), rss_before, len(subscribers), streams),
        publisher_pps=round((end.sent - start.sent) / window, 1),
    )
