"""QR codes of referral links, as PNG (to show and share) and SVG (to print on a poster at any
size), drawn by segno. Error correction level M (15% of the code may be covered or dirty):
a poster on a wall gets scratched, and M keeps a 60-character link at version 4, 33x33 modules,
readable by a cheap phone camera from a metre away at 10 cm wide."""

from __future__ import annotations

import io

import segno

PNG_SCALE = 8  # px per module: a 33-module code with its border is 328 px wide
SVG_SCALE = 10


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=PNG_SCALE, border=4)
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(
        out, kind="svg", scale=SVG_SCALE, border=4, xmldecl=True, svgns=True
    )
    return out.getvalue()
