"""The installable app (a PWA) and what Android needs to open the site as an app.

- `/manifest.webmanifest`: name, colours, start URL and icons (Chromium's install criteria).
- `/sw.js`: the service worker (web/sw.js), served from the root so its scope is the whole
  site (`/` and `/r/...`). The server puts the app shell's file list and a version (a hash of
  those files) in front of it, so a deploy that changes any file makes browsers fetch the new
  shell, and a file added to web/ is cached without anyone keeping a list.
- `/icons/*.png` and `/favicon.ico`: drawn here with Pillow (already used for photos), once per
  process, instead of binary files in the repository.
- `/.well-known/assetlinks.json`: Digital Asset Links for a Trusted Web Activity; the package
  and certificate fingerprints come from the settings (docs/android.md). `[]` without them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from pathlib import Path

from aiohttp import web
from PIL import Image, ImageDraw

from server.config import Config

BACKGROUND = (20, 22, 26)  # #14161a, the app's theme colour (web/app.html)
ACCENT = (46, 160, 120)  # the door frame: Kamar is "room"
LEAF = (34, 38, 45)  # the door itself, a shade lighter than the background
ICON_SIZES = (192, 512)
# The service worker's own policy: it fetches the shell and the API from this origin, nothing
# else, and never runs anything but itself. (The default for non-pages forbids fetching.)
WORKER_POLICY = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
NO_CACHE = {"Cache-Control": "no-cache"}


def add_pwa(app: web.Application, config: Config, web_dir: Path) -> None:
    sw = service_worker(web_dir)
    manifest = json.dumps(MANIFEST, ensure_ascii=False).encode("utf-8")
    links = json.dumps(asset_links(config)).encode("utf-8")

    async def serve_manifest(_request: web.Request) -> web.Response:
        return web.Response(
            body=manifest, content_type="application/manifest+json", headers=NO_CACHE
        )

    async def serve_sw(_request: web.Request) -> web.Response:
        # Browsers check for a new worker on every navigation; no-cache keeps that check
        # honest (the HTTP cache may otherwise answer for up to 24 hours).
        headers = {**NO_CACHE, "Content-Security-Policy": WORKER_POLICY}
        return web.Response(body=sw, content_type="text/javascript", headers=headers)

    async def serve_icon(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ICON_NAMES:
            raise web.HTTPNotFound()
        return web.Response(
            body=icon_png(name),
            content_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def serve_favicon(_request: web.Request) -> web.Response:
        return web.Response(
            body=favicon_ico(),
            content_type="image/vnd.microsoft.icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def serve_links(_request: web.Request) -> web.Response:
        return web.Response(body=links, content_type="application/json", headers=NO_CACHE)

    app.router.add_get("/manifest.webmanifest", serve_manifest)
    app.router.add_get("/sw.js", serve_sw)
    app.router.add_get("/icons/{name}.png", serve_icon)
    app.router.add_get("/favicon.ico", serve_favicon)
    app.router.add_get("/.well-known/assetlinks.json", serve_links)


MANIFEST = {
    "name": "Kamar",
    "short_name": "Kamar",
    "description": "Obrolan, agenda dan rapat video untuk kamar komunitas Anda.",
    "lang": "id",
    "start_url": "/",
    "scope": "/",
    "id": "/",
    "display": "standalone",
    "orientation": "portrait",
    "background_color": "#14161a",
    "theme_color": "#14161a",
    "icons": [
        {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": "/icons/maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ],
}
ICON_NAMES = {"icon-192": (192, False), "icon-512": (512, False), "maskable-512": (512, True)}


def asset_links(config: Config) -> list[dict[str, object]]:
    if not config.android_package:
        return []
    return [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": config.android_package,
                "sha256_cert_fingerprints": [f.upper() for f in config.android_cert_fingerprints],
            },
        }
    ]


def shell_files(web_dir: Path) -> list[Path]:
    """What the app needs to start without a network: its scripts, strings and styles."""
    return sorted(
        path
        for path in web_dir.rglob("*")
        if path.is_file() and path.suffix in (".js", ".css") and path.name != "sw.js"
    )


def service_worker(web_dir: Path) -> bytes:
    files = shell_files(web_dir)
    pages = [web_dir / "app.html", web_dir / "room.html"]
    digest = hashlib.sha256()
    for path in [*pages, *files]:
        digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    digest.update(json.dumps(MANIFEST).encode())
    urls = [f"/static/{path.relative_to(web_dir).as_posix()}" for path in files]
    urls += ["/manifest.webmanifest", "/favicon.ico", *(f"/icons/{n}.png" for n in ICON_NAMES)]
    header = (
        f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
        f"const SHELL = {json.dumps(urls)};\n"
    )
    return header.encode() + (web_dir / "sw.js").read_bytes()


@functools.cache
def icon_png(name: str) -> bytes:
    size, maskable = ICON_NAMES[name]
    out = io.BytesIO()
    draw_icon(size, maskable).save(out, format="PNG", optimize=True)
    return out.getvalue()


@functools.cache
def favicon_ico() -> bytes:
    out = io.BytesIO()
    draw_icon(64, False).save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def draw_icon(size: int, maskable: bool) -> Image.Image:
    """An open door on the theme colour. Drawn 4x larger and scaled down for smooth edges.
    A maskable icon fills the square (launchers cut their own shape) and keeps the door in
    the middle 60%, inside the safe zone (a circle of 80% of the width, W3C manifest spec)."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BACKGROUND)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BACKGROUND)
    scale = 0.6 if maskable else 0.72
    width, height = big * scale * 0.55, big * scale
    left, top = (big - width) / 2, (big - height) / 2
    arch = width / 2
    # The door frame: a rectangle with a round top, and the open door as a darker leaf.
    draw.rounded_rectangle((left, top, left + width, top + height), radius=arch, fill=ACCENT)
    draw.rectangle((left, top + arch, left + width, top + height), fill=ACCENT)
    leaf = (left + width * 0.18, top + arch * 0.6, left + width * 0.82, top + height)
    draw.rounded_rectangle(leaf, radius=arch * 0.6, fill=LEAF)
    knob = width * 0.07
    cx, cy = left + width * 0.68, top + height * 0.6
    draw.ellipse((cx - knob, cy - knob, cx + knob, cy + knob), fill=ACCENT)
    return image.resize((size, size), Image.Resampling.LANCZOS)
