"""Server settings: defaults, then `DATA/kamar.toml` (or --config), then KAMAR_* environment
variables, then command-line flags; later sources win."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rooms.meeting.egress.retention import MAX_RETENTION_DAYS
from sfu.ice_servers import DEFAULT_TTL as DEFAULT_TURN_TTL
from sfu.ice_servers import MAX_TTL as MAX_TURN_TTL
from sfu.ice_servers import MIN_TTL as MIN_TURN_TTL
from sfu.ice_servers import IceServers, TurnSettings

DEFAULT_DATA_DIR = Path("kamar-data")
SECRET_FILE = "secret.key"
CONFIG_FILE = "kamar.toml"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = DEFAULT_DATA_DIR
    # Addresses ICE gathers host candidates on; empty: every interface but loopback (aioice).
    ice_hosts: tuple[str, ...] = ()
    # "PUBLIC" (every host candidate) or "LOCAL=PUBLIC": addresses advertised behind 1:1 NAT.
    announce: tuple[str, ...] = ()
    ice_servers: tuple[str, ...] = ()  # STUN/TURN URLs handed to clients and used by the SFU
    # TURN with time-limited credentials (sfu/ice_servers.py): the secret shared with the TURN
    # server (coturn's static-auth-secret), its URLs, and how long each credential lasts.
    turn_secret: str = ""
    turn_urls: tuple[str, ...] = ()
    turn_ttl: int = DEFAULT_TURN_TTL
    tls_cert: Path | None = None
    tls_key: Path | None = None
    dev_tokens: bool = False  # the quick-join page may mint tokens for anyone: development only
    # Login back-off and the limits on registrations and chat posts (docs/api.md) are off:
    # for load tests and benchmarks only, which sign up and post far faster than people.
    no_rate_limits: bool = False
    # The most each camera may send (REMB to publishers). Without simulcast every subscriber
    # receives that much per camera: 1 Mbit/s is good 640x360 video and still fits mobile data.
    max_video_kbps: int = 1000
    # The Opus bitrate publishers are asked for (maxaveragebitrate, RFC 7587): 24 kbit/s is
    # clear wideband speech, and with packet headers a voice costs a listener ~50 kbit/s
    # instead of ~58 at Chromium's default of 32 (what a data saver's plan pays for).
    max_audio_kbps: int = 24
    # Lines of the picture egress encodes (rooms/meeting/egress/): live streams and recordings.
    egress_height: int = 720
    # Recordings older than this many days are deleted by a background sweep (rooms/meeting/
    # egress/retention.py); 0 keeps them until a moderator deletes them.
    recording_retention_days: int = 0
    # The most participants at once in this process (0: no limit but the machine's capacity).
    max_participants: int = 0
    # Community storage: "" keeps SQLite in the data directory; postgresql://... for a server.
    database_url: str = ""
    # Several nodes serving one deployment share a Redis server (redis://host:6379/0): the
    # community feed crosses nodes through it (docs/cluster.md). "": one process, no Redis.
    redis_url: str = ""
    # How the other nodes reach this one (they carry meeting sockets to it): "" is
    # http(s)://HOST:PORT, which a node listening on every address (0.0.0.0) must replace.
    node_url: str = ""
    # The UDP port media crosses between nodes on (the cascade, docs/cluster.md), on the
    # address of node_url; 0: any free port (other nodes learn it when they link).
    relay_port: int = 0
    # After SIGTERM, how long the meetings on this node may go on before they are ended
    # (server/drain.py); a node with no participant left stops at once.
    drain_seconds: int = 300
    # Processes serving this deployment from this machine (server/workers.py): 1 is one
    # process; more (or "auto": one per core this process may run on) start a supervisor and
    # that many worker nodes sharing the port, which needs redis_url like several nodes do.
    workers: int = 1
    log_level: str = "info"
    # A Trusted Web Activity (docs/android.md): the Android app's package name and the SHA-256
    # fingerprints of its signing certificates, published at /.well-known/assetlinks.json.
    android_package: str = ""
    android_cert_fingerprints: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kamar.db').resolve()}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "[::]") else host
        return f"{self.scheme}://{shown}:{self.port}"

    def announce_map(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for item in self.announce:
            local, sep, public = item.partition("=")
            if sep:
                mapping[_address(local, "announce")] = _address(public, "announce")
            else:
                mapping["*"] = _address(local, "announce")
        return mapping

    @property
    def ice(self) -> IceServers:
        """STUN as configured; TURN only with its shared secret, to hand out credentials."""
        turn = TurnSettings(self.turn_secret, self.turn_urls, self.turn_ttl)
        return IceServers(self.ice_servers, turn if self.turn_urls else None)


MAX_DRAIN_SECONDS = 24 * 3600
MAX_WORKERS = 256
MIN_VIDEO_KBPS, MAX_VIDEO_KBPS = 100, 20_000
MIN_AUDIO_KBPS, MAX_AUDIO_KBPS = 6, 128  # Opus' useful range for a voice (RFC 6716 2.1.1)
_ENV_PREFIX = "KAMAR_"
_LIST_FIELDS = {"ice_hosts", "announce", "ice_servers", "turn_urls", "android_cert_fingerprints"}
_PATH_FIELDS = {"data_dir", "tls_cert", "tls_key"}
_BOOL_FIELDS = {"dev_tokens", "no_rate_limits"}
_INT_FIELDS = {
    "port",
    "relay_port",
    "max_video_kbps",
    "max_audio_kbps",
    "max_participants",
    "turn_ttl",
    "drain_seconds",
    "egress_height",
    "workers",
    "recording_retention_days",
}
EGRESS_HEIGHTS = (360, 480, 720, 1080)
_NAMES = {f.name for f in fields(Config)} - {"extra"}


def load(
    overrides: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Config:
    """Merge every source. `overrides` are flags already parsed (None means not given)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    env = _from_env(environ)
    flags = {k: v for k, v in overrides.items() if v is not None and v != () and v != []}
    data_dir = Path(flags.get("data_dir") or env.get("data_dir") or DEFAULT_DATA_DIR)
    path = config_file or data_dir / CONFIG_FILE
    if config_file is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    if path.is_file():
        values.update(_from_toml(path))
    values.update(env)
    values.update(flags)
    return validate(replace(Config(), **{k: _coerce(k, v) for k, v in values.items()}))


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    unknown = set(data) - _NAMES
    if unknown:
        raise ConfigError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    return dict(data)


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _NAMES:
        raw = environ.get(_ENV_PREFIX + name.upper())
        if raw is None or raw == "":
            continue
        if name in _LIST_FIELDS:
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        elif name in _BOOL_FIELDS:
            if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise ConfigError(f"{_ENV_PREFIX}{name.upper()} must be true or false")
            values[name] = raw.lower() in ("1", "true", "yes")
        else:
            values[name] = raw
    return values


