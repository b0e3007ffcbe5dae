"""Public pages of announcements (/a/<id>): no sign-in, only what the author made public (title,
text, author's name, time), with Open Graph and Twitter card tags so that a link pasted into
WhatsApp, Facebook, X or Telegram shows a preview, and share links for each of them.

`?ref=<referral code>` (the sharer's) makes the page's "join" button open registration
credited to the sharer (docs/organising.md). The page is built from escaped text only: no
member data, no room names, no comments.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from aiohttp import web

from rooms.errors import NotFound
from server.api.organising import organising_for

DESCRIPTION_CHARS = 200  # what the previews show; Open Graph readers cut longer ones anyway
REF = re.compile(r"[A-Za-z0-9_-]{4,16}")


def add_public_pages(app: web.Application) -> None:
    app.router.add_get("/a/{announcement_id:[0-9]{1,15}}", announcement_page)


def _share_links(url: str, title: str) -> list[tuple[str, str]]:
    u, text = quote(url, safe=""), quote(title, safe="")
    return [
        ("WhatsApp", f"https://wa.me/?text={text}%20{u}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("X", f"https://twitter.com/intent/tweet?url={u}&text={text}"),
        ("Telegram", f"https://t.me/share/url?url={u}&text={text}"),
    ]


def render_page(view: dict[str, str | int | None], url: str, ref: str | None) -> str:
    """The whole page. Pure: every value is escaped."""
    title = str(view["title"])
    text = str(view["text"])
    description = " ".join(text.split())[:DESCRIPTION_CHARS]
    e = html.escape
    when = e(str(view["created_at"]))
    join = f"/#/join/{ref}" if ref else "/#/register"
    paragraphs = "".join(f"<p>{e(part)}</p>" for part in text.split("\n\n") if part.strip())
    shares = "".join(
        f'<a class="button small" href="{e(href)}" rel="noopener" target="_blank">{name}</a>'
        for name, href in _share_links(url, title)
    )
    meta = {
        "og:type": "article",
        "og:site_name": "Kamar",
        "og:title": title,
        "og:description": description,
        "og:url": url,
        "twitter:card": "summary",
        "twitter:title": title,
        "twitter:description": description,
    }
    tags = "".join(
        f'<meta {"name" if key.startswith("twitter:") else "property"}="{key}" '
        f'content="{e(value)}">'
        for key, value in meta.items()
    )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title>"
        f'<meta name="description" content="{e(description)}">{tags}'
        '<link rel="stylesheet" href="/static/style.css">'
        '<script type="module" src="/static/share.js"></script>'
        '</head><body><main class="pad public-page" id="announcement">'
        f"<h1>{e(title)}</h1>"
        f'<p class="muted small">{e(str(view["author"]))} · '
        f'<time datetime="{when}">{when[:10]}</time></p>'
        f'<div class="announcement-text">{paragraphs}</div>'
        f'<p class="row wrap share-links"><button type="button" id="web-share" hidden '
        f'data-url="{e(url)}" data-title="{e(title)}">Bagikan</button>{shares}</p>'
        f'<p><a class="button primary" href="{e(join)}" id="join-link">Gabung / Join Kamar</a></p>'
        "</main></body></html>"
    )


async def announcement_page(request: web.Request) -> web.Response:
    announcement_id = int(request.match_info["announcement_id"])
    try:
        view = await organising_for(request.app).announcements.public_view(announcement_id)
    except NotFound:
        raise web.HTTPNotFound(text="not found") from None
    ref = request.query.get("ref")
    ref = ref if ref and REF.fullmatch(ref) else None
    url = f"{request.scheme}://{request.host}/a/{announcement_id}" + (f"?ref={ref}" if ref else "")
    return web.Response(
        text=render_page(view, url, ref),
        content_type="text/html",
        headers={"Cache-Control": "public, max-age=300"},
    )
