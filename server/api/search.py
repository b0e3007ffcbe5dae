"""Message search (docs/api.md "Search"): in one room, or across the rooms one is a member of."""

from __future__ import annotations

from typing import Any

from rooms.community.search import PAGE_DEFAULT, PAGE_MAX
from server.api.fields import Field
from server.api.routing import Call, Route


async def search_messages(call: Call) -> dict[str, Any]:
    results, next_before = await call.community.search.messages(
        call.me,
        call.query["q"],
        room_id=call.query["room_id"],
        before=call.query["before"],
        limit=call.query["limit"] or PAGE_DEFAULT,
    )
    return {"results": results, "next_before": next_before}


ROUTES = [
    Route(
        "GET",
        "/api/search",
        search_messages,
        "Messages with every word of `q` (Indonesian affixes ignored), newest first",
        content="none",
        query=(
            # Its length is the domain's rule, answered with a reason the client translates.
            Field("q", required=True, description="the words to find"),
            Field("room_id", kind=int, minimum=1, description="only this room"),
            Field("before", kind=int, minimum=1, description="`next_before` of the last page"),
            Field("limit", kind=int, minimum=1, maximum=PAGE_MAX),
        ),
        tags=("chat",),
    ),
]
