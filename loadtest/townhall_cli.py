"""`python -m loadtest townhall --audience 50,200 [--speakers 1] [--duration 20]
[--questions-per-s 2] [--comments-per-s 5] [--votes-per-s 5] [--nodes K [--failover | --drain]]
[--json FILE] [--url URL]`: the command line of loadtest/townhall.py."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.cluster import MAX_NODES
from loadtest.stage_traffic import MAX_COMMENTS_PER_S, MAX_QUESTIONS_PER_S, MAX_VOTES_PER_S
from loadtest.target import (
    add_target_options,
    bounded,
    count_list,
    target_server,
    write_results,
)
from loadtest.townhall import (
    MAX_AUDIENCE,
    MAX_DURATION,
    MAX_SPEAKERS,
    TownhallResult,
    TownhallScenario,
    run_townhall,
)

audience_counts = count_list(MAX_AUDIENCE, "50,200")


def add_parser(scenarios: Any) -> None:
    townhall = scenarios.add_parser(
        "townhall",
        help="1-3 speakers (VP8 + Opus) to N audience subscribers, with questions, votes and "
        "comments",
    )
    townhall.add_argument(
        "--audience",
        type=audience_counts,
        default=[50],
        help=f"audience members N, or a comma list for a sweep (default 50, at most "
        f"{MAX_AUDIENCE})",
    )
    townhall.add_argument(
        "--speakers",
        type=bounded(int, 1, MAX_SPEAKERS),
        default=1,
        help=f"speakers publishing video and audio (default 1, at most {MAX_SPEAKERS})",
    )
    townhall.add_argument(
        "--duration",
        type=bounded(float, 1, MAX_DURATION),
        default=20.0,
        help="seconds measured per run (default 20)",
    )
    townhall.add_argument(
        "--questions-per-s",
        type=bounded(float, 0, MAX_QUESTIONS_PER_S),
        default=2.0,
        help="questions asked per second, by random audience members (default 2)",
    )
    townhall.add_argument(
        "--comments-per-s",
        type=bounded(float, 0, MAX_COMMENTS_PER_S),
        default=5.0,
        help="comments per second, by random audience members (default 5; each member "
        "comments at most every 1.5 s, as the server allows one a second)",
    )
    townhall.add_argument(
        "--votes-per-s",
        type=bounded(float, 0, MAX_VOTES_PER_S),
        default=5.0,
        help="up-votes per second on open questions (default 5)",
    )
    townhall.add_argument(
        "--pace-mbps",
        type=bounded(float, 0, 1000),
        default=3.0,
        help="pace each speaker like a browser at this rate (default 3.0); 0: whole frames",
    )
    _add_node_options(townhall)
    add_target_options(townhall)


def _add_node_options(townhall: Any) -> None:
    """Several nodes, failover, and where the figures go."""
    townhall.add_argument(
        "--nodes",
        type=bounded(int, 1, MAX_NODES),
        default=1,
        help="start this many nodes with Redis and PostgreSQL and spread the audience over "
        f"them, as a load balancer would (default 1, at most {MAX_NODES}; not with --url)",
    )
    townhall.add_argument(
        "--failover",
        action="store_true",
        help="with --nodes 2 or more: after the measured window, kill the last node (not the "
        "meeting's home) with SIGKILL and time its audience's way back to video through the "
        "other nodes",
    )
    townhall.add_argument(
        "--drain",
        action="store_true",
        help="with --nodes 2 or more: after the measured window, send SIGTERM to the meeting's "
        "home (node 0), which moves the meeting to the other nodes, and time everyone's way "
        "back to video and the drained node's exit",
    )
    townhall.add_argument("--json", type=Path, help="write the results to this file")


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    progress: Callable[[str], None],
) -> int:
    external = target_server(args, parser)
    if args.nodes > 1 and external is not None:
        parser.error("--nodes starts its own nodes: leave out --url")
    if args.failover and args.nodes < 2:
        parser.error("--failover needs --nodes 2 or more")
    if args.drain and args.nodes < 2:
        parser.error("--drain needs --nodes 2 or more")
    if args.drain and args.failover:
        parser.error("--drain and --failover are two ways for a node to go: choose one")

    import uvloop

    results: list[TownhallResult] = []
    for count in args.audience:
        scenario = TownhallScenario(
            audience=count,
            speakers=args.speakers,
            duration=args.duration,
            questions_per_s=args.questions_per_s,
            comments_per_s=args.comments_per_s,
            votes_per_s=args.votes_per_s,
            pace_bps=args.pace_mbps * 1e6 if args.pace_mbps > 0 else None,
            nodes=args.nodes,
            failover=args.failover,
            drain=args.drain,
        )
        print(
            f"townhall scenario: {args.speakers} speaker(s) with video and audio, 1 moderator, "
            f"{count} audience; {args.questions_per_s:g} questions, {args.votes_per_s:g} votes "
            f"and {args.comments_per_s:g} comments per second",
            flush=True,
        )
        result = uvloop.run(run_townhall(scenario, progress, external))
        print()
        results.append(result)
        summary(result)
    if args.json:
        write_results(args.json, results)
    return 0


def summary(result: TownhallResult) -> None:
    media = result.media

    def pair(a: object, b: object) -> str:
        return f"{'n/a' if a is None else a} / {'n/a' if b is None else b}"

    rows = [
        ("speakers / audience", pair(result.speakers, result.audience)),
        ("published packets/s (video + audio)", media.publisher_pps),
        ("delivered packets/s: all / video", pair(media.forwarded_pps, result.video_pps)),
        ("audience members without video", result.audience_without_video),
        ("loss ratio", media.loss_ratio),
        ("speaker to audience p50 / p99 (ms)", pair(media.latency_ms_p50, media.latency_ms_p99)),
        ("join to welcome p50 / p99 (ms)", pair(result.join_welcome_ms_p50,
         result.join_welcome_ms_p99)),
        ("join to first packet p50 / p99 (ms)", pair(result.join_media_ms_p50,
         result.join_media_ms_p99)),
        ("join to first video p50 / p99 (ms)", pair(result.join_video_ms_p50,
         result.join_video_ms_p99)),
        ("questions sent / accepted", pair(result.questions_sent, result.questions_accepted)),
        ("question round trip p50 / p99 (ms)", pair(result.question_round_trip_ms_p50,
         result.question_round_trip_ms_p99)),
        ("question fan-out p50 / p99 (ms)", pair(result.question_fan_out_ms_p50,
         result.question_fan_out_ms_p99)),
        ("questions delivered ratio", result.questions_delivered_ratio),
        ("votes / answers sent", pair(result.votes_sent, result.answers_sent)),
        ("comments sent / accepted", pair(result.comments_sent, result.comments_accepted)),
        ("comment fan-out p50 / p99 (ms)", pair(result.comment_fan_out_ms_p50,
         result.comment_fan_out_ms_p99)),
        ("comments delivered ratio", result.comments_delivered_ratio),
        ("sends skipped (server limits)", result.skipped or "none"),
        ("errors from the server", result.errors or "none"),
        ("SFU CPU (% of one core)", media.sfu_cpu_percent),
        ("SFU CPU per forwarded packet (us)", media.sfu_cpu_us_per_packet),
        ("SFU RSS (MB)", media.rss_mb),
        ("RSS per audience member (MB)", media.rss_mb_per_subscriber),
        ("load generator CPU (% of one core)", media.loadgen_cpu_percent),
        ("waiting for a core: SFU / loadgen (%)", pair(result.server_cpu_wait_percent,
         result.loadgen_cpu_wait_percent)), *_presence_rows(result),
    ]  # fmt: skip
    server_figures = {"SFU CPU (% of one core)", "SFU CPU per forwarded packet (us)",
                      "SFU RSS (MB)", "RSS per audience member (MB)"}  # fmt: skip
    for name, value in rows:
        if value is None:  # nothing sent of that kind, or no process id for the server
            value = "n/a (needs --pid)" if name in server_figures else "n/a"
        print(f"  {name:<38} {value}")
    if result.failover is not None:
        failover = result.failover
        how = "killed" if failover.exited_s is None else f"drained, exited in {failover.exited_s} s"
        print(
            f"  failover: node {failover.killed_node} {how}, {failover.rejoined}/"
            f"{failover.members} back to video, p50/p99/max {failover.failover_s_p50}/"
            f"{failover.failover_s_p99}/{failover.failover_s_max} s"
        )
    for node in result.per_node:
        print(
            f"  node {node.node}: {node.participants} audience, CPU {node.cpu_percent} % of a "
            f"core, {node.delivered_pps} pkt/s delivered, latency p50/p99 "
            f"{node.latency_ms_p50}/{node.latency_ms_p99} ms"
        )


def _presence_rows(result: TownhallResult) -> list[tuple[str, object]]:
    """What the joins cost in signalling (loadtest/presence_cost.py)."""
    return [
        ("server CPU during the joins (s)", result.join_server_cpu_s),
        *((name, f"{value:g}") for name, value in result.presence.items()),
    ]
