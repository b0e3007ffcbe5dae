"""The web clients' layout (README.md, "How it fits together"): one base (web/base/) under two
clients beside each other.

The community app (web/app.html, web/app/) and the meeting page (web/room.html, web/meeting/)
share DOM building, the API client, the session and the one websocket with its
reconnect schedule through web/base/, and only there: a second `h()`, a socket opened outside
web/base/socket.js or a reconnect delay table of its own fails here. The meeting page loads
nothing from web/app/ and does not know how the community names its meetings (the server hands
out a meeting's title and the way back, docs/api.md). The import graph is read from the source
with the same `/static/...` paths the browser resolves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.web.node import run_module_script

WEB = Path(__file__).resolve().parents[2] / "web"
BASE = WEB / "base"
IMPORT = re.compile(
    r"""(?:^|\s)(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)
SCRIPT_TAG = re.compile(r"""<script[^>]*\bsrc=["']([^"']+)["']""")
DEFINES_H = re.compile(r"\bfunction\s+h\s*\(|\b(?:const|let|var)\s+h\s*=")
OPENS_SOCKET = re.compile(r"\bnew\s+WebSocket\s*\(")
DELAY_TABLE = re.compile(r"\b\w*(?:RECONNECT|DELAYS|BACKOFF)\w*\s*=\s*\[", re.IGNORECASE)
MEETING_NAMES = re.compile(r"kamar-\(|\^kamar-|-e\(\\d")


def modules() -> list[Path]:
    return sorted(WEB.rglob("*.js"))


def outside_base() -> list[Path]:
    return [path for path in modules() if BASE not in path.parents and path.name != "sw.js"]


def served_path(url: str) -> Path:
    assert url.startswith("/static/"), f"{url}: the clients load modules by /static/ paths"
    return WEB / url.removeprefix("/static/")


def loaded_by(page: str) -> set[Path]:
    """Every module a page loads: its script tags and everything they import, transitively."""
    todo = [served_path(src) for src in SCRIPT_TAG.findall((WEB / page).read_text())]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for static, dynamic in IMPORT.findall(path.read_text()):
            todo.append(served_path(static or dynamic))
    return seen


def test_h_is_defined_once_in_the_base() -> None:
    twins = [str(p.relative_to(WEB)) for p in outside_base() if DEFINES_H.search(p.read_text())]
    assert not twins, f"define h() only in web/base/dom.js, and import it: {twins}"


def test_only_the_base_opens_sockets_and_schedules_reconnects() -> None:
    opens = [str(p.relative_to(WEB)) for p in outside_base() if OPENS_SOCKET.search(p.read_text())]
    tables = [str(p.relative_to(WEB)) for p in outside_base() if DELAY_TABLE.search(p.read_text())]
    assert not opens, f"open the websocket with web/base/socket.js: {opens}"
    assert not tables, f"reconnect with web/base/socket.js's Backoff: {tables}"


def test_both_clients_stand_on_the_base() -> None:
    for page in ("app.html", "room.html"):
        loaded = loaded_by(page)
        for module in ("dom.js", "api.js", "session.js", "socket.js"):
            assert BASE / module in loaded, f"{page} does not load web/base/{module}"


def test_the_meeting_page_loads_nothing_of_the_community_app() -> None:
    app = WEB / "app"
    loaded = loaded_by("room.html")
    borrowed = sorted(str(p.relative_to(WEB)) for p in loaded if app in p.parents)
    assert not borrowed, f"the meeting page imports the community app's modules: {borrowed}"
    knows = sorted(str(p.relative_to(WEB)) for p in loaded if MEETING_NAMES.search(p.read_text()))
    assert not knows, f"the meeting page parses community meeting names: {knows}"


def test_each_client_loads_only_its_own_modules_and_the_shared_ones() -> None:
    shared = {WEB / "strings.js"} | set(BASE.rglob("*.js")) | set((WEB / "strings").rglob("*.js"))
    for page, own in (("app.html", "app"), ("room.html", "meeting"), ("index.html", "meeting")):
        loaded = loaded_by(page)
        strays = sorted(
            str(p.relative_to(WEB)) for p in loaded - shared if WEB / own not in p.parents
        )
        assert not strays, f"{page} loads modules from outside web/{own}/ and the base: {strays}"


def test_the_scan_sees_what_it_must_refuse() -> None:
    """The patterns above catch the copies this layout replaced."""
    assert DEFINES_H.search("export function h(tag, attrs = {}, ...children) {")
    assert OPENS_SOCKET.search("const ws = new WebSocket(this.wsUrl);")
    assert DELAY_TABLE.search("const RECONNECT_DELAYS_MS = [1000, 2000];")
    assert MEETING_NAMES.search(r"const match = /^kamar-(\d+)(?:-e(\d+))?$/.exec(room);")
    assert IMPORT.findall('import {\n  a, b,\n} from "/static/app/api.js";')


SCRIPT = """
const { Backoff, RETRY_A_FEW } = await import(%s);
const waits = [];
globalThis.setTimeout = (fn, ms) => { waits.push(ms); return waits.length; };
globalThis.clearTimeout = () => {};
const retry = new Backoff(RETRY_A_FEW);
const scheduled = [];
for (let i = 0; i < 6; i++) scheduled.push(retry.schedule(() => {}));
const exhausted = retry.exhausted;
retry.reset();
retry.schedule(() => {});
console.log(JSON.stringify({ waits, scheduled, exhausted, after: retry.attempts }));
"""


def test_the_meeting_page_retries_a_few_times_then_gives_up() -> None:
    module = json.dumps((BASE / "socket.js").as_uri())
    out = run_module_script(SCRIPT % module, "web/base/socket.js")
    assert out["waits"] == [1000, 2000, 4000, 8000, 8000, 1000]
    assert out["scheduled"] == [True] * 5 + [False]
    assert (out["exhausted"], out["after"]) == (True, 1)