def _coerce(name: str, value: Any) -> Any:
    if name == "workers" and isinstance(value, str) and value.strip().lower() == "auto":
        return len(os.sched_getaffinity(0))  # the cores this process may run on, not all
    try:
        if name in _LIST_FIELDS:
            items = [value] if isinstance(value, str) else list(value)
            return tuple(str(item) for item in items)
        if name in _PATH_FIELDS:
            return Path(value)
        if name in _INT_FIELDS:
            # Whole numbers only: TOML's true or 8080.5 must not quietly become 1 or 8080.
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError
            if isinstance(value, str) and not value.strip().isdigit():
                raise ValueError
            return int(value)
        if name in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise TypeError
            return value
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has an invalid value {value!r}") from exc


def _address(text: str, setting: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError as exc:
        raise ConfigError(f"{setting}: {text!r} is not an IP address") from exc


def validate(config: Config) -> Config:
    if not 0 < config.port < 65536:
        raise ConfigError(f"port must be 1-65535, not {config.port}")
    if config.max_participants < 0:
        raise ConfigError("max_participants must be 0 (no limit) or more")
    if not MIN_VIDEO_KBPS <= config.max_video_kbps <= MAX_VIDEO_KBPS:
        raise ConfigError(
            f"max_video_kbps must be {MIN_VIDEO_KBPS}-{MAX_VIDEO_KBPS}, not {config.max_video_kbps}"
        )
    if not MIN_AUDIO_KBPS <= config.max_audio_kbps <= MAX_AUDIO_KBPS:
        raise ConfigError(
            f"max_audio_kbps must be {MIN_AUDIO_KBPS}-{MAX_AUDIO_KBPS}, not {config.max_audio_kbps}"
        )
    if not 0 <= config.recording_retention_days <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"recording_retention_days must be 0 (keep) to {MAX_RETENTION_DAYS}, "
            f"not {config.recording_retention_days}"
        )
    if config.egress_height not in EGRESS_HEIGHTS:
        heights = ", ".join(map(str, EGRESS_HEIGHTS))
        raise ConfigError(f"egress_height must be one of {heights}, not {config.egress_height}")
    for host in config.ice_hosts:
        _address(host, "ice_host")
    config.announce_map()
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("tls_cert and tls_key go together")
    for path in (config.tls_cert, config.tls_key):
        if path is not None and not path.is_file():
            raise ConfigError(f"TLS file {path} does not exist")
    for url in config.ice_servers:
        if url.startswith(("turn:", "turns:")):
            # A TURN URL without credentials makes browsers refuse the whole connection.
            raise ConfigError(
                f"ice server {url!r} is a TURN server: give it as a turn_url with a turn_secret"
            )
        if not url.startswith("stun:"):
            raise ConfigError(f"ice server {url!r} must start with stun:")
    _validate_turn(config)
    _validate_android(config)
    if config.database_url and not config.database_url.startswith(
        ("sqlite:", "postgresql:", "postgresql+asyncpg:", "postgres:")
    ):
        raise ConfigError("database_url must start with sqlite:/// or postgresql://")
    _validate_redis(config)
    _validate_workers(config)
    if not 0 <= config.drain_seconds <= MAX_DRAIN_SECONDS:
        raise ConfigError(f"drain_seconds must be 0-{MAX_DRAIN_SECONDS}")
    if config.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError("log_level must be debug, info, warning or error")
    return config


