"""A page, instead of aiohttp's bare "404: Not Found", for an address a member opens in the
browser that leads nowhere: a mistyped or old link, a public event or announcement page made
private (/e/<id>, /a/<id>: server/public_html.py answers both with the same 404). Like the public
pages it speaks Indonesian and English at once, since a stranger's language is not known, and
it leads into the app. The API keeps its JSON errors (server/api/routing.py); files, photos and
the websocket keep their plain answers, since no person reads those.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

NOT_PAGES = ("/api/", "/static/", "/ws")

PAGE = (
    '<!doctype html><html lang="id"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Tidak ditemukan · Not found · Kamar</title>"
    '<link rel="stylesheet" href="/static/style.css">'
    '</head><body><main class="pad public-page" id="not-found">'
    "<h1>Halaman ini tidak ada</h1>"
    "<p>Tautannya mungkin salah ketik, sudah lama, atau halamannya tidak dibagikan lagi. "
    "Tanyakan tautan yang benar kepada yang mengirimnya.</p>"
    '<h2 lang="en">This page does not exist</h2>'
    '<p lang="en">The link may be mistyped or old, or the page is no longer shared. Ask whoever '
    "sent it for the right one.</p>"
    '<p><a class="button primary" href="/" id="to-app">Buka Kamar / Open Kamar</a></p>'
    "</main></body></html>"
)


def install(app: web.Application) -> None:
    app.middlewares.append(_page_for_not_found)


def wants_page(request: web.Request) -> bool:
    """A browser opening an address (not the app fetching data or a file). Pure."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(NOT_PAGES):
        return False
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def _page_for_not_found(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if not wants_page(request):
            raise
        return web.Response(
            status=404, text=PAGE, content_type="text/html", headers={"Cache-Control": "no-cache"}
        )
