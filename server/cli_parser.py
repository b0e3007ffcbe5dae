"""The command line of `kamar` (server/cli.py runs it): its commands and the options of
`kamar serve`, grouped by what they are about."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rooms.meeting import grants
from rooms.meeting.stage import MEETING_ROLES

Handler = Callable[[argparse.Namespace], int]


def parser(handlers: dict[str, Handler]) -> argparse.ArgumentParser:
    """`handlers`: what each command runs, by name (serve, token, migrate, create-admin,
    regions update)."""
    top = argparse.ArgumentParser(prog="kamar", description="Kamar meeting server")
    commands = top.add_subparsers(required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the server")
    _common(serve)
    _network(serve)
    _meetings(serve)
    _cluster(serve)
    _other(serve)
    serve.set_defaults(func=handlers["serve"])
    _token(commands, handlers["token"])
    _database_commands(commands, handlers)
    return top


def _network(serve: argparse.ArgumentParser) -> None:
    """Where it listens, how media reaches it (ICE, TURN) and TLS."""
    serve.add_argument("--host", help="HTTP address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8080)")
    serve.add_argument(
        "--ice-host",
        dest="ice_hosts",
        action="append",
        metavar="ADDR",
        help="address ICE gathers host candidates on; repeatable; 127.0.0.1 allowed "
        "(default: every interface except loopback)",
    )
    serve.add_argument(
        "--announce",
        action="append",
        metavar="[LOCAL=]PUBLIC",
        help="address advertised instead of a local one (1:1 NAT); repeatable",
    )
    serve.add_argument(
        "--ice-server",
        dest="ice_servers",
        action="append",
        metavar="URL",
        help="STUN server URL (stun:) for clients and the SFU; repeatable (default: none); "
        "TURN goes in --turn-url",
    )
    serve.add_argument(
        "--turn-url",
        dest="turn_urls",
        action="append",
        metavar="URL",
        help="TURN URL handed to clients with time-limited credentials (turn:, turns:); "
        "repeatable; needs --turn-secret",
    )
    serve.add_argument(
        "--turn-secret",
        metavar="SECRET",
        help="secret shared with the TURN server (coturn's static-auth-secret)",
    )
    serve.add_argument(
        "--turn-ttl",
        type=int,
        metavar="SECONDS",
        help="how long each TURN credential lasts (default: 43200, 12 hours)",
    )
    serve.add_argument(
        "--tls-cert", type=Path, help="PEM certificate (HTTPS, needed off localhost)"
    )
    serve.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")


def _meetings(serve: argparse.ArgumentParser) -> None:
    """Limits of meetings and their media, and egress."""
    serve.add_argument(
        "--max-participants",
        type=int,
        help="the most participants at once; more are refused politely (default 0: no limit)",
    )
    serve.add_argument(
        "--max-video-kbps",
        type=int,
        help="the most each camera may send, in kbit/s (default 1000)",
    )
    serve.add_argument(
        "--max-audio-kbps",
        type=int,
        help="the Opus bitrate asked of every microphone, in kbit/s (default 24)",
    )
    serve.add_argument(
        "--egress-height",
        type=int,
        help="lines of the live stream and recording picture: 360, 480, 720 or 1080 (default 720)",
    )
    serve.add_argument(
        "--recording-retention-days",
        type=int,
        metavar="DAYS",
        help="delete recordings older than this many days (default 0: keep them)",
    )


def _cluster(serve: argparse.ArgumentParser) -> None:
    """Storage and several nodes: PostgreSQL, Redis, node URLs, workers, draining."""
    serve.add_argument(
        "--database-url",
        metavar="URL",
        help="community storage: postgresql://user@host/db (default: SQLite in the data dir)",
    )
    serve.add_argument(
        "--node-url",
        metavar="URL",
        help="with --redis: how the other nodes reach this one, e.g. http://10.0.0.5:8080 "
        "(default: http://HOST:PORT)",
    )
    serve.add_argument(
        "--relay-port",
        type=int,
        metavar="PORT",
        help="with --redis: the UDP port media crosses between nodes on (default: any free)",
    )
    serve.add_argument(
        "--drain-seconds",
        type=int,
        metavar="SECONDS",
        help="on SIGTERM, how long meetings that cannot move to another node may go on before "
        "they are ended (default: 300)",
    )
    serve.add_argument(
        "--redis",
        dest="redis_url",
        metavar="URL",
        help="Redis shared by the nodes of one deployment (redis://host:6379/0); "
        "needs --database-url postgresql://... (default: one process, no Redis)",
    )
    serve.add_argument(
        "--workers",
        metavar="N|auto",
        help="processes serving from this machine, auto: one per core; above 1 needs --redis "
        "and PostgreSQL (default 1)",
    )
    # Set by the supervisor of --workers on the processes it starts (server/workers.py).
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)


def _other(serve: argparse.ArgumentParser) -> None:
    """Development switches, the Android app, logging."""
    serve.add_argument(
        "--dev-tokens",
        action="store_const",
        const=True,
        help="let the quick-join page (/meet) mint join tokens for anyone (development only)",
    )
    serve.add_argument(
        "--no-rate-limits",
        action="store_const",
        const=True,
        help="no login back-off, no limits on sign-ups and chat posts (load tests only)",
    )
    serve.add_argument(
        "--android-package",
        metavar="NAME",
        help="Android app (Trusted Web Activity) allowed to open this site: its package name",
    )
    serve.add_argument(
        "--android-cert-fingerprint",
        dest="android_cert_fingerprints",
        action="append",
        metavar="SHA256",
        help="SHA-256 fingerprint of that app's signing certificate (AA:BB:...); repeatable",
    )
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"])


def _token(commands: argparse._SubParsersAction[argparse.ArgumentParser], handler: Handler) -> None:
    token = commands.add_parser("token", help="print a join token (last line of output)")
    _common(token)
    token.add_argument("--room", required=True)
    token.add_argument("--identity", required=True, help="stable user id")
    token.add_argument("--name", help="display name (default: the identity)")
    token.add_argument("--ttl", type=int, default=grants.DEFAULT_TTL, help="seconds (default 6 h)")
    token.add_argument("--no-publish", action="store_true", help="may only watch and listen")
    token.add_argument("--no-subscribe", action="store_true", help="may only send")
    token.add_argument(
        "--role",
        choices=MEETING_ROLES,
        help="meeting role: moderator, speaker or audience (default: speaker, or audience "
        "with --no-publish)",
    )
    token.set_defaults(func=handler)


def _database_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], handlers: dict[str, Handler]
) -> None:
    """migrate, create-admin and regions update."""
    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date (needed before serving PostgreSQL; "
        "SQLite migrates itself)",
    )
    _common(migrate)
    migrate.add_argument("--database-url", metavar="URL", help="as for serve")
    migrate.set_defaults(func=handlers["migrate"])

    admin = commands.add_parser("create-admin", help="create an administrator account")
    _common(admin)
    admin.add_argument("--database-url", metavar="URL", help="as for serve")
    admin.add_argument("--username", required=True)
    admin.add_argument("--name", required=True, help="display name")
    admin.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file (default: ask on the terminal)",
    )
    admin.set_defaults(func=handlers["create-admin"])

    region_data = commands.add_parser("regions", help="Indonesia's region data")
    region_commands = region_data.add_subparsers(required=True, metavar="ACTION")
    refresh = region_commands.add_parser(
        "update", help="refresh the shipped data from the pinned npm package idn-area-data"
    )
    refresh.add_argument("--version", help="pin this version of the package instead")
    refresh.set_defaults(func=handlers["regions update"])


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", dest="data_dir", type=Path, help="data directory (./kamar-data)")
    parser.add_argument("--config", type=Path, help="TOML settings file (default DATA/kamar.toml)")
