"""Polls in rooms (docs/api.md "Polls"): create, list, vote, close."""

from __future__ import annotations

from typing import Any

from rooms.community.agenda import parse_time
from rooms.community.polls import MAX_OPTIONS, MAX_QUESTION, PollForm
from server.api.fields import Field
from server.api.routing import Call, Route


async def room_polls(call: Call) -> dict[str, Any]:
    return {"polls": await call.community.polls.in_room(call.me, call.path["room_id"])}


async def create_poll(call: Call) -> dict[str, Any]:
    body = call.body
    form = PollForm(
        question=body["question"],
        options=body["options"],  # each option's length: the domain's rule, with its reason
        closes_at=parse_time(body["closes_at"], "UTC", "closes_at"),
        multiple=bool(body["multiple"]),
        anonymous=bool(body["anonymous"]),
    )
    return await call.community.polls.create(call.me, call.path["room_id"], form)


async def vote_in_poll(call: Call) -> dict[str, Any]:
    return await call.community.polls.vote(call.me, call.path["poll_id"], call.body["choices"])


async def close_poll(call: Call) -> dict[str, Any]:
    return await call.community.polls.close(call.me, call.path["poll_id"])


TAGS = ("polls",)
ROUTES = [
    Route(
        "GET",
        "/api/rooms/{room_id}/polls",
        room_polls,
        "The room's newest polls with their results and one's own choices",
        content="none",
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/polls",
        create_poll,
        "Ask the room a question (members; rate-limited per member)",
        status=201,
        body=(
            Field("question", required=True, max_length=MAX_QUESTION),
            Field("options", kind=list, items=str, required=True, max_length=MAX_OPTIONS),
            Field("multiple", kind=bool, description="several options may be chosen"),
            Field("anonymous", kind=bool, description="nobody is shown who chose what"),
            Field(
                "closes_at", required=True, max_length=40, description="ISO 8601; UTC if no offset"
            ),
        ),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/polls/{poll_id}/vote",
        vote_in_poll,
        "Choose (again): replaces one's earlier choices while the poll is open",
        body=(Field("choices", kind=list, items=int, required=True, max_length=MAX_OPTIONS),),
        tags=TAGS,
    ),
    Route(
        "POST",
        "/api/polls/{poll_id}/close",
        close_poll,
        "Close a poll now (its author or a moderator)",
        content="none",
        tags=TAGS,
    ),
]
