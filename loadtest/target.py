"""Command-line pieces every scenario shares: which server it measures (one it starts itself
inside a private network namespace, the default, or one already running on this machine:
--url, --server-data, --pid), bounded numbers and sweeps, the summary, and the --json file."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

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


def bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    """An argparse type for one number of `kind` within low..high."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g}-{high:g}")
        return value

    return parse


class Reportable(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


def write_results(path: Path, results: Sequence[Reportable]) -> None:
    """--json: one run's figures as an object, a sweep's as a list of them."""
    data = [result.as_dict() for result in results]
    path.write_text(json.dumps(data[0] if len(data) == 1 else data, indent=2) + "\n")
    print(f"wrote {path}")


def print_summary(rows: Sequence[tuple[str, object]], width: int) -> None:
    """The end-of-run summary, a figure a line; None is a server figure the tool could not
    read (a server given by --url without --pid)."""
    for name, value in rows:
        shown = "n/a (needs --pid)" if value is None else value
        print(f"  {name:<{width}} {shown}")
