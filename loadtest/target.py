"""Which server a scenario measures: one it starts itself inside a private network namespace
(the default), or one already running on this machine (--url, --server-data, --pid)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from loadtest.netns import reexec_in_private_netns
from loadtest.servers import ExternalServer


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="measure a Kamar server already running on this machine (a loopback URL such as "
        "http://127.0.0.1:8080, started with --ice-host 127.0.0.1) instead of starting one",
    )
    parser.add_argument(
        "--server-data", type=Path, help="with --url: its data directory, to sign join tokens"
    )
    parser.add_argument(
        "--pid", type=int, help="with --url: its process id, for CPU and memory figures"
    )


def target_server(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> ExternalServer | None:
    """The server given by --url, checked; or None after moving this process into a private
    network namespace, where the server the scenario starts will live too."""
    profile = getattr(args, "profile", None)
    if args.url:
        if args.server_data is None:
            parser.error("--url needs --server-data DIR (the server's data directory)")
        if profile and args.pid is None:
            parser.error("--profile with --url needs --pid")
        try:
            return ExternalServer(args.url, args.server_data, args.pid)
        except ValueError as exc:
            parser.error(str(exc))
    if args.server_data or args.pid:
        parser.error("--server-data and --pid go with --url")
    reexec_in_private_netns()
    return None


def count_list(maximum: int, example: str) -> Callable[[str], list[int]]:
    """An argparse type for "N" or a sweep "N1,N2,...", each 1..maximum."""

    def parse(text: str) -> list[int]:
        try:
            counts = [int(part) for part in text.split(",") if part.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"a number or a comma list like {example}") from exc
        if not counts or any(not 1 <= n <= maximum for n in counts):
            raise argparse.ArgumentTypeError(f"each count must be 1-{maximum}")
        return counts

    return parse
