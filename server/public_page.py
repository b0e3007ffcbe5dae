"""Public pages of announcements (/a/<id>): no sign-in, only what the author made public (title,
text, author's name, time, its photos and its event's title and time), with Open Graph and
Twitter card tags so that a link pasted into WhatsApp, Facebook, X or Telegram shows a preview
(the first photo as its picture), and share links for each of them. The photos are served at
/a/<id>/photos/<attachment id> to anyone while the announcement is public, and never otherwise.

`?ref=<referral code>` (the sharer's) makes the page's "join" button open registration
credited to the sharer (docs/organising.md). The page is built from escaped text only: no
member data, no room names, no comments.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rooms.errors import NotFound
from server.api.organising import organising_for

DESCRIPTION_CHARS = 200  # what the previews show; Open Graph readers cut longer ones anyway
REF = re.compile(r"[A-Za-z0-9_-]{4,16}")


def add_public_pages(app: web.Application) -> None:
    app.router.add_get("/a/{announcement_id:[0-9]{1,15}}", announcement_page)
    photo = "/a/{announcement_id:[0-9]{1,15}}/photos/{attachment_id:[0-9]{1,15}}"
    app.router.add_get(photo, announcement_photo)
    app.router.add_get(photo + "/thumbnail", announcement_photo)


def _share_links(url: str, title: str) -> list[tuple[str, str]]:
    u, text = quote(url, safe=""), quote(title, safe="")
    return [
        ("WhatsApp", f"https://wa.me/?text={text}%20{u}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("X", f"https://twitter.com/intent/tweet?url={u}&text={text}"),
        ("Telegram", f"https://t.me/share/url?url={u}&text={text}"),
    ]


# Indonesia's three zones by their offsets, as people there name them.
ZONE_NAMES = {"+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT"}


def event_when(starts: str, ends: str) -> str:
    """'2026-12-20 19:00–21:00 WIB' from two ISO times in the organiser's zone. Pure."""
    offset = starts[19:]
    zone = ZONE_NAMES.get(offset, f"UTC{offset}")
    end = ends[11:16] if ends[:10] == starts[:10] else f"{ends[:10]} {ends[11:16]}"
    return f"{starts[:10]} {starts[11:16]}–{end} {zone}"


def _event_card(event: dict[str, str] | None) -> str:
    if not event:
        return ""
    e = html.escape
    place = f'<p class="muted small">{e(event["location"])}</p>' if event["location"] else ""
    return (
        f'<div class="event-card" id="event-card"><p class="muted small">Acara</p>'
        f'<strong>{e(event["title"])}</strong><p><time datetime="{e(event["starts_at"])}">'
        f"{e(event_when(event['starts_at'], event['ends_at']))}</time></p>{place}</div>"
    )


def _photos(photos: list[dict[str, Any]]) -> str:
    e = html.escape
    return "".join(
        f'<a href="{e(p["url"])}"><img class="public-photo" src="{e(p["thumbnail_url"])}" '
        f'alt="" loading="lazy" width="{p["width"] or 320}" height="{p["height"] or 240}"></a>'
        for p in photos
    )


def render_page(view: dict[str, Any], url: str, ref: str | None) -> str:
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
    origin = url.split("/a/", 1)[0]
    photos = view.get("photos") or []
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
    if photos:  # a large picture in the preview: the first photo, whole
        meta["og:image"] = origin + photos[0]["url"]
        meta["twitter:card"] = "summary_large_image"
        meta["twitter:image"] = origin + photos[0]["url"]
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
        f'<div class="public-photos">{_photos(photos)}</div>{_event_card(view.get("event"))}'
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


async def announcement_photo(request: web.Request) -> web.StreamResponse:
    """A public announcement's photo (or its thumbnail) for anyone; 404 for anything else."""
    organising = organising_for(request.app)
    try:
        relative, mime = await organising.announcements.public_photo(
            int(request.match_info["announcement_id"]),
            int(request.match_info["attachment_id"]),
            request.path.endswith("/thumbnail"),
        )
    except NotFound:
        raise web.HTTPNotFound(text="not found") from None
    path = organising.community.attachments.stored(relative)
    if not path.is_file():  # removed with its message a moment ago
        raise web.HTTPNotFound(text="not found")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": mime,
            # Short: an announcement made private, or its post deleted, stops being served soon.
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
