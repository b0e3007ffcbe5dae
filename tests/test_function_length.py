"""No function grows past 60 lines (tests/README.md): a longer one is split where a name fits
a part of it. Counted from `def` to the last line, docstring included (a decorator's
parameter table is data, not steps)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layering import ROOT

LONGEST = 60
PACKAGES = ("server", "signalling", "rooms", "sfu", "web", "loadtest", "scripts", "tests")
MIGRATIONS = ROOT / "rooms" / "community" / "migrations" / "versions"
BROWSER_TESTS = ROOT / "tests" / "whole" / "browser"
# The fields of an object on the per-packet path, one commented attribute a line: helpers
# would only scatter them (and a sub-object would cost a look-up per packet).
PACKET_STATE = "a per-packet object's fields"
# path:function -> why it may stay longer, for now. Take an entry off when it is split.
ALLOWED = {
    "sfu/consumer.py:__init__": PACKET_STATE,
    "sfu/forwarding.py:__init__": PACKET_STATE,
    # Four short closures over shared locals, for each datagram: as a class, every packet
    # would pay attribute look-ups (the whole check costs 0.12 µs: sfu/ice_demux.py).
    "sfu/ice_demux.py:_demultiplex": "the per-datagram closures' shared frame",
}


def long_functions(path: Path, longest: int = LONGEST) -> dict[str, int]:
    """{"path:function": lines} of the file's functions (methods and nested ones too) longer
    than `longest` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > longest and not exempt(path, node.name):
                shown = path.relative_to(ROOT) if ROOT in path.parents else path.name
                found[f"{shown}:{node.name}"] = lines
    return found


def exempt(path: Path, name: str) -> bool:
    # A migration's upgrade() is one schema step, frozen once released; a browser test is one
    # story a member lives through on one page, its steps named by comments.
    return MIGRATIONS in path.parents or (
        BROWSER_TESTS in path.parents and name.startswith("test_")
    )


def python_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_function_is_longer_than_sixty_lines() -> None:
    found = {k: v for path in python_files() for k, v in long_functions(path).items()}
    assert {k: v for k, v in found.items() if k not in ALLOWED} == {}
    # An entry that is split (or gone) leaves the list, so it cannot hide a new long function.
    assert set(ALLOWED) - set(found) == set()


def test_nested_functions_count_in_their_outer_function_and_alone(tmp_path: Path) -> None:
    def probe(statements: int) -> Path:
        body = "".join(f"        x{i} = {i}\n" for i in range(statements))
        path = tmp_path / "probe.py"
        source = f"@decorator\nasync def outer():\n    def inner():\n{body}    return inner\n"
        path.write_text(source, encoding="utf-8")
        return path

    # inner: its def and the statements; outer: its def, inner and the return.
    assert long_functions(probe(LONGEST - 1)) == {"probe.py:outer": LONGEST + 2}
    assert long_functions(probe(LONGEST)) == {
        "probe.py:outer": LONGEST + 3,
        "probe.py:inner": LONGEST + 1,
    }
