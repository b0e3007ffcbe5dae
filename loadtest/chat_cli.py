"""`python -m loadtest chat --clients 500,2000 [--rate 5] [--duration 20] [--workers 1]
[--json FILE] [--url URL]`: the command line of loadtest/chat.py."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest import chat as chat_scenario
from loadtest.chat_stats import ChatResult
from loadtest.cluster import MAX_NODES
from loadtest.target import (
    add_target_options,
    bounded,
    count_list,
    print_summary,
    target_server,
    write_results,
)

MAX_DURATION = 600.0

client_counts = count_list(chat_scenario.MAX_CLIENTS, "500,2000")


def add_parser(scenarios: Any) -> None:
    chat = scenarios.add_parser(
        "chat", help="chat fan-out: N feed websockets in one room, messages posted over HTTP"
    )
    chat.add_argument(
        "--clients",
        type=client_counts,
        default=[100],
        help="websocket clients N, or a comma list for a sweep (default 100)",
    )
    chat.add_argument(
        "--rate",
        type=bounded(float, 0.1, chat_scenario.MAX_RATE),
        default=5.0,
        help="messages posted per second, all senders together (default 5)",
    )
    chat.add_argument(
        "--duration",
        type=bounded(float, 1, MAX_DURATION),
        default=20.0,
        help="seconds of sending (default 20)",
    )
    chat.add_argument(
        "--senders",
        type=bounded(int, 1, chat_scenario.MAX_SENDERS),
        default=1,
        help="accounts taking turns to post (default 1)",
    )
    chat.add_argument(
        "--accounts",
        type=bounded(int, 1, chat_scenario.MAX_ACCOUNTS),
        default=chat_scenario.MAX_ACCOUNTS,
        help="accounts registered; the sockets are spread over them (default and most "
        f"{chat_scenario.MAX_ACCOUNTS}: each costs the server an argon2 hash)",
    )
    chat.add_argument(
        "--workers",
        type=bounded(int, 1, chat_scenario.MAX_WORKERS),
        default=1,
        help="processes holding the clients (default 1: this one; 2 when one process cannot "
        "keep up, see the load generator's CPU in the summary)",
    )
    chat.add_argument(
        "--nodes",
        type=bounded(int, 1, MAX_NODES),
        default=1,
        help="start this many nodes with Redis and PostgreSQL; the sockets spread over them "
        f"in equal shares, posts go through the first (default 1, at most {MAX_NODES})",
    )
    chat.add_argument("--json", type=Path, help="write the results to this file")
    add_target_options(chat)
    chat.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy while sending (SVG flame graph; speedscope JSON "
        "for .json, collapsed stacks for .txt; with a sweep, the last run's profile is kept)",
    )


def run(
    args: argparse.Namespace, parser: argparse.ArgumentParser, progress: Callable[[str], None]
) -> int:
    external = target_server(args, parser)
    if args.nodes > 1 and (external is not None or args.profile):
        parser.error("--nodes starts its own nodes: leave out --url and --profile")

    import uvloop

    results: list[ChatResult] = []
    for count in args.clients:
        scenario = chat_scenario.ChatScenario(
            clients=count,
            rate=args.rate,
            duration=args.duration,
            senders=args.senders,
            accounts=args.accounts,
            workers=args.workers,
            profile=args.profile,
            nodes=args.nodes,
        )
        print(
            f"chat scenario: {count} clients over {scenario.account_count} accounts, "
            f"{args.rate:g} messages/s for {args.duration:g} s, {args.workers} client process(es)",
            flush=True,
        )
        result = uvloop.run(chat_scenario.run_chat(scenario, progress, external))
        print()
        results.append(result)
        _summary(result)
    if args.json:
        write_results(args.json, results)
    return 0


def _summary(result: ChatResult) -> None:
    def pair(a: object, b: object) -> str:
        return f"{a} / {b}"

    rows = [
        ("clients (accounts, client processes)", f"{result.clients} "
         f"({result.accounts}, {result.workers})"),
        ("messages posted/s (failed posts)", f"{result.messages_per_s} ({result.post_errors})"),
        ("deliveries/s", result.deliveries_per_s),
        ("delivered ratio (missing)", f"{result.delivered_ratio} ({result.missing})"),
        ("duplicates / sockets dropped", pair(result.duplicates, result.dropped_sockets)),
        ("delivery p50 / p99 / max (ms)", f"{result.delivery_ms_p50} / "
         f"{result.delivery_ms_p99} / {result.delivery_ms_max}"),
        ("post answered p50 / p99 (ms)", pair(result.ack_ms_p50, result.ack_ms_p99)),
        ("connect + auth p50 / p99 (ms)", pair(result.connect_ms_p50, result.connect_ms_p99)),
        ("server CPU (% of one core)", result.server_cpu_percent),
        ("server CPU per delivery (us)", result.server_cpu_us_per_delivery),
        ("server RSS (MB)", result.rss_mb),
        ("server RSS per socket (KB)", result.rss_kb_per_socket),
        ("load generator CPU all / busiest (%)", pair(result.loadgen_cpu_percent,
         result.loadgen_busiest_percent)),
        ("waiting for a core: server / loadgen (%)", pair(result.server_cpu_wait_percent,
         result.loadgen_cpu_wait_percent)),
    ]  # fmt: skip
    print_summary(rows, 41)
    for node in result.per_node:
        print(
            f"  node {node.node}: {node.participants} sockets, CPU {node.cpu_percent} % of a core"
        )
