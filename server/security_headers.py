"""Security headers on every answer: the web client's pages get a Content-Security-Policy that
allows only Kamar's own scripts, styles and connections; every answer forbids framing, MIME
sniffing and referrers.

Why it matters here: the session token lives in the page's localStorage, so one injected
script would be a stolen account; join links (`/r/<room>?token=`) and calendar links carry
tokens in their addresses, which a Referer header would hand to the next site opened.

The pages have no inline script or style (tests/server/test_security_headers.py checks
web/*.html); photos are shown from blob: URLs (web/app/api.js fetches them with the session
header); the favicon, icons, manifest and service worker are Kamar's own (server/pwa.py,
which gives the worker a policy of its own); the websockets are same-origin, which CSP Level
3 'self' covers for ws: and wss:. Camera, microphone and screen sharing are allowed for Kamar's
own pages only.
"""

from __future__ import annotations

from aiohttp import web

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        # The service worker (/sw.js, server/pwa.py) and the manifest are Kamar's own.
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Anything else (JSON, files, calendar feeds) is never a page: nothing runs if one is opened.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox"

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": (
        "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), "
        "usb=()"
    ),
}


def install(app: web.Application) -> None:
    app.on_response_prepare.append(_add_headers)


async def _add_headers(_request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    for name, value in EVERY_ANSWER.items():
        headers.setdefault(name, value)
    if response.status == 304:
        # A browser merges a 304's headers into the page it has cached; a 304 has no type of
        # its own, so it must not bring the non-page policy onto a cached page.
        return
    is_page = response.content_type == "text/html"
    headers.setdefault("Content-Security-Policy", PAGE_POLICY if is_page else OTHER_POLICY)
