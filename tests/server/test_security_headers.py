"""Every answer carries the security headers; pages get a policy that only Kamar's own files
satisfy, and the pages have nothing inline that such a policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.server.api_client import Api

WEB = Path(__file__).resolve().parent.parent.parent / "web"
PAGES = ["/", "/meet", "/r/rapat-serikat", "/static/app.html", "/static/room.html"]
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def directives(policy: str) -> dict[str, set[str]]:
    parsed: dict[str, set[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


@pytest.mark.parametrize("path", PAGES)
async def test_pages_allow_only_their_own_scripts_and_no_framing(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status == 200 and response.content_type == "text/html"
    assert {name: response.headers.get(name) for name in COMMON} == COMMON
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions and "microphone=(self)" in permissions
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == {"'self'"}
    assert policy["img-src"] == {"'self'", "blob:", "data:"}
    assert policy["media-src"] == {"'self'", "blob:"}
    assert policy["connect-src"] == {"'self'"}
    assert policy["frame-ancestors"] == policy["object-src"] == policy["base-uri"] == {"'none'"}


@pytest.mark.parametrize("path", PAGES)
async def test_a_not_modified_page_keeps_its_cached_policy(api: Api, path: str) -> None:
    first = await api.client.get(path)
    again = await api.client.get(
        path, headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status == 304
    assert "Content-Security-Policy" not in again.headers  # the browser keeps the page's own
    assert again.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/me", 401),
        ("/api/no-such-endpoint", 404),
        ("/static/style.css", 200),
        ("/static/app/main.js", 200),
        ("/healthz", 200),
        ("/no-such-page", 404),
    ],
)
async def test_every_other_answer_forbids_framing_sniffing_and_running(
    api: Api, path: str, status: int
) -> None:
    response = await api.client.get(path)
    assert response.status == status
    assert {name: response.headers.get(name) for name in COMMON} == COMMON
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == {"'none'"} and "sandbox" in policy


@pytest.mark.parametrize("page", sorted(WEB.glob("*.html")), ids=lambda p: p.name)
def test_pages_have_no_inline_script_style_or_handler(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, f"inline script in {page.name}: {tag}"
    assert not re.search(r"<style\b", html, flags=re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=", html, flags=re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    assert "javascript:" not in html.lower()
