"""Public pages of agenda events (/e/<id>): no sign-in, only an event its organiser made public
and only what is meant for everyone (title, description, kind, times in the organiser's zone,
place, RSVP counts), never its room, members or meeting link. Open Graph and Twitter card
tags, share links and the sharer's `?ref=` in the join link come from server/public_html.py.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from server.api.organising import organising_for
from server.public_html import (
    event_when,
    paragraphs,
    preview_meta,
    public_page,
    serve_public,
    summary,
)

# As web/strings/community.js names them (eventKinds), in Indonesian: the members' language.
KIND_NAMES = {"meeting": "Rapat daring", "town_hall": "Pertemuan akbar", "offline": "Tatap muka"}


def render_event_page(view: dict[str, Any], url: str, ref: str | None) -> str:
    """The whole page. Pure: every value is escaped."""
    e = html.escape
    title, text = str(view["title"]), str(view["description"])
    when = event_when(view["starts_at"], view["ends_at"])
    kind = KIND_NAMES.get(view["kind"], view["kind"])
    # The preview says when first: that is what someone deciding to come needs.
    meta = preview_meta("website", title, summary(f"{when} · {kind}. {text}"), url)
    place = f'<p id="event-place">Tempat: {e(view["location"])}</p>' if view["location"] else ""
    rsvp = view["rsvp"]
    body = (
        f"<h1>{e(title)}</h1>"
        f'<p class="muted small" id="event-kind">{e(kind)}</p>'
        f'<p><time datetime="{e(view["starts_at"])}" id="event-when">{e(when)}</time></p>'
        f'{place}<div class="announcement-text">{paragraphs(text)}</div>'
        f'<p class="muted small" id="event-rsvp">Hadir {int(rsvp["going"])} · '
        f"Mungkin {int(rsvp['maybe'])}</p>"
    )
    return public_page(meta, "event", body, ref)


async def event_page(request: web.Request) -> web.Response:
    event_id = int(request.match_info["event_id"])
    agenda = organising_for(request.app).community.agenda
    return await serve_public(
        request, f"/e/{event_id}", agenda.public_view(event_id), render_event_page
    )