def _validate_redis(config: Config) -> None:
    if not 0 <= config.relay_port <= 65535:
        raise ConfigError("relay_port must be 0-65535")
    if not config.redis_url:
        return
    if not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("redis_url must start with redis://, rediss:// or unix://")
    if config.node_url and not config.node_url.startswith(("http://", "https://")):
        raise ConfigError("node_url must start with http:// or https://")
    # Workers of one machine reach each other on loopback (server/workers.py) by default.
    if not config.node_url and config.host in ("0.0.0.0", "::", "") and config.workers == 1:
        raise ConfigError("a node listening on every address needs node_url (how others reach it)")
    if not config.effective_database_url.startswith(("postgresql", "postgres:")):
        # Each node would otherwise keep community data of its own in its own SQLite file.
        raise ConfigError("redis_url needs a PostgreSQL database_url that every node shares")


def _validate_workers(config: Config) -> None:
    if not 1 <= config.workers <= MAX_WORKERS:
        raise ConfigError(f"workers must be 1-{MAX_WORKERS} or auto, not {config.workers}")
    # Worker i listens on node_url's port + i and relays media on relay_port + i.
    for name, first in (
        ("node_url's port", _port_of(config.node_url)),
        ("relay_port", config.relay_port),
    ):
        if first and first + config.workers - 1 > 65535:
            raise ConfigError(f"{name} {first} leaves no room for {config.workers} workers' ports")
    if config.workers > 1 and not config.redis_url:
        # The workers are nodes of one deployment: they find each other's meetings in Redis.
        raise ConfigError(
            "workers above 1 need redis_url (--redis redis://host:6379/0) and a PostgreSQL "
            "database_url, as several nodes do (docs/cluster.md)"
        )


def _port_of(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError as exc:
        raise ConfigError(f"{url!r} has no valid port") from exc


def _validate_turn(config: Config) -> None:
    for url in config.turn_urls:
        if not url.startswith(("turn:", "turns:")):
            raise ConfigError(f"turn url {url!r} must start with turn: or turns:")
    if config.turn_urls and len(config.turn_secret) < 16:
        raise ConfigError("turn_urls need a turn_secret of at least 16 characters")
    if config.turn_secret and not config.turn_urls:
        raise ConfigError("turn_secret is set but no turn_url is")
    if not MIN_TURN_TTL <= config.turn_ttl <= MAX_TURN_TTL:
        raise ConfigError(f"turn_ttl must be {MIN_TURN_TTL}-{MAX_TURN_TTL} seconds")


# Android's applicationId rules: two or more dot-separated parts, each a letter then letters,
# digits or underscores. A certificate fingerprint: SHA-256 as 32 colon-separated hex bytes,
# as `keytool -list -v` prints it.
ANDROID_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")
CERT_FINGERPRINT = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){31}")


def _validate_android(config: Config) -> None:
    package, prints = config.android_package, config.android_cert_fingerprints
    if package and not ANDROID_PACKAGE.fullmatch(package):
        raise ConfigError(f"android_package {package!r} is not an Android package name")
    for fingerprint in prints:
        if not CERT_FINGERPRINT.fullmatch(fingerprint.upper()):
            raise ConfigError(
                f"android_cert_fingerprints: {fingerprint!r} is not a SHA-256 fingerprint "
                "(32 hex bytes separated by colons)"
            )
    if bool(package) != bool(prints):
        raise ConfigError("android_package and android_cert_fingerprints go together")


def load_secret(data_dir: Path) -> str:
    """The token-signing secret, created (readable by the owner only) on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < 32:
            raise ConfigError(f"{path} holds a secret shorter than 32 characters")
        return secret
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret
