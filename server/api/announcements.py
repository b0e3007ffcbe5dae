"""Announcement endpoints (docs/api.md, docs/organising.md): publish one announcement to many
rooms, read it with its comments and reach, comment and react from any of its rooms, and a
room's announcements (the newest is pinned)."""

from __future__ import annotations

from typing import Any

from rooms.community.directory import KINDS
from rooms.community.post_attachments import MAX_ATTACHMENTS
from rooms.organising.announcements import (
    MAX_COMMENT,
    MAX_ROOMS,
    MAX_TEXT,
    MAX_TITLE,
    Extras,
    Selection,
)
from rooms.organising.reactions import REACTIONS
from rooms.organising.room_lists import MAX_NAME
from server.api.fields import Field
from server.api.organising import organising_of
from server.api.routing import Call, Route


def selection_of(body: dict[str, Any]) -> Selection:
    return Selection(
        region_code=body["region_code"],
        kinds=tuple(body["kinds"] or ()),
        room_ids=tuple(body["room_ids"] or ()),
    )


async def publish(call: Call) -> dict[str, Any]:
    body = call.body
    selection = selection_of(body)
    extras = Extras(attachment_ids=tuple(body["attachment_ids"] or ()), event_id=body["event_id"])
    return await organising_of(call).announcements.publish(
        call.me, body["title"], body["text"], selection, bool(body["public"]), extras
    )


async def resolve_selection(call: Call) -> dict[str, Any]:
    """The rooms a selection names that one may announce to: the web form uploads an
    announcement's photos to one of them before posting, since a file must belong to a room
    the announcement goes to (docs/organising.md)."""
    selection = selection_of(call.body)
    room_ids = await organising_of(call).announcements.target_rooms(call.me, selection)
    return {"count": len(room_ids), "room_ids": room_ids}


async def get_announcement(call: Call) -> dict[str, Any]:
    return await organising_of(call).announcements.get(call.me, call.path["announcement_id"])


async def comment(call: Call) -> dict[str, Any]:
    return await organising_of(call).announcements.comment(
        call.me, call.path["announcement_id"], call.body["room_id"], call.body["text"]
    )


async def react(call: Call) -> dict[str, Any]:
    body = call.body
    return await organising_of(call).reactions.react(
        call.me, call.path["announcement_id"], body["room_id"], body["emoji"], body["on"]
    )


async def my_room_lists(call: Call) -> dict[str, Any]:
    return {"lists": await organising_of(call).room_lists.mine(call.me)}


async def save_room_list(call: Call) -> dict[str, Any]:
    body = call.body
    return await organising_of(call).room_lists.save(call.me, body["name"], body["room_ids"])


async def delete_room_list(call: Call) -> None:
    await organising_of(call).room_lists.delete(call.me, call.path["list_id"])


async def room_announcements(call: Call) -> dict[str, Any]:
    found = await organising_of(call).announcements.for_room(call.me, call.path["room_id"])
    return {"announcements": found}


SELECTION_FIELDS = (
    Field("region_code", max_length=13, description="rooms in this region or inside it"),
    Field("kinds", kind=list, items=str, max_length=len(KINDS)),
    Field("room_ids", kind=list, items=int, max_length=MAX_ROOMS),
)

ROUTES = [
    Route(
        "POST",
        "/api/announcements/selection",
        resolve_selection,
        "Which rooms a selection by region, kind or list names that one may announce to",
        body=SELECTION_FIELDS,
        tags=("organising",),
    ),
    Route(
        "POST",
        "/api/announcements",
        publish,
        "Post one announcement to many rooms, by region, kind or list (their moderators)",
        status=201,
        body=(
            Field("title", required=True, max_length=MAX_TITLE),
            Field("text", required=True, max_length=MAX_TEXT),
            *SELECTION_FIELDS,
            Field("public", kind=bool, description="shown at /a/<id> to anyone"),
            # One more than allowed passes here, so the domain's clear reason answers it.
            Field(
                "attachment_ids",
                kind=list,
                items=int,
                max_length=MAX_ATTACHMENTS + 1,
                description=f"at most {MAX_ATTACHMENTS} own uploads to chosen rooms, one video",
            ),
            Field("event_id", kind=int, minimum=1, description="an agenda event one can see"),
        ),
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/announcements/{announcement_id}",
        get_announcement,
        "An announcement with its comments from every room (and its reach, for its author)",
        content="none",
        tags=("organising",),
    ),
    Route(
        "POST",
        "/api/announcements/{announcement_id}/comments",
        comment,
        "Comment on an announcement from one of its rooms; every room sees it",
        status=201,
        body=(
            Field("room_id", kind=int, required=True, minimum=1),
            Field("text", required=True, max_length=MAX_COMMENT),
        ),
        tags=("organising",),
    ),
    Route(
        "PUT",
        "/api/announcements/{announcement_id}/reactions",
        react,
        "Set or take back one's reaction to an announcement, from one of its rooms; every room"
        " sees the new counts",
        body=(
            Field("room_id", kind=int, required=True, minimum=1),
            Field("emoji", required=True, max_length=16, description=" ".join(REACTIONS)),
            Field("on", kind=bool, required=True, description="false takes it back"),
        ),
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/room-lists",
        my_room_lists,
        "One's saved lists of rooms to announce to",
        content="none",
        tags=("organising",),
    ),
    Route(
        "POST",
        "/api/room-lists",
        save_room_list,
        "Save a list of rooms one owns or moderates, to announce to again",
        status=201,
        body=(
            Field("name", required=True, max_length=MAX_NAME),
            Field("room_ids", kind=list, items=int, required=True, max_length=MAX_ROOMS),
        ),
        tags=("organising",),
    ),
    Route(
        "DELETE",
        "/api/room-lists/{list_id}",
        delete_room_list,
        "Delete one of one's saved lists",
        status=204,
        content="none",
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/rooms/{room_id}/announcements",
        room_announcements,
        "A room's announcements, newest (the pinned one) first",
        content="none",
        tags=("organising",),
    ),
]
