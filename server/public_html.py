"""What every public page (/a/<id> announcements, /e/<id> events) shares: the sharer's
referral code, Open Graph and Twitter card tags so that a link pasted into WhatsApp, Facebook,
X or Telegram shows a preview, the share links of each of them and the Web Share API button
(web/static share.js), and the join link crediting the sharer (docs/organising.md).

Every value is escaped here; callers pass plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rooms.errors import NotFound

DESCRIPTION_CHARS = 200  # what the previews show; Open Graph readers cut longer ones anyway
REF = re.compile(r"[A-Za-z0-9_-]{4,16}")

# Indonesia's three zones by their offsets, as people there name them.
ZONE_NAMES = {"+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT"}


def event_when(starts: str, ends: str) -> str:
    """'2026-12-20 19:00–21:00 WIB' from two ISO times in the organiser's zone. Pure."""
    offset = starts[19:]
    zone = ZONE_NAMES.get(offset, f"UTC{offset}")
    end = ends[11:16] if ends[:10] == starts[:10] else f"{ends[:10]} {ends[11:16]}"
    return f"{starts[:10]} {starts[11:16]}–{end} {zone}"


def sharer_ref(request: web.Request) -> str | None:
    """The `?ref=` referral code if it is well formed; anything else is dropped."""
    ref = request.query.get("ref")
    return ref if ref and REF.fullmatch(ref) else None


def page_url(request: web.Request, path: str, ref: str | None) -> str:
    return f"{request.scheme}://{request.host}{path}" + (f"?ref={ref}" if ref else "")


def summary(text: str) -> str:
    """The preview's description: one line, cut. Pure."""
    return " ".join(text.split())[:DESCRIPTION_CHARS]


def share_links(url: str, title: str) -> list[tuple[str, str]]:
    u, text = quote(url, safe=""), quote(title, safe="")
    return [
        ("WhatsApp", f"https://wa.me/?text={text}%20{u}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("X", f"https://twitter.com/intent/tweet?url={u}&text={text}"),
        ("Telegram", f"https://t.me/share/url?url={u}&text={text}"),
    ]


def preview_meta(og_type: str, title: str, description: str, url: str) -> dict[str, str]:
    """Open Graph (https://ogp.me) and Twitter card tags; a caller may add a picture."""
    return {
        "og:type": og_type,
        "og:site_name": "Kamar",
        "og:title": title,
        "og:description": description,
        "og:url": url,
        "twitter:card": "summary",
        "twitter:title": title,
        "twitter:description": description,
    }


def public_page(meta: dict[str, str], main_id: str, body: str, ref: str | None) -> str:
    """The whole page around `body` (already escaped HTML): head, share bar and join link."""
    e = html.escape
    title, url = meta["og:title"], meta["og:url"]
    tags = "".join(
        f'<meta {"name" if key.startswith("twitter:") else "property"}="{key}" '
        f'content="{e(value)}">'
        for key, value in meta.items()
    )
    shares = "".join(
        f'<a class="button small" href="{e(href)}" rel="noopener" target="_blank">{name}</a>'
        for name, href in share_links(url, title)
    )
    join = f"/#/join/{ref}" if ref else "/#/register"
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title>"
        f'<meta name="description" content="{e(meta["og:description"])}">{tags}'
        '<link rel="stylesheet" href="/static/style.css">'
        '<script type="module" src="/static/share.js"></script>'
        f'</head><body><main class="pad public-page" id="{main_id}">{body}'
        f'<p class="row wrap share-links"><button type="button" id="web-share" hidden '
        f'data-url="{e(url)}" data-title="{e(title)}">Bagikan</button>{shares}</p>'
        f'<p><a class="button primary" href="{e(join)}" id="join-link">Gabung / Join Kamar</a></p>'
        "</main></body></html>"
    )


def paragraphs(text: str) -> str:
    """Text as HTML paragraphs, split at blank lines, escaped. Pure."""
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())


Render = Callable[[dict[str, Any], str, "str | None"], str]


async def serve_public(
    request: web.Request, path: str, load: Awaitable[dict[str, Any]], render: Render
) -> web.Response:
    """The page `render` makes of what `load` gives, 404 when it is missing or private (the
    same answer for both, so a private id is not told apart)."""
    try:
        view = await load
    except NotFound:
        raise web.HTTPNotFound(text="not found") from None
    ref = sharer_ref(request)
    return web.Response(
        text=render(view, page_url(request, path, ref), ref),
        content_type="text/html",
        # Short: a page made private stops being served from caches soon.
        headers={"Cache-Control": "public, max-age=300"},
    )
