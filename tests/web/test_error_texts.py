"""Every error a member can meet has a text in Indonesian and in English (web/strings/errors.js).

The codes and reasons are collected from the server's source, not from a hand-kept list: a
`code = "..."` (the DomainError classes, the websocket's fallback), the first argument of
ProtocolError, GrantError and error_response, the HTTP status table, the websocket's closing
codes, and every `reason="..."`. The docs' error tables are read too, so a code documented but
raised in a way this walk misses is still caught. The client's table is read by Node, which
imports the very module the browser loads.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.web.node import run_module_script

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ("rooms", "server", "signalling")
CODE_CALLS = {"ProtocolError", "GrantError", "error_response"}
# Codes the web client makes itself, for failures that never reached the server.
CLIENT_CODES = {"network"}


def _strings_in(node: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _reason_strings(node: ast.expr) -> set[str]:
    """The reasons an expression can be: a literal, or either side of `a if test else b`."""
    if isinstance(node, ast.IfExp):
        return _reason_strings(node.body) | _reason_strings(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    return set()  # exc.reason: passed on from an error raised (and walked) elsewhere


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for package in SERVER_PACKAGES
        for path in (ROOT / package).rglob("*.py")
    ]


def _error_classes(trees: list[tuple[Path, ast.Module]]) -> set[str]:
    """DomainError and every class derived from it, across the packages."""
    bases: dict[str, set[str]] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
    found = {"DomainError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def server_codes_and_reasons() -> tuple[set[str], set[str]]:
    codes: set[str] = set()
    reasons: set[str] = set()
    trees = _trees()
    # Calls whose `reason=` is an error's reason (a listing report's `reason` is not).
    reason_calls = _error_classes(trees) | {"error_response"}
    for path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                names = [
                    n.id
                    for target in node.targets
                    for n in ast.walk(target)
                    if isinstance(n, ast.Name)
                ]
                if "code" in names and isinstance(node.value, ast.Constant | ast.Tuple):
                    value = node.value
                    first = value.elts[0] if isinstance(value, ast.Tuple) else value
                    codes |= _strings_in(first)
                if "STATUS" in names and isinstance(node.value, ast.Dict):
                    codes |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
                if "CLOSING_CODES" in names:
                    codes |= _strings_in(node.value)
            if isinstance(node, ast.Call):
                if _call_name(node) in CODE_CALLS and node.args:
                    codes |= _strings_in(node.args[0])
                for keyword in node.keywords:
                    if keyword.arg == "reason" and _call_name(node) in reason_calls:
                        assert not isinstance(keyword.value, ast.Name), (
                            f"{path}:{keyword.lineno}: write the reason out where it is "
                            "raised, so this test can find it"
                        )
                        reasons |= _reason_strings(keyword.value)
    return codes, reasons


def documented_codes() -> set[str]:
    protocol = (ROOT / "docs/protocol.md").read_text()
    table = protocol[protocol.index("| code | closes socket |") :]
    table = table[: table.index("\n\n")]
    codes = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))
    api = (ROOT / "docs/api.md").read_text()
    codes |= set(re.findall(r"`([a-z_]+)` \(\d{3}", api))
    return codes


def client_texts() -> dict[str, dict[str, dict[str, list[str]]]]:
    """{language: {"codes"|"reasons": {key: [text with a wait, text without]}}}."""
    module = (ROOT / "web/strings/errors.js").as_uri()
    script = f"""
const {{ ERRORS }} = await import({json.dumps(module)});
const out = {{}};
for (const [language, table] of Object.entries(ERRORS)) {{
  out[language] = {{}};
  for (const part of ["codes", "reasons"]) {{
    out[language][part] = {{}};
    for (const [key, text] of Object.entries(table[part])) {{
      out[language][part][key] = typeof text === "function"
        ? [text("30 detik"), text(null)] : [text, text];
    }}
  }}
}}
console.log(JSON.stringify(out));
"""
    texts: dict[str, dict[str, dict[str, list[str]]]] = run_module_script(
        script, "web/strings/errors.js"
    )
    return texts


@pytest.fixture(scope="module")
def texts() -> dict[str, dict[str, dict[str, list[str]]]]:
    return client_texts()


def test_the_walk_finds_the_codes_and_reasons_members_meet() -> None:
    codes, reasons = server_codes_and_reasons()
    # A few that must be found, so a broken walk cannot pass by finding nothing.
    assert {"bad_request", "rate_limited", "busy", "internal", "bad_state", "banned"} <= codes
    assert {"wrong_login", "video_too_large", "photo_too_large", "room_not_found"} <= reasons


def test_every_error_code_has_an_indonesian_and_an_english_text(
    texts: dict[str, dict[str, dict[str, list[str]]]],
) -> None:
    codes, _ = server_codes_and_reasons()
    wanted = codes | documented_codes() | CLIENT_CODES
    for language in ("id", "en"):
        missing = sorted(wanted - set(texts[language]["codes"]))
        assert not missing, f"web/strings/errors.js has no {language} text for codes {missing}"


def test_every_error_reason_has_an_indonesian_and_an_english_text(
    texts: dict[str, dict[str, dict[str, list[str]]]],
) -> None:
    _, reasons = server_codes_and_reasons()
    for language in ("id", "en"):
        missing = sorted(reasons - set(texts[language]["reasons"]))
        assert not missing, f"web/strings/errors.js has no {language} text for reasons {missing}"


def test_both_languages_know_the_same_errors_and_say_something(
    texts: dict[str, dict[str, dict[str, list[str]]]],
) -> None:
    for part in ("codes", "reasons"):
        assert set(texts["id"][part]) == set(texts["en"][part])
        for language in ("id", "en"):
            for key, variants in texts[language][part].items():
                assert all(v and v.strip() and "undefined" not in v for v in variants), (
                    language,
                    key,
                )
        # Indonesian is not English copied over (a forgotten translation).
        for key in texts["id"][part]:
            assert texts["id"][part][key] != texts["en"][part][key], (part, key)


def test_docs_api_names_every_reason() -> None:
    _, reasons = server_codes_and_reasons()
    api = (ROOT / "docs/api.md").read_text()
    missing = sorted(reason for reason in reasons if f"`{reason}`" not in api)
    assert not missing, f"docs/api.md does not name the reasons {missing}"
