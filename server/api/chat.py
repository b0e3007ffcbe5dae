"""Chat endpoints: history, post, edit, delete, forward, read markers and readers, attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import BodyPartReader, web

from rooms.community.chat import MAX_TEXT, PAGE_MAX
from rooms.community.post_attachments import MAX_ATTACHMENTS
from rooms.errors import Invalid, UnsupportedMedia
from server.api.fields import Field
from server.api.routing import Call, Route

UPLOAD_CHUNK = 64 * 1024


async def history(call: Call) -> dict[str, Any]:
    page, next_before = await call.community.chat.history(
        call.me, call.path["room_id"], call.query["before"], call.query["limit"] or 50
    )
    return {"messages": page, "next_before": next_before}


async def post_message(call: Call) -> dict[str, Any]:
    body = call.body
    return await call.community.chat.post(
        call.me,
        call.path["room_id"],
        body["text"] or "",
        reply_to=body["reply_to"],
        attachment_ids=body["attachments"] or (),
        client_id=body["client_id"],
    )


async def edit_message(call: Call) -> dict[str, Any]:
    return await call.community.chat.edit(call.me, call.path["message_id"], call.body["text"])


async def delete_message(call: Call) -> dict[str, Any]:
    message = await call.community.chat.delete(call.me, call.path["message_id"])
    await call.community.attachments.purge(message["id"])  # after the delete has committed
    return message


async def mark_read(call: Call) -> dict[str, Any]:
    unread = await call.community.chat.mark_read(
        call.me, call.path["room_id"], call.body["message_id"]
    )
    return {"unread": unread}


async def forward_message(call: Call) -> dict[str, Any]:
    return await call.community.forwarding.forward(
        call.me, call.path["message_id"], call.body["room_id"], call.body["client_id"]
    )


async def readers(call: Call) -> dict[str, Any]:
    return await call.community.readers.of_message(call.me, call.path["message_id"])


async def upload(call: Call) -> dict[str, Any]:
    """Streams the `file` part to disk: the app's small body limit does not apply here."""
    if not call.request.content_type.startswith("multipart/"):
        raise UnsupportedMedia(
            "send the file as multipart/form-data with a part named 'file'", "file"
        )
    reader = await call.request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            raise Invalid("no part named 'file' in the upload", "file")
        if isinstance(part, BodyPartReader) and part.name == "file":
            break
        if isinstance(part, BodyPartReader):
            await part.release()
    return await call.community.attachments.save(
        call.me, call.path["room_id"], part.filename, _chunks(part)
    )


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(UPLOAD_CHUNK):
        yield chunk


async def download(call: Call) -> web.StreamResponse:
    return await _file(call, thumbnail=False)


async def thumbnail(call: Call) -> web.StreamResponse:
    return await _file(call, thumbnail=True)


async def _file(call: Call, thumbnail: bool) -> web.StreamResponse:
    path, mime = await call.community.attachments.open(
        call.me, call.path["attachment_id"], thumbnail
    )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": mime,
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


ROUTES = [
    Route(
        "GET",
        "/api/rooms/{room_id}/messages",
        history,
        "A page of history, oldest first; `next_before` fetches the older page",
        content="none",
        query=(
            Field("before", kind=int, minimum=1),
            Field("limit", kind=int, minimum=1, maximum=PAGE_MAX),
        ),
        tags=("chat",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/messages",
        post_message,
        "Send a message; answered once it is stored",
        status=201,
        body=(
            Field("text", max_length=MAX_TEXT),
            Field("reply_to", kind=int, minimum=1),
            Field("attachments", kind=list, items=int, max_length=MAX_ATTACHMENTS),
            Field(
                "client_id",
                max_length=64,
                description="chosen once per message, sent again on retries: no duplicates",
            ),
        ),
        tags=("chat",),
    ),
    Route(
        "PATCH",
        "/api/messages/{message_id}",
        edit_message,
        "Edit one's message",
        body=(Field("text", required=True, max_length=MAX_TEXT),),
        tags=("chat",),
    ),
    Route(
        "DELETE",
        "/api/messages/{message_id}",
        delete_message,
        "Delete a message (author or moderator)",
        content="none",
        tags=("chat",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/read",
        mark_read,
        "Mark messages up to one as read",
        body=(Field("message_id", kind=int, required=True, minimum=1),),
        tags=("chat",),
    ),
    Route(
        "POST",
        "/api/messages/{message_id}/forward",
        forward_message,
        "Forward a message to another room one is a member of (rate-limited as chat)",
        status=201,
        body=(
            Field("room_id", kind=int, required=True, minimum=1),
            Field("client_id", max_length=64, description="as for posting: no duplicates"),
        ),
        tags=("chat",),
    ),
    Route(
        "GET",
        "/api/messages/{message_id}/readers",
        readers,
        "Who has read a message, and when (members of its room)",
        content="none",
        tags=("chat",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/attachments",
        upload,
        "Upload a photo or video for a message",
        status=201,
        content="multipart",
        tags=("chat",),
    ),
    Route(
        "GET",
        "/api/attachments/{attachment_id}",
        download,
        "An attachment's file",
        content="none",
        produces="application/octet-stream",
        tags=("chat",),
    ),
    Route(
        "GET",
        "/api/attachments/{attachment_id}/thumbnail",
        thumbnail,
        "A photo's JPEG thumbnail",
        content="none",
        produces="image/jpeg",
        tags=("chat",),
    ),
]
