"""Profile photos (docs/api.md "PUT /api/me/avatar"): set, remove, and show one's own or
another member's."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from rooms.errors import Invalid, UnsupportedMedia
from server.api.chat import UPLOAD_CHUNK
from server.api.routing import Call, Route


async def set_avatar(call: Call) -> None:
    if not call.request.content_type.startswith("multipart/"):
        raise UnsupportedMedia(
            "send the photo as multipart/form-data with a part named 'file'", "file"
        )
    reader = await call.request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "file":

            async def chunks(source: BodyPartReader = part):  # type: ignore[no-untyped-def]
                while chunk := await source.read_chunk(UPLOAD_CHUNK):
                    yield chunk

            await call.community.avatars.save(call.me, chunks())
            return
        if isinstance(part, BodyPartReader):
            await part.release()
    raise Invalid("no part named 'file' in the upload", "file")


async def remove_avatar(call: Call) -> None:
    await call.community.avatars.remove(call.me)


async def show_avatar(call: Call) -> web.StreamResponse:
    path = await call.community.avatars.open(call.path["user_id"])
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "image/jpeg",
            # Short: a new photo shows within minutes; the client adds ?v= after its own change.
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


TAGS = ("accounts",)
ROUTES = [
    Route(
        "PUT",
        "/api/me/avatar",
        set_avatar,
        "Set one's profile photo (a photo; stored as a 256 px square JPEG)",
        status=204,
        content="multipart",
        tags=TAGS,
    ),
    Route(
        "DELETE",
        "/api/me/avatar",
        remove_avatar,
        "Remove one's profile photo",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/users/{user_id}/avatar",
        show_avatar,
        "A member's profile photo (404 avatar_not_found: none)",
        content="none",
        produces="image/jpeg",
        tags=TAGS,
    ),
]
