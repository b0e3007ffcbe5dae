"""Public pages of announcements (/a/<id>): no sign-in, only what the author made public (title,
text, author's name, time, its photos and its event's title and time), with Open Graph and
Twitter card tags so that a link pasted into WhatsApp, Facebook, X or Telegram shows a preview
(the first photo as its picture), and share links for each of them. The photos are served at
/a/<id>/photos/<attachment id> to anyone while the announcement is public, and never otherwise.

`?ref=<referral code>` (the sharer's) makes the page's "join" button open registration
credited to the sharer (docs/organising.md). The page is built from escaped text only: no
member data, no room names, no comments. What public pages share is server/public_html.py;
events' pages (/e/<id>) are server/event_page.py.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from rooms.errors import NotFound
from server.api.organising import organising_for
from server.event_page import event_page
from server.public_html import (
    event_when,
    paragraphs,
    preview_meta,
    public_page,
    serve_public,
    summary,
)


def add_public_pages(app: web.Application) -> None:
    app.router.add_get("/a/{announcement_id:[0-9]{1,15}}", announcement_page)
    photo = "/a/{announcement_id:[0-9]{1,15}}/photos/{attachment_id:[0-9]{1,15}}"
    app.router.add_get(photo, announcement_photo)
    app.router.add_get(photo + "/thumbnail", announcement_photo)
    app.router.add_get("/e/{event_id:[0-9]{1,15}}", event_page)


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
    e = html.escape
    when = e(str(view["created_at"]))
    origin = url.split("/a/", 1)[0]
    photos = view.get("photos") or []
    meta = preview_meta("article", title, summary(text), url)
    if photos:  # a large picture in the preview: the first photo, whole
        meta["og:image"] = origin + photos[0]["url"]
        meta["twitter:card"] = "summary_large_image"
        meta["twitter:image"] = origin + photos[0]["url"]
    body = (
        f"<h1>{e(title)}</h1>"
        f'<p class="muted small">{e(str(view["author"]))} · '
        f'<time datetime="{when}">{when[:10]}</time></p>'
        f'<div class="announcement-text">{paragraphs(text)}</div>'
        f'<div class="public-photos">{_photos(photos)}</div>{_event_card(view.get("event"))}'
    )
    return public_page(meta, "announcement", body, ref)


async def announcement_page(request: web.Request) -> web.Response:
    announcement_id = int(request.match_info["announcement_id"])
    announcements = organising_for(request.app).announcements
    return await serve_public(
        request, f"/a/{announcement_id}", announcements.public_view(announcement_id), render_page
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
