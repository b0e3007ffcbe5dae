"""Direct messages (docs/api.md "Direct messages"): open a conversation, block, report. Writing
and reading in one are the room chat's endpoints: a conversation is a room."""

from __future__ import annotations

from typing import Any

from rooms.community.reports import MAX_REASON
from server.api.fields import Field
from server.api.routing import Call, Route


async def open_conversation(call: Call) -> dict[str, Any]:
    return await call.community.direct.open(call.me, call.body["user_id"])


async def blocked(call: Call) -> dict[str, Any]:
    return {"blocked": await call.community.direct.blocked(call.me)}


async def block(call: Call) -> None:
    await call.community.direct.block(call.me, call.path["user_id"])


async def unblock(call: Call) -> None:
    await call.community.direct.unblock(call.me, call.path["user_id"])


async def report(call: Call) -> None:
    body = call.body
    await call.community.direct.report(
        call.me, call.path["room_id"], body["reason"], body["message_id"]
    )


async def reports(call: Call) -> dict[str, Any]:
    return {"reports": await call.community.direct.reports(call.me)}


TAGS = ("direct",)
ROUTES = [
    Route(
        "POST",
        "/api/direct",
        open_conversation,
        "The conversation with a member one shares a room with (a two-member room, made once)",
        body=(Field("user_id", kind=int, required=True, minimum=1),),
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/direct/blocks",
        blocked,
        "The members one has blocked",
        content="none",
        tags=TAGS,
    ),
    Route(
        "PUT",
        "/api/direct/blocks/{user_id}",
        block,
        "Block a member: no conversation with them any more, either way",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "DELETE",
        "/api/direct/blocks/{user_id}",
        unblock,
        "Lift a block",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/direct/{room_id}/report",
        report,
        "Report a conversation (and a message of it) to the server's administrators",
        status=204,
        body=(
            Field("reason", required=True, max_length=MAX_REASON),
            Field("message_id", kind=int, minimum=1),
        ),
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/direct/reports",
        reports,
        "Reported conversations, newest first (server administrators)",
        content="none",
        tags=TAGS,
    ),
]
