"""Direct messages (docs/api.md "Direct messages"): open a conversation, block, report. Writing
and reading in one are the room chat's endpoints: a conversation is a room."""

from __future__ import annotations

from typing import Any

from rooms.community.reports import ACTIONS, MAX_REASON
from server.api.fields import Field
from server.api.routing import Call, Route


async def open_direct(call: Call) -> dict[str, Any]:
    return await call.community.direct.open(call.me, call.body["user_id"])


async def blocked_members(call: Call) -> dict[str, Any]:
    return {"blocked": await call.community.direct.blocked(call.me)}


async def block_member(call: Call) -> None:
    await call.community.direct.block(call.me, call.path["user_id"])


async def unblock_member(call: Call) -> None:
    await call.community.direct.unblock(call.me, call.path["user_id"])


async def report_direct(call: Call) -> None:
    body = call.body
    await call.community.direct.report(
        call.me, call.path["room_id"], body["reason"], body["message_id"]
    )


async def direct_reports(call: Call) -> dict[str, Any]:
    return {"reports": await call.community.direct.reports(call.me)}


async def resolve_direct_report(call: Call) -> dict[str, Any]:
    path = call.path
    return await call.community.direct.resolve_report(
        call.me, path["room_id"], path["reporter_id"], call.body["action"]
    )


TAGS = ("direct",)
ROUTES = [
    Route(
        "POST",
        "/api/direct",
        open_direct,
        "The conversation with a member one shares a room with (a two-member room, made once)",
        body=(Field("user_id", kind=int, required=True, minimum=1),),
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/direct/blocks",
        blocked_members,
        "The members one has blocked",
        content="none",
        tags=TAGS,
    ),
    Route(
        "PUT",
        "/api/direct/blocks/{user_id}",
        block_member,
        "Block a member: no conversation with them any more, either way",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "DELETE",
        "/api/direct/blocks/{user_id}",
        unblock_member,
        "Lift a block",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/direct/{room_id}/report",
        report_direct,
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
        direct_reports,
        "Open reports of conversations, newest first (server administrators)",
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/direct/reports/{room_id}/{reporter_id}",
        resolve_direct_report,
        "An administrator hides the reported message or dismisses the report; either closes it",
        body=(Field("action", required=True, choices=tuple(ACTIONS)),),
        tags=TAGS,
    ),
]
