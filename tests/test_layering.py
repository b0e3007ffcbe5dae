"""Imports point one way (server -> signalling -> rooms -> sfu), and only sfu/peer.py may import
aiortc and its transport packages (STYLE.md, "Layout"); sfu/packet_output.py, which sends on
the transports peer.py sets up, may use pylibsrtp."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEDIA_STACK = {"aiortc", "aioice", "pylibsrtp", "av"}
FORBIDDEN = {
    "sfu": {"rooms", "signalling", "server", "aiohttp", "loadtest"},
    "rooms": {"signalling", "server", "aiohttp", "loadtest"} | MEDIA_STACK,
    "signalling": {"server", "loadtest"} | MEDIA_STACK,
    "server": {"loadtest"} | MEDIA_STACK,
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


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
    if path in (ROOT / "sfu" / "posters.py", ROOT / "sfu" / "media_probe.py"):
        # PyAV's public demuxer and decoder, for chat videos' posters and the check that an
        # upload is a video: nothing of aiortc's private hooks.
        forbidden -= {"av"}
    assert not imported_top_levels(path) & forbidden


def test_the_scan_sees_every_package() -> None:
    assert {p.relative_to(ROOT).parts[0] for p in MODULES} == set(FORBIDDEN)
