"""`python -m loadtest sfu --subscribers 10,40,80,160 [--duration 20] [--pace-mbps 3]
[--idle S] [--floor] [--no-subscriber-rtcp] [--nodes K] [--json FILE] [--plot FILE.png]
[--profile FILE]`
(also installed as `kamar-loadtest`)

`python -m loadtest chat --clients 500,2000 [--rate 5] [--duration 20] [--workers 1]
[--json FILE]`: chat fan-out to N websocket clients in one room.

`python -m loadtest townhall --audience 50,200 [--speakers 1] [--duration 20]
[--questions-per-s 2] [--comments-per-s 5] [--votes-per-s 5] [--nodes K] [--json FILE]`:
speakers to an audience, with questions, votes and comments on the stage.

With `--nodes K` (sfu, townhall) the tool starts K nodes with a Redis and a PostgreSQL of its
own, spreads the subscribers over them as a load balancer would (subscriber i through node
i mod K) and adds `nodes` and `per_node` (each node's CPU, deliveries and delay) to --json.

`python -m loadtest auth-storm --sockets 2000 [--within 9]`: a reconnect storm of feed sockets
sending `auth`, and how long another user's requests wait meanwhile.

`python -m loadtest field [--participants 4] [--rtt-ms 300 --loss 0.03 --rate-kbps 500]
[--duration 30] [--json FILE]`: Chromium participants behind an emulated bad link (see
loadtest/field/cli.py).

`python -m loadtest announce --rooms 1000 --members 50000 [--sockets 2000] [--json FILE]`: one
announcement to R rooms of M members, S of them connected; delivered_ratio and delivery_ms_p99
(loadtest/announce.py).

`python -m loadtest campaign-report [--members 100000] [--messages 1000000] [--json FILE]`: a
campaign's recruitment report on PostgreSQL over generated data (loadtest/campaign_report.py).

`python -m loadtest insight --members 10000 --rooms 100 --messages 100000 [--database-url URL]
[--json [FILE]]`: generate a community and time every member-insight view
(loadtest/insight_bench.py).

`python -m loadtest egress [--duration 30] [--height 720] [--json FILE]`: a town hall with two
speakers taking turns, live to an RTMP server it starts and recorded (loadtest/egress_bench.py).
`python -m loadtest search --messages 100000 [--postgres] [--json [FILE]]`: index generated
Indonesian chat and time searches, with pg_trgm beside it on PostgreSQL (loadtest/search_bench.py).

`python -m loadtest floor --receivers 10,80 [--duration 10]`: a bare relay (no SRTP, ICE or
RTCP) forwarding the same paced stream to N sockets, the floor under the sfu figure here.

Starts its own Kamar server on loopback, inside a private network namespace (it re-executes
itself under `unshare --net` when needed), and stops by itself: bounded in count and time.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from loadtest import (
    announce,
    auth_storm,
    campaign_report,
    chat_cli,
    egress_bench,
    insight_bench,
    search_bench,
    townhall_cli,
)
from loadtest.cluster import MAX_NODES
from loadtest.field import cli as field_cli
from loadtest.forward_bench import run_forward
from loadtest.netns import reexec_in_private_netns
from loadtest.plot import plot_sweep
from loadtest.relay_floor import measure as measure_floor
from loadtest.sfu import SfuResult, SfuScenario, run_sfu
from loadtest.target import (
    add_target_options,
    bounded,
    count_list,
    print_summary,
    target_server,
    write_results,
)
from sfu import native

MAX_SUBSCRIBERS = 500
MAX_DURATION = 600.0
MAX_PUBLISHERS = 10


_subscriber_counts = count_list(MAX_SUBSCRIBERS, "10,40,80")
_node_count = bounded(int, 1, MAX_NODES)


def _duration(text: str) -> float:
    value = float(text)
    if not 1 <= value <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"duration must be 1-{MAX_DURATION:.0f} seconds")
    return value


def _idle_seconds(text: str) -> float:
    value = float(text)
    if value != 0 and not 1 <= value <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"idle must be 0 or 1-{MAX_DURATION:.0f} seconds")
    return value


def _publisher_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_PUBLISHERS:
        raise argparse.ArgumentTypeError(f"publishers must be 1-{MAX_PUBLISHERS}")
    return value


def _png(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"{text} does not end in .png")
    return path


def _pace(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError("the pacing rate must be 0-1000 Mbit/s (0: no pacing)")
    return value


def _floor(args: argparse.Namespace) -> int:
    reexec_in_private_netns()
    for receivers in args.receivers:
        result = measure_floor(receivers, args.duration)
        print(
            f"{receivers:4d} receivers: {result.us_per_forwarded_packet} us per forwarded packet "
            f"({result.us_per_incoming_packet} us per incoming packet, relay "
            f"{result.relay_cpu_ms_per_s} ms of CPU per second)",
            flush=True,
        )
    return 0


def _forward(args: argparse.Namespace) -> int:
    if not 1 <= args.packets <= 1_000_000:
        raise SystemExit("--packets must be 1-1000000")
    if args.socket:
        reexec_in_private_netns()
    # With a socket, the Python and the native send step take turns (a ratio from one run).
    native_too = args.socket and native.rtpsend is not None
    for consumers in args.consumers:
        for use_native in (False, True) if native_too else (False,):
            result = run_forward(consumers, args.packets, args.socket, use_native)
            where = ", sendto on loopback" if args.socket else ""
            step = "native" if use_native else "Python"
            print(
                f"{consumers:>4} consumers: {result.us_per_packet:6.2f} us CPU per forwarded "
                f"packet ({result.packets_forwarded} packets{where}, {step} send step)"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    scenarios = parser.add_subparsers(required=True, dest="scenario")
    _add_sfu_parser(scenarios)
    _add_bench_parsers(scenarios)
    chat_cli.add_parser(scenarios)
    townhall_cli.add_parser(scenarios)
    auth_storm.add_parser(scenarios)
    field_cli.add_parser(scenarios)
    announce.add_parser(scenarios)
    campaign_report.add_parser(scenarios)
    insight_bench.add_parser(scenarios)
    egress_bench.add_parser(scenarios)
    search_bench.add_parser(scenarios)
    args = parser.parse_args()
    if args.scenario == "insight":
        return insight_bench.run(args, _progress)
    if args.scenario == "search":
        return search_bench.run(args, _progress)
    if args.scenario == "forward":
        return _forward(args)
    if args.scenario == "floor":
        return _floor(args)
    if args.scenario == "chat":
        return chat_cli.run(args, parser, _progress)
    if args.scenario == "townhall":
        return townhall_cli.run(args, parser, _progress)
    if args.scenario == "auth-storm":
        return auth_storm.run(args, parser, _progress)
    if args.scenario == "field":
        return field_cli.run(args, parser, _progress)
    if args.scenario == "announce":
        return announce.run(args, _progress)
    if args.scenario == "egress":
        return egress_bench.run(args, _progress)
    if args.scenario == "campaign-report":
        return campaign_report.run(args, _progress)
    return _sfu(args, parser)


def _add_sfu_parser(scenarios: Any) -> None:
    """`sfu`: the meeting it runs (its reports: `_add_sfu_reports`)."""
    sfu = scenarios.add_parser("sfu", help="1 VP8 publisher to N counting subscribers")
    sfu.add_argument(
        "--subscribers",
        type=_subscriber_counts,
        default=[20],
        help="N, or a comma list for a sweep (default 20)",
    )
    sfu.add_argument(
        "--duration", type=_duration, default=20.0, help="seconds measured per run (default 20)"
    )
    sfu.add_argument(
        "--publishers",
        type=_publisher_count,
        default=1,
        help=f"publishers, each sending one VP8 video (default 1, at most {MAX_PUBLISHERS})",
    )
    sfu.add_argument(
        "--audio",
        action="store_true",
        help="publishers also send Opus audio (50 packets/s each), as people in a meeting do",
    )
    sfu.add_argument(
        "--pace-mbps",
        type=_pace,
        default=3.0,
        help="pace the publisher like a browser, at this rate (default 3.0, about 2.5 x the "
        "stream, as Chromium does); 0 sends each frame's packets at once",
    )
    sfu.add_argument(
        "--no-transport-cc",
        action="store_true",
        help="the publisher does not ask for transport-cc (browsers do): the SFU then "
        "estimates its uplink from abs-send-time on every packet, as for aiortc clients",
    )
    sfu.add_argument(
        "--no-subscriber-rtcp",
        action="store_true",
        help="subscribers send no receiver reports or REMB (browsers send them about once a "
        "second; without them the server does less than it would for real viewers)",
    )
    _add_sfu_reports(sfu)


def _add_sfu_reports(sfu: Any) -> None:
    """What else `sfu` measures and where its figures go."""
    sfu.add_argument(
        "--idle",
        type=_idle_seconds,
        default=0.0,
        help="then stop the publishers and measure the server's CPU for this many seconds "
        "with everyone still connected: what the connections alone cost (default 0: skip)",
    )
    sfu.add_argument(
        "--floor",
        action="store_true",
        help="after each run, time a bare relay of the same stream to as many sockets (the "
        "floor scenario) and report how much the SFU costs above it: on a shared machine the "
        "difference of two back-to-back runs is steadier than either",
    )
    sfu.add_argument(
        "--nodes",
        type=_node_count,
        default=1,
        help="start this many nodes with Redis and PostgreSQL; subscribers spread over them, "
        f"publishers go to the first (default 1, at most {MAX_NODES}; not with --url)",
    )
    sfu.add_argument("--json", type=Path, help="write the results to this file")
    add_target_options(sfu)
    sfu.add_argument(
        "--plot",
        type=_png,
        help="draw CPU per packet and loss against subscribers into this PNG (needs "
        "matplotlib: pip install -e '.[bench]')",
    )
    sfu.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy while measuring (SVG flame graph; speedscope JSON "
        "for .json, collapsed stacks for .txt; with a sweep, the last run's profile is kept)",
    )


def _add_bench_parsers(scenarios: Any) -> None:
    """`forward` and `floor`: the per-packet path alone, and a bare relay's floor."""
    forward = scenarios.add_parser(
        "forward", help="micro-benchmark of the per-packet path, no network or event loop"
    )
    forward.add_argument("--consumers", type=_subscriber_counts, default=[80])
    forward.add_argument(
        "--packets", type=int, default=5000, help="incoming packets (default 5000)"
    )
    forward.add_argument(
        "--socket", action="store_true", help="really sendto() on a loopback UDP socket"
    )
    floor = scenarios.add_parser(
        "floor", help="a bare relay's CPU per forwarded packet here: the floor under `sfu`"
    )
    floor.add_argument("--receivers", type=_subscriber_counts, default=[10, 80])
    floor.add_argument(
        "--duration", type=_duration, default=10.0, help="seconds measured per run (default 10)"
    )


