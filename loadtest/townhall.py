"""The `townhall` scenario: the `sfu` scenario with meeting roles, plus the stage's traffic.

1-3 speakers join as `speaker` and publish VP8 and Opus, one moderator joins as `moderator`,
and N audience members join as `audience` (subscribe only), all through the real signalling
protocol with tokens signed by the server's secret. After everyone receives video, the media
is measured exactly as in loadtest/sfu.py (loss from RTP sequence numbers, SFU CPU per
forwarded packet, delay from abs-send-time) while audience members ask, vote and comment
(loadtest/stage_traffic.py) and everyone times each question and comment's arrival.

Speakers and the moderator do not subscribe to media, so every forwarded packet goes to an
audience member: one denominator for the SFU's CPU per packet.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtest.chat_stats import percentile
from loadtest.client import SyntheticParticipant
from loadtest.cluster import MAX_NODES, LocalCluster, NodeFigures, NodeWindow, measured_servers
from loadtest.failover import Cast, FailoverFigures, node_goes
from loadtest.measuring import MeasuredServer, difference, runqueue_wait_seconds
from loadtest.media import (
    AUDIO_PACKETS_PER_SECOND,
    ReplayTrack,
    VideoSpec,
    ensure_audio_file,
    ensure_video_file,
    load_packets,
)
from loadtest.presence_cost import cpu_total, presence_events
from loadtest.servers import ExternalServer
from loadtest.sfu import (
    CACHE_DIR,
    JOIN_BATCH,
    ROOM_PREFIX,
    SfuResult,
    SfuScenario,
    measure_media,
)
from loadtest.stage_traffic import (
    ANSWER_AFTER,
    MAX_COMMENTS_PER_S,
    MAX_QUESTIONS_PER_S,
    MAX_VOTES_PER_S,
    STRAGGLERS,
    Rates,
    StageTraffic,
    error_counts,
    ms,
)
from rooms.meeting import grants
from rooms.meeting.stage import MeetingRole
from server.config import load_secret
from sfu import peer

MAX_AUDIENCE = 1000  # one load generator reaches its own limit first (docs/benchmarks.md)
MAX_SPEAKERS = 3
MAX_DURATION = 600.0


@dataclass(frozen=True)
class TownhallScenario:
    audience: int
    speakers: int = 1
    duration: float = 20.0  # seconds measured, after every audience member receives video
    questions_per_s: float = 2.0
    comments_per_s: float = 5.0
    votes_per_s: float = 5.0
    answer_after: float = ANSWER_AFTER  # seconds from a question to the moderator's answer
    settle: float = 2.0  # seconds between the last join and the measurement
    join_timeout: float = 60.0
    pace_bps: float | None = 3_000_000  # speakers paced like Chromium, as in the sfu scenario
    seed: int = 1  # who asks, votes and comments
    nodes: int = 1  # >1: that many nodes started here; the audience spreads over them
    failover: bool = False  # then kill a node that is not the home (loadtest/failover.py)
    drain: bool = False  # or SIGTERM to the home, which moves the meeting (ditto)

    def __post_init__(self) -> None:
        limits = [
            ("audience", self.audience, 1, MAX_AUDIENCE),
            ("speakers", self.speakers, 1, MAX_SPEAKERS),
            ("duration", self.duration, 1, MAX_DURATION),
            ("questions per second", self.questions_per_s, 0, MAX_QUESTIONS_PER_S),
            ("comments per second", self.comments_per_s, 0, MAX_COMMENTS_PER_S),
            ("votes per second", self.votes_per_s, 0, MAX_VOTES_PER_S),
            ("answer delay", self.answer_after, 0, MAX_DURATION),
            ("nodes", self.nodes, 2 if self.failover or self.drain else 1, MAX_NODES),
        ]
        if self.failover and self.drain:
            raise ValueError("failover and drain are two ways for a node to go: choose one")
        for name, value, low, high in limits:
            if not low <= value <= high:
                raise ValueError(f"{name} must be {low:g}-{high:g}, not {value:g}")


@dataclass
class TownhallResult:
    speakers: int
    audience: int
    duration_s: float
    media: SfuResult  # the sfu scenario's figures; its subscribers are the audience
    video_pps: float  # video packets/s delivered to the whole audience
    join_welcome_ms_p50: float | None  # websocket opened -> `welcome`
    join_welcome_ms_p99: float | None
    join_media_ms_p50: float | None  # websocket opened -> first RTP packet (audio, mostly)
    join_media_ms_p99: float | None
    join_video_ms_p50: float | None  # websocket opened -> first video packet (20 ms polls)
    join_video_ms_p99: float | None
    audience_without_video: int  # missing some speaker's video in the measured window
    questions_sent: int
    questions_accepted: int  # reached someone: the others the server refused
    question_round_trip_ms_p50: float | None  # `ask` -> `question` back at the asker
    question_round_trip_ms_p99: float | None
    question_fan_out_ms_p50: float | None  # `ask` -> `question` at each participant
    question_fan_out_ms_p99: float | None
    questions_delivered_ratio: float | None  # of accepted questions x participants
    votes_sent: int
    answers_sent: int
    comments_sent: int
    comments_accepted: int
    comment_fan_out_ms_p50: float | None  # `comment` sent -> `comment` at each participant
    comment_fan_out_ms_p99: float | None
    comments_delivered_ratio: float | None
    skipped: dict[str, int]  # kind -> sends due when no member could make one (server limits)
    errors: dict[str, int]  # "in reply to: code" -> count, from every participant
    # Runnable but without a core (main thread, /proc/PID/schedstat), % of the window: on a
    # shared machine, whether delays and loss came from other work on the same cores.
    server_cpu_wait_percent: float | None
    loadgen_cpu_wait_percent: float | None
    nodes: int = 1
    # With several nodes: each node's CPU and what its audience received (loadtest/cluster.py).
    per_node: list[NodeFigures] = field(default_factory=list)
    failover: FailoverFigures | None = None  # with --failover
    # Server CPU seconds from the first audience join to the last one's video, all nodes.
    join_server_cpu_s: float | None = None
    presence: dict[str, float] = field(default_factory=dict)  # loadtest/presence_cost.py

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["per_node"] = [asdict(figures) for figures in self.per_node]
        data["failover"] = None if self.failover is None else asdict(self.failover)
        data["media"] = self.media.as_dict()
        return data


async def run_townhall(
    scenario: TownhallScenario,
    progress: Callable[[str], None],
    external: ExternalServer | None = None,
) -> TownhallResult:
    """Measure `external` (a server already running here), or a server started for the run."""
    peer.gather_on(["127.0.0.1"])
    spec = VideoSpec()
    frames = load_packets(ensure_video_file(CACHE_DIR, spec))
    voice = load_packets(ensure_audio_file(CACHE_DIR))
    rates = Rates(
        scenario.questions_per_s,
        scenario.comments_per_s,
        scenario.votes_per_s,
        scenario.answer_after,
    )
    traffic = StageTraffic(scenario.audience, scenario.speakers, rates, scenario.seed)
    async with measured_servers(external, scenario.nodes) as server:
        cluster = server if isinstance(server, LocalCluster) else None
        participant = _Cast(load_secret(server.data_dir), server, traffic).member

        moderator = participant("moderator", "moderator", traffic.moderator_index)
        speakers = [
            participant(f"speaker{n}", "speaker", scenario.audience + 1 + n)
            for n in range(scenario.speakers)
        ]
        audience = [
            participant(f"audience{n}", "audience", n, via=n) for n in range(scenario.audience)
        ]
        traffic.moderator, traffic.audience = moderator, audience

        async def on_stage(speaker: SyntheticParticipant) -> None:
            await speaker.join()
            tracks = [
                ReplayTrack("video", frames, spec.fps),
                ReplayTrack("audio", voice, AUDIO_PACKETS_PER_SECOND),
            ]
            await speaker.publish(tracks, pace_bps=scenario.pace_bps)

        try:
            await moderator.join()
            for speaker in speakers:
                await on_stage(speaker)
            joins, rss_before, join_cpu = await _join_measured(server, audience, scenario, progress)
            await asyncio.sleep(scenario.settle)
            result = await _measure(
                scenario, server, speakers, audience, traffic, joins, rss_before, progress
            )
            result.join_server_cpu_s = join_cpu
            if cluster is not None and (scenario.failover or scenario.drain):
                traffic.stop()  # the window is over: nobody sends on a socket told to move
                inboxes = (traffic.moderator_index, scenario.audience + 1)  # as made above
                cast = Cast(participant, on_stage, [moderator, *speakers], inboxes)
                result.failover = await node_goes(cluster, scenario.drain, cast, audience, progress)
                moderator, speakers[:] = cast.staff[0], cast.staff[1:]
            return result
        finally:
            traffic.stop()
            for someone in [*audience, *speakers, moderator]:
                await someone.close()


class _Cast:
    """Who takes part in one run: members with tokens signed by the server's secret, each
    joining through the node its index says (loadtest/cluster.py), their events timed by the
    stage traffic."""

    def __init__(
        self, secret: str, server: MeasuredServer | LocalCluster, traffic: StageTraffic
    ) -> None:
        self._secret = secret
        self._server = server
        self._traffic = traffic
        self._room = f"{ROOM_PREFIX}-townhall-{secrets.token_hex(4)}"  # others may use it

    def member(
        self, identity: str, role: MeetingRole, receiver: int, via: int = 0
    ) -> SyntheticParticipant:
        grant = grants.JoinGrant(
            self._room,
            identity,
            identity,
            can_publish=role != "audience",
            can_subscribe=role == "audience",
            role=role,
        )
        token = grants.mint(grant, self._secret, int(time.time()), ttl=3600)
        server = self._server
        if isinstance(server, LocalCluster):
            url = server.ws_url(via)
        else:
            url = server.base_url.replace("http://", "ws://") + "/ws"
        # Everyone who receives sends receiver reports and REMB, as browsers do.
        joining = SyntheticParticipant(url, token, receive="count", report=role == "audience")
        joining.events = self._traffic.inbox(receiver)
        return joining


async def _measure(
    scenario: TownhallScenario,
    server: MeasuredServer | LocalCluster,
    speakers: list[SyntheticParticipant],
    audience: list[SyntheticParticipant],
    traffic: StageTraffic,
    joins: tuple[list[float], list[float], list[float]],
    rss_before: float | None,
    progress: Callable[[str], None],
) -> TownhallResult:
    """The media as the sfu scenario measures it while the stage traffic runs, and what each
    node did with its share of the audience."""
    media_scenario = SfuScenario(
        subscribers=scenario.audience,
        duration=scenario.duration,
        publishers=scenario.speakers,
        audio=True,
        pace_bps=scenario.pace_bps,
    )
    cluster = server if isinstance(server, LocalCluster) else None
    video0, t0 = _video_packets(audience), time.monotonic()
    waits0 = [runqueue_wait_seconds(pid) for pid in (server.pid, "self")]
    per_node = NodeWindow(cluster, audience) if cluster else None
    media, _sent = await asyncio.gather(
        measure_media(media_scenario, server, speakers, audience, rss_before, joins[1], progress),
        traffic.run(scenario.duration),
    )
    video1, t1 = _video_packets(audience), time.monotonic()
    node_figures = per_node.finish() if per_node else []
    waits1 = [runqueue_wait_seconds(pid) for pid in (server.pid, "self")]
    waits = [difference(a, b) for a, b in zip(waits0, waits1, strict=True)]
    progress("waiting for questions and comments still in flight")
    await traffic.wait_for_stragglers(STRAGGLERS)
    video = [after - before for before, after in zip(video0, video1, strict=True)]
    for got in video:
        got.update({speaker.id: 0 for speaker in speakers})  # a speaker never seen
    result = _result(scenario, media, video, t1 - t0, joins, traffic, waits)
    result.nodes, result.per_node = scenario.nodes, node_figures
    if traffic.moderator is not None:
        result.presence = presence_events(traffic.moderator, audience)
    return result


async def _join_measured(
    server: MeasuredServer | LocalCluster,
    audience: list[SyntheticParticipant],
    scenario: TownhallScenario,
    progress: Callable[[str], None],
) -> tuple[tuple[list[float], list[float], list[float]], float | None, float | None]:
    """The audience joined (see _join_audience); the server's RSS before (MB) and its CPU
    seconds meanwhile."""
    rss_before, cpu_before = server.rss_mb(), cpu_total(server)
    joins = await _join_audience(audience, scenario, progress)
    spent = difference(cpu_before, cpu_total(server))
    return joins, rss_before, None if spent is None else round(spent, 2)


async def _join_audience(
    audience: list[SyntheticParticipant],
    scenario: TownhallScenario,
    progress: Callable[[str], None],
) -> tuple[list[float], list[float], list[float]]:
    """Join everyone, JOIN_BATCH at a time; milliseconds from opening the websocket to
    `welcome`, to the first RTP packet, and to the first video packet."""
    welcome_ms: list[float] = []
    media_ms: list[float] = []
    video_ms: list[float] = []

    async def join_one(index: int) -> None:
        member = audience[index]
        started = time.monotonic()
        await member.join()
        welcome_ms.append((time.monotonic() - started) * 1000)
        deadline = started + scenario.join_timeout
        while len(+_video_by_speaker(member)) < scenario.speakers:  # video from each
            if time.monotonic() > deadline:
                offers = sum(1 for event in member.events if event["type"] == "subscribe_offer")
                raise RuntimeError(
                    f"audience member {index} received no video in {scenario.join_timeout:g} s "
                    f"({sum(member.received.packets.values())} audio packets, {offers} "
                    f"subscribe offers)"
                )
            await asyncio.sleep(0.02)
        video_ms.append((time.monotonic() - started) * 1000)
        first = member.received.first_packet_at
        assert first is not None  # video came
        media_ms.append((first - started) * 1000)

    for start in range(0, len(audience), JOIN_BATCH):
        batch = range(start, min(start + JOIN_BATCH, len(audience)))
        await asyncio.gather(*(join_one(i) for i in batch))
        progress(f"joined {len(video_ms)}/{len(audience)} audience members")
    return welcome_ms, media_ms, video_ms


def _video_by_speaker(member: SyntheticParticipant) -> Counter[str]:
    """Video packets `member` has received so far, by speaker (participant id)."""
    video: Counter[str] = Counter()
    for (who, kind), n in member.received.packets.items():
        if kind == "video":
            video[who] += n
    return video


def _video_packets(audience: list[SyntheticParticipant]) -> list[Counter[str]]:
    return [_video_by_speaker(member) for member in audience]


def _rounded_percentile(values: list[float], fraction: float) -> float | None:
    value = percentile(values, fraction)
    return None if value is None else round(value, 1)


def _result(
    scenario: TownhallScenario,
    media: SfuResult,
    video: list[Counter[str]],
    window: float,
    joins: tuple[list[float], list[float], list[float]],
    traffic: StageTraffic,
    waits: list[float | None],
) -> TownhallResult:
    """`video`: packets each audience member received from each speaker in the `window`
    seconds measured;
    `waits`: seconds the server and the load generator waited for a core meanwhile."""
    welcome_ms, media_ms, video_ms = joins
    questions, comments = traffic.questions, traffic.comments
    return TownhallResult(
        speakers=scenario.speakers,
        audience=scenario.audience,
        duration_s=media.duration_s,
        media=media,
        video_pps=round(sum(got.total() for got in video) / window, 1),
        join_welcome_ms_p50=_rounded_percentile(welcome_ms, 0.5),
        join_welcome_ms_p99=_rounded_percentile(welcome_ms, 0.99),
        join_media_ms_p50=_rounded_percentile(media_ms, 0.5),
        join_media_ms_p99=_rounded_percentile(media_ms, 0.99),
        join_video_ms_p50=_rounded_percentile(video_ms, 0.5),
        join_video_ms_p99=_rounded_percentile(video_ms, 0.99),
        audience_without_video=sum(1 for got in video if not all(got.values())),
        questions_sent=traffic.sent["ask"],
        questions_accepted=questions.accepted,
        question_round_trip_ms_p50=ms(questions.round_trip, 0.5),
        question_round_trip_ms_p99=ms(questions.round_trip, 0.99),
        question_fan_out_ms_p50=ms(questions.fan_out, 0.5),
        question_fan_out_ms_p99=ms(questions.fan_out, 0.99),
        questions_delivered_ratio=questions.delivered_ratio(),
        votes_sent=traffic.sent["vote"],
        answers_sent=traffic.sent["answer"],
        comments_sent=traffic.sent["comment"],
        comments_accepted=comments.accepted,
        comment_fan_out_ms_p50=ms(comments.fan_out, 0.5),
        comment_fan_out_ms_p99=ms(comments.fan_out, 0.99),
        comments_delivered_ratio=comments.delivered_ratio(),
        skipped=dict(sorted(traffic.skipped.items())),
        errors=error_counts(traffic.errors),
        server_cpu_wait_percent=None if waits[0] is None else round(waits[0] / window * 100, 1),
        loadgen_cpu_wait_percent=None if waits[1] is None else round(waits[1] / window * 100, 1),
    )
