"""Whole-server tests live in tests/whole/, apart from the unit tests that mirror the packages
(tests/README.md): a test file elsewhere starts no browser and no server process, and the names
that mark a whole-server test (`*_e2e.py`, `*_browser.py`) are found only there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_layering import ROOT, imports_any

TESTS = ROOT / "tests"
WHOLE = TESTS / "whole"
# What starts a whole server: the load test's `kamar serve` child process and the scenario runs
# that start one (loadtest/servers.py), besides Playwright and `python -m server serve`.
SERVER_STARTERS = {
    "ServerProcess",
    "local_server",
    "run_announce",
    "run_chat",
    "run_egress",
    "run_sfu",
    "run_storm",
    "run_townhall",
}


def whole_server_starters(path: Path) -> set[str]:
    """What in the file starts a browser or a whole server process; empty for a unit test."""
    found = imports_any(path, {"playwright"})
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):  # called, not only named (a type in a cast starts nothing)
            called = node.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            if name in SERVER_STARTERS:
                found.add(name)
        elif isinstance(node, ast.List | ast.Tuple):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if "server" in words and "serve" in words:
                found.add("python -m server serve")
    return found


UNIT_TESTS = sorted(
    path for path in TESTS.rglob("*.py") if WHOLE not in path.parents and path.parent != TESTS
)


@pytest.mark.parametrize("path", UNIT_TESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_unit_test_starts_no_browser_and_no_server_process(path: Path) -> None:
    assert not whole_server_starters(path), "a whole-server test: move it to tests/whole/"
    assert not path.stem.endswith(("_e2e", "_browser")), "a whole-server name: tests/whole/"


def test_the_scan_finds_browsers_scenario_runs_and_server_processes(tmp_path: Path) -> None:
    assert "playwright.async_api" in whole_server_starters(WHOLE / "browser" / "conftest.py")
    runs = whole_server_starters(WHOLE / "loadtest" / "test_scenario_runs.py")
    assert runs >= {"ServerProcess", "run_sfu", "run_townhall", "run_chat", "run_announce"}
    probe = tmp_path / "probe.py"
    probe.write_text('args = [sys.executable, "-m", "server", "serve"]\n', encoding="utf-8")
    assert whole_server_starters(probe) == {"python -m server serve"}
    probe.write_text("fake = cast(ServerProcess, node)\nrun = chat.run_chat\n", encoding="utf-8")
    assert whole_server_starters(probe) == set()
