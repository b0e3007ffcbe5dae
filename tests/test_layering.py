"""Imports point one way (server -> signalling -> rooms -> sfu), and only sfu/peer.py may import
aiortc and its transport packages (STYLE.md, "Layout"); sfu/packet_output.py, which sends on
the transports peer.py sets up, may use pylibsrtp.

Inside rooms/ the live meeting (rooms/meeting/, per node, tied to the SFU) may use the community
(rooms/community/, shared by every node through the database), never the reverse, and the
shared kernel at rooms/'s top (errors, text rules, rate limits) uses neither. The marketplace
(rooms/market/), member insight (rooms/insight/) and organising (rooms/organising/: referrals,
campaigns, announcements) are bounded contexts on top of the community: they may use it, never
the SFU or the meeting, nor each other, and the community uses none of them. The HTTP API
(server/api/) does not reach into the websocket glue (signalling/ws.py). Only server/wiring.py
picks the single-node bus, meeting registry and placement. The SFU's fan-out (router,
producers, consumers) imports none of its endpoints (WebRTC peers, plain RTP, the cascade), and
the meeting's message handlers (signalling/joining.py, media.py, townhall.py, egress.py) work on
a MeetingContext without importing the session, the socket glue or the feed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY_DIR = ROOT / "rooms" / "community"
MEDIA_STACK = {"aiortc", "aioice", "pylibsrtp", "av"}
FORBIDDEN = {
    "sfu": {"rooms", "signalling", "server", "aiohttp", "loadtest"},
    "rooms": {"signalling", "server", "aiohttp", "loadtest"} | MEDIA_STACK,
    "signalling": {"server", "loadtest"} | MEDIA_STACK,
    "server": {"loadtest"} | MEDIA_STACK,
}


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, by its full dotted name; `from a import b` counts as both
    `a` and `a.b`, since b may be a submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imported_top_levels(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def imports_any(path: Path, prefixes: set[str]) -> set[str]:
    return {
        name
        for name in imported_modules(path)
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    }


MODULES = sorted(path for package in FORBIDDEN for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_respect_the_layering(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    forbidden = set(FORBIDDEN[package])
    if path == ROOT / "sfu" / "peer.py":
        forbidden -= MEDIA_STACK
    elif package == "sfu":
        forbidden |= MEDIA_STACK
    if path == ROOT / "sfu" / "packet_output.py":
        # The send half of the boundary: libsrtp through pylibsrtp, nothing of aiortc itself.
        forbidden -= {"pylibsrtp"}
    if path in (COMMUNITY_DIR / "posters.py", COMMUNITY_DIR / "media_probe.py"):
        # PyAV's public demuxer and decoder, for chat videos' posters and the check that an
        # upload is a video: nothing of aiortc's private hooks.
        forbidden -= {"av"}
    assert not imported_top_levels(path) & forbidden


def test_the_scan_sees_every_package() -> None:
    assert {p.relative_to(ROOT).parts[0] for p in MODULES} == set(FORBIDDEN)


COMMUNITY = sorted(COMMUNITY_DIR.rglob("*.py"))
ORGANISING = sorted((ROOT / "rooms" / "organising").rglob("*.py"))
MARKET = sorted((ROOT / "rooms" / "market").rglob("*.py"))
INSIGHT = sorted((ROOT / "rooms" / "insight").rglob("*.py"))
KERNEL = sorted((ROOT / "rooms").glob("*.py"))
API = sorted((ROOT / "server" / "api").rglob("*.py"))


@pytest.mark.parametrize("path", COMMUNITY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_community_never_imports_the_sfu_or_the_meeting(path: Path) -> None:
    assert not imports_any(path, {"sfu", "rooms.meeting", "rooms.organising"})


@pytest.mark.parametrize("path", ORGANISING, ids=lambda p: str(p.relative_to(ROOT)))
def test_organising_never_imports_the_sfu_or_the_meeting(path: Path) -> None:
    assert not imports_any(path, {"sfu", "rooms.meeting", "rooms.market", "rooms.insight"})


@pytest.mark.parametrize("path", COMMUNITY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_community_never_imports_the_market_or_insight(path: Path) -> None:
    assert not imports_any(path, {"rooms.market", "rooms.insight"})


@pytest.mark.parametrize("path", MARKET, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_market_uses_only_the_community_and_the_kernel(path: Path) -> None:
    assert not imports_any(path, {"sfu", "rooms.meeting", "rooms.insight", "rooms.organising"})


@pytest.mark.parametrize("path", INSIGHT, ids=lambda p: str(p.relative_to(ROOT)))
def test_insight_uses_only_the_community_and_the_kernel(path: Path) -> None:
    assert not imports_any(path, {"sfu", "rooms.meeting", "rooms.market", "rooms.organising"})


def test_the_bounded_contexts_are_scanned() -> None:
    assert MARKET and INSIGHT and ORGANISING


@pytest.mark.parametrize("path", KERNEL, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shared_kernel_imports_neither_side(path: Path) -> None:
    contexts = {"rooms.community", "rooms.organising", "rooms.market", "rooms.insight"}
    assert not imports_any(path, {"sfu", "rooms.meeting"} | contexts)


@pytest.mark.parametrize("path", API, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_http_api_does_not_import_the_websocket_glue(path: Path) -> None:
    assert not imports_any(path, {"signalling.ws"})


SEAMS = {
    "rooms.community.bus.LocalBus",
    "rooms.community.redis_bus.RedisBus",
    "rooms.meeting.registry.LocalMeetingRegistry",
    "rooms.meeting.registry.LocalPlacement",
}
# The wiring chooses; the Redis bus embeds the local one for its own node's subscribers.
CHOOSERS = {ROOT / "server" / "wiring.py", ROOT / "rooms" / "community" / "redis_bus.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_wiring_chooses_the_implementations_of_the_seams(path: Path) -> None:
    """The bus, the meeting registry and placement are interfaces everywhere else, so
    single-node and multi-node implementations are chosen in server/wiring.py alone."""
    if path not in CHOOSERS:
        assert not imported_modules(path) & SEAMS


def test_rooms_holds_the_domains_the_bounded_contexts_and_a_small_kernel() -> None:
    packages = {p.name for p in (ROOT / "rooms").iterdir() if (p / "__init__.py").exists()}
    assert packages == {"community", "meeting", "market", "insight", "organising"}
    assert {p.stem for p in KERNEL} == {"__init__", "errors", "text", "ratelimit"}


def test_the_import_scan_sees_dotted_submodules(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from rooms.meeting import stage\nimport sfu.router\n", encoding="utf-8")
    assert imports_any(probe, {"rooms.meeting"}) == {"rooms.meeting", "rooms.meeting.stage"}
    assert imports_any(probe, {"sfu"}) == {"sfu.router"}


EGRESS = sorted((ROOT / "rooms" / "meeting" / "egress").rglob("*.py"))
# What egress may use of the SFU: tracks to choose from and the plain-RTP sink, no peer.
EGRESS_SFU = {"sfu.forwarding", "sfu.owner", "sfu.plain_rtp"}


@pytest.mark.parametrize("path", EGRESS, ids=lambda p: str(p.relative_to(ROOT)))
def test_egress_uses_the_sfu_only_through_its_tracks_and_the_plain_rtp_sink(path: Path) -> None:
    for name in imports_any(path, {"sfu"}):
        assert any(name == allowed or name.startswith(allowed + ".") for allowed in EGRESS_SFU)


@pytest.mark.parametrize("path", EGRESS, ids=lambda p: str(p.relative_to(ROOT)))
def test_egress_needs_no_community_storage(path: Path) -> None:
    """The programme is live media on this node; recordings are files, not rows (yet)."""
    assert not imports_any(path, {"rooms.community", "rooms.organising"})


@pytest.mark.parametrize(
    "path", sorted((ROOT / "sfu").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_sfu_starts_no_processes(path: Path) -> None:
    """ffmpeg belongs to egress (rooms/meeting/egress/processes.py); the SFU only sends RTP."""
    assert "subprocess" not in imported_top_levels(path)
    assert "create_subprocess_exec" not in path.read_text(encoding="utf-8")


# The fan-out: producers, consumers and the media router. Endpoints plug into it, it knows none
# of them (issue #20, item 4), so a relay or a plain-RTP endpoint needs no change to it.
FAN_OUT = [
    ROOT / "sfu" / name
    for name in ("router.py", "forwarding.py", "consumer.py", "route_handover.py")
]
ENDPOINTS = {
    "sfu.peer",
    "sfu.publisher",
    "sfu.subscriber",
    "sfu.subscriber_slot",
    "sfu.packet_output",
    "sfu.plain_rtp",
    "sfu.cascade",
    "sfu.ice_demux",
}


@pytest.mark.parametrize("path", FAN_OUT, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_fan_out_imports_no_endpoint(path: Path) -> None:
    assert not imports_any(path, ENDPOINTS)


def test_the_endpoints_named_exist() -> None:
    """A module renamed away would leave the rule above checking nothing."""
    for name in ENDPOINTS:
        module = ROOT.joinpath(*name.split("."))
        assert module.with_suffix(".py").exists() or (module / "__init__.py").exists(), name


# The meeting's handlers work on a MeetingContext (signalling/context.py), never on the session
# that dispatches to them (issue #20, item 3).
MEETING_HANDLERS = [
    ROOT / "signalling" / name
    for name in ("context.py", "joining.py", "media.py", "townhall.py", "egress.py")
]


@pytest.mark.parametrize("path", MEETING_HANDLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_meeting_handlers_never_import_the_session(path: Path) -> None:
    assert not imports_any(path, {"signalling.session", "signalling.ws", "signalling.feed"})


def test_the_egress_package_is_scanned() -> None:
    assert {p.stem for p in EGRESS} >= {"egress", "processes", "programme", "destinations"}