def _sfu(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: .venv/bin/pip install -e '.[bench]'")
    external = target_server(args, parser)
    if args.nodes > 1 and (external is not None or args.profile):
        parser.error("--nodes starts its own nodes: leave out --url and --profile")

    import uvloop  # the client side must not be the bottleneck either

    results: list[SfuResult] = []
    for count in args.subscribers:
        media = "video and audio" if args.audio else "video"
        print(
            f"sfu scenario: {args.publishers} publisher(s) of {media}, {count} subscribers",
            flush=True,
        )
        result = uvloop.run(
            run_sfu(
                SfuScenario(
                    subscribers=count,
                    duration=args.duration,
                    profile=args.profile,
                    pace_bps=args.pace_mbps * 1e6 if args.pace_mbps > 0 else None,
                    publishers=args.publishers,
                    audio=args.audio,
                    idle=args.idle,
                    transport_cc=not args.no_transport_cc,
                    subscriber_rtcp=not args.no_subscriber_rtcp,
                    nodes=args.nodes,
                ),
                _progress,
                external,
            )
        )
        print()
        if args.floor:
            _progress(f"timing a bare relay to {count} sockets for {args.duration:g} s")
            result.note_floor(measure_floor(count, args.duration).us_per_forwarded_packet)
            print()
        results.append(result)
        _summary(result)
    if args.json:
        write_results(args.json, results)
    if args.plot:
        pacing = f"paced at {args.pace_mbps:g} Mbit/s" if args.pace_mbps else "unpaced"
        media = "VP8 + Opus" if args.audio else "VP8"
        title = f"{args.publishers} {media} publisher(s) ({pacing}) to N subscribers"
        plot_sweep(results, args.plot, title)
        print(f"wrote {args.plot}")
    return 0


def _progress(line: str) -> None:
    sys.stdout.write("\r" + line.ljust(78))
    sys.stdout.flush()


def _summary(result: SfuResult) -> None:
    rows = [
        ("subscribers", result.subscribers),
        ("publisher packets/s", result.publisher_pps),
        ("forwarded packets/s", result.forwarded_pps),
        ("SFU CPU per forwarded packet (us)", result.sfu_cpu_us_per_packet),
        (
            "  of which user / kernel (us)",
            f"{result.sfu_cpu_user_us_per_packet} / {result.sfu_cpu_sys_us_per_packet}",
        ),
        ("SFU CPU (% of one core)", result.sfu_cpu_percent),
        ("load generator CPU (% of one core)", result.loadgen_cpu_percent),
        ("loss ratio", result.loss_ratio),
        ("join to first packet p50 / p99 (ms)", f"{result.join_ms_p50} / {result.join_ms_p99}"),
        ("SFU RSS (MB)", result.rss_mb),
        ("RSS per subscriber (MB)", result.rss_mb_per_subscriber),
        ("RSS per subscriber-stream (MB)", result.rss_mb_per_subscriber_stream),
        (
            "publisher to socket p50 / p99 (ms)",
            f"{result.latency_ms_p50} / {result.latency_ms_p99}"
            if result.latency_ms_p50 is not None
            else "no abs-send-time or kernel stamps received",
        ),
        (
            "  to its event loop p50 / p99 (ms)",
            f"{result.loop_latency_ms_p50} / {result.loop_latency_ms_p99}",
        ),
    ]
    if result.idle_sfu_cpu_ms_per_s is not None:
        rows.append(("SFU CPU with no media (ms/s)", result.idle_sfu_cpu_ms_per_s))
    if result.floor_us_per_packet is not None:
        rows.append(("bare relay per forwarded packet (us)", result.floor_us_per_packet))
        rows.append(("  SFU above the bare relay (us)", result.above_floor_us_per_packet))
    print_summary(rows, 38)
    for node in result.per_node:
        print(
            f"  node {node.node}: {node.participants} subscribers, CPU {node.cpu_percent} % of "
            f"a core, {node.delivered_pps} pkt/s delivered, publisher to socket p50/p99 "
            f"{node.latency_ms_p50}/{node.latency_ms_p99} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
