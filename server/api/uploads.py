"""Resumable uploads over HTTP: tus 1.0 (https://tus.io/protocols/resumable-upload) core with
the creation, expiration and termination extensions, on rooms/community/resumable.py.

POST /api/rooms/{room_id}/uploads creates one (Upload-Length, Upload-Metadata `filename`) and
answers its Location; PATCH sends a piece at Upload-Offset; HEAD says how much arrived; DELETE
cancels. tus answers a finished PATCH with 204 and no body, so the Attachment is read with GET
(a Kamar addition). Errors keep the API's JSON shape (with their tus status: 409 for a wrong
offset, 412 for a missing Tus-Resumable) and every answer carries Tus-Resumable.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from typing import Any

from aiohttp import ClientPayloadError, web

from rooms.community.resumable import MAX_UPLOAD_LENGTH, UploadState
from rooms.errors import DomainError, Invalid, UnsupportedMedia
from server.api.routing import Call, Route, error_response

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
PIECE_READ = 64 * 1024
# A piece whose sender went quiet this long ends there: what arrived is kept, and the lock is
# freed for the client's next attempt over its new connection (a phone that lost its signal
# never closes the old one).
IDLE_SECONDS = 30.0
MAX_METADATA = 4096


def _tus(handler: Callable[[Call], Awaitable[web.StreamResponse]]) -> Callable[[Call], Any]:
    """Checks Tus-Resumable, and adds it to every answer, errors included."""

    async def wrapped(call: Call) -> web.StreamResponse:
        response: web.StreamResponse
        try:
            if call.request.headers.get("Tus-Resumable") != TUS_VERSION:
                refusal = error_response(
                    "bad_request",
                    f"send Tus-Resumable: {TUS_VERSION}",
                    "Tus-Resumable",
                    reason="tus_version",
                )
                refusal.set_status(412)
                refusal.headers["Tus-Version"] = TUS_VERSION
                response = refusal
            else:
                response = await handler(call)
        except DomainError as exc:
            response = error_response(exc.code, exc.message, exc.field, exc.retry_after, exc.reason)
        response.headers["Tus-Resumable"] = TUS_VERSION
        return response

    wrapped.__name__ = handler.__name__
    return wrapped


def _state_headers(state: UploadState) -> dict[str, str]:
    return {
        "Upload-Offset": str(state.offset),
        "Upload-Length": str(state.length),
        "Upload-Expires": formatdate(state.expires_at / 1000, usegmt=True),  # RFC 9110 date
        "Cache-Control": "no-store",
    }


async def create_upload(call: Call) -> web.StreamResponse:
    length = _whole_number(call.request.headers.get("Upload-Length"), "Upload-Length")
    filename = _metadata(call.request.headers.get("Upload-Metadata", "")).get("filename")
    state = await call.community.resumable.create(call.me, call.path["room_id"], length, filename)
    headers = _state_headers(state)
    headers["Location"] = f"/api/uploads/{state.token}"
    return web.Response(status=201, headers=headers)


async def upload_offset(call: Call) -> web.StreamResponse:
    state = await call.community.resumable.state(call.me, call.request.match_info["upload"])
    return web.Response(status=200, headers=_state_headers(state))


async def send_piece(call: Call) -> web.StreamResponse:
    if call.request.content_type != "application/offset+octet-stream":
        raise UnsupportedMedia("send the piece as application/offset+octet-stream", "Content-Type")
    offset = _whole_number(call.request.headers.get("Upload-Offset"), "Upload-Offset")
    state = await call.community.resumable.append(
        call.me, call.request.match_info["upload"], offset, _piece(call.request)
    )
    return web.Response(status=204, headers=_state_headers(state))


async def cancel_upload(call: Call) -> web.StreamResponse:
    await call.community.resumable.cancel(call.me, call.request.match_info["upload"])
    return web.Response(status=204)


async def upload_status(call: Call) -> dict[str, Any]:
    """JSON for the web client: the offset, and the Attachment once finished."""
    state = await call.community.resumable.state(call.me, call.request.match_info["upload"])
    return {
        "offset": state.offset,
        "length": state.length,
        "expires_at": state.expires_at,
        "attachment": state.attachment,
    }


async def upload_options(_call: Call) -> web.StreamResponse:
    """tus discovery: the version, the extensions and the largest file."""
    return web.Response(
        status=204,
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(MAX_UPLOAD_LENGTH),
        },
    )


async def _piece(request: web.Request) -> AsyncIterator[bytes]:
    """The request body; a connection that drops or goes quiet ends it early instead of
    failing, so the bytes that did arrive are kept."""
    while True:
        try:
            async with asyncio.timeout(IDLE_SECONDS):
                chunk = await request.content.read(PIECE_READ)
        except (ClientPayloadError, ConnectionError, TimeoutError):
            return
        if not chunk:
            return
        yield chunk


def _whole_number(raw: str | None, header: str) -> int:
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise Invalid(f"{header} must be a whole number of bytes", header, reason="upload_header")
    return int(raw)


def _metadata(raw: str) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated `key base64(value)` pairs."""
    if len(raw) > MAX_METADATA:
        raise Invalid("Upload-Metadata is too long", "Upload-Metadata", reason="upload_header")
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, value = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Invalid(
                f"Upload-Metadata {key!r} is not base64 of UTF-8",
                "Upload-Metadata",
                reason="upload_header",
            ) from exc
    return pairs


_TAGS = ("chat",)
ROUTES = [
    Route(
        "OPTIONS",
        "/api/rooms/{room_id}/uploads",
        upload_options,
        "tus discovery: Tus-Version, Tus-Extension, Tus-Max-Size",
        auth="none",
        status=204,
        content="none",
        tags=_TAGS,
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/uploads",
        _tus(create_upload),
        "Start a resumable upload (tus 1.0 creation): Upload-Length, Upload-Metadata filename",
        status=201,
        content="none",
        tags=_TAGS,
    ),
    Route(
        "HEAD",
        "/api/uploads/{upload}",
        _tus(upload_offset),
        "How much of a resumable upload arrived (Upload-Offset)",
        content="none",
        tags=_TAGS,
    ),
    Route(
        "PATCH",
        "/api/uploads/{upload}",
        _tus(send_piece),
        "Send a piece of a resumable upload at Upload-Offset",
        status=204,
        content="none",
        tags=_TAGS,
    ),
    Route(
        "DELETE",
        "/api/uploads/{upload}",
        _tus(cancel_upload),
        "Cancel a resumable upload (tus termination)",
        status=204,
        content="none",
        tags=_TAGS,
    ),
    Route(
        "GET",
        "/api/uploads/{upload}",
        upload_status,
        "A resumable upload's offset, and its Attachment once finished",
        content="none",
        tags=_TAGS,
    ),
]
