"""Room (kamar) endpoints: list, create, join, invite, members, the room's meeting."""

from __future__ import annotations

import time
from typing import Any

from rooms.community.agenda import event_meeting_room, meeting_owner, meeting_room_name
from rooms.community.direct_pairs import DIRECT, check_may_send, peers
from rooms.community.directory import KINDS, MAX_DESCRIPTION, MAX_NAME, VISIBILITIES
from rooms.community.membership import require
from rooms.community.timefmt import zoned_iso
from rooms.errors import Conflict, NotFound
from rooms.meeting import grants
from rooms.meeting.stage import MeetingRole
from server.api.fields import Field
from server.api.limits import client_address
from server.api.organising import device_of, organising_of
from server.api.routing import Call, Route, secret_of


async def list_rooms(call: Call) -> dict[str, Any]:
    directory = call.community.directory
    if call.query["discover"]:
        return {"rooms": await directory.discover(call.me)}
    return {"rooms": await directory.list_mine(call.me)}


async def create_room(call: Call) -> dict[str, Any]:
    body = call.body
    return await call.community.directory.create(
        call.me,
        name=body["name"],
        kind=body["kind"],
        description=body["description"] or "",
        visibility=body["visibility"] or "invite",
        region_code=body["region_code"] or "",
        rt_rw=body["rt_rw"] or "",
    )


async def get_room(call: Call) -> dict[str, Any]:
    return await call.community.directory.get(call.me, call.path["room_id"])


async def edit_room(call: Call) -> dict[str, Any]:
    body = call.body
    return await call.community.directory.edit(
        call.me,
        call.path["room_id"],
        body["name"],
        body["description"],
        body["visibility"],
        body["region_code"],
        body["rt_rw"],
    )


async def join_room(call: Call) -> dict[str, Any]:
    return await call.community.directory.join_public(call.me, call.path["room_id"])


async def create_invite(call: Call) -> dict[str, Any]:
    return await call.community.directory.create_invite(
        call.me, call.path["room_id"], call.body["max_uses"], call.body["expires_in_hours"]
    )


async def accept_invite(call: Call) -> dict[str, Any]:
    code = call.request.match_info["code"]
    room = await call.community.directory.accept_invite(call.me, code)
    # A person who registered to accept this invitation was recruited by its maker.
    await organising_of(call).recruitment.record_room_invite(
        call.me, code, client_address(call.request), device_of(call.request)
    )
    return room


async def set_role(call: Call) -> dict[str, Any]:
    return await call.community.directory.set_role(
        call.me, call.path["room_id"], call.path["user_id"], call.body["role"]
    )


async def remove_member(call: Call) -> None:
    await call.community.directory.remove(call.me, call.path["room_id"], call.path["user_id"])


def meeting_role(room_role: str, town_hall: bool, organiser: bool) -> MeetingRole:
    """Room owners and moderators moderate every meeting of their room, and so does whoever
    scheduled a town hall; in a town hall the other members are its audience, in the room's
    everyday meeting everyone speaks."""
    if room_role in ("owner", "moderator") or organiser:
        return "moderator"
    return "audience" if town_hall else "speaker"


def _join(
    call: Call, meeting: str, role: MeetingRole, title: str, back: str, event_id: int | None = None
) -> dict[str, Any]:
    """The token, the `title` the meeting page shows instead of the internal meeting name, and
    `back`: the community app's address the page leads back to, so that the meeting page
    never needs to know how meetings are named or how the app's addresses look."""
    grant = grants.JoinGrant(
        meeting=meeting,
        identity=f"user-{call.me.id}",
        name=call.me.display_name,
        can_publish=role != "audience",
        role=role,
        event_id=event_id,
    )
    token = grants.mint(grant, secret_of(call.request.app), int(time.time()), grants.MEMBER_TTL)
    url = f"/r/{meeting}"
    return {"token": token, "room": meeting, "url": url, "role": role, "title": title, "back": back}


async def meeting_token(call: Call) -> dict[str, Any]:
    return await room_meeting(call, call.path["room_id"])


async def room_meeting(call: Call, room_id: int) -> dict[str, Any]:
    """A join token for the room's everyday meeting, derived from membership."""
    async with call.community.db.read() as conn:
        standing = await require(conn, room_id, call.me.id, "join_meeting")
        title = standing.name
        if standing.kind == DIRECT:  # a call between two members: not across a block
            await check_may_send(conn, room_id, call.me.id)
            title = (await peers(conn, call.me.id, [room_id]))[room_id]["display_name"]
    assert standing.role is not None
    role = meeting_role(standing.role, town_hall=False, organiser=False)
    return _join(call, meeting_room_name(room_id), role, title, f"/#/rooms/{room_id}/chat")


async def event_meeting_token(call: Call) -> dict[str, Any]:
    return await event_meeting(call, call.path["event_id"])


async def event_meeting(call: Call, event_id: int) -> dict[str, Any]:
    """A join token for an event's meeting: a town hall's own, or the room's."""
    row, room_role = await call.community.agenda.meeting_access(call.me, event_id)
    meeting = event_meeting_room(row.kind, row.room_id, row.id)
    if meeting is None:
        raise Conflict("an offline event has no meeting", "event_id", reason="offline_event")
    town_hall = row.kind == "town_hall"
    role = meeting_role(room_role, town_hall, organiser=row.created_by == call.me.id)
    if town_hall and role != "moderator":
        check_town_hall_open(row.starts_at, row.ends_at, row.timezone, int(time.time() * 1000))
    back = f"/#/rooms/{row.room_id}/{'agenda' if town_hall else 'chat'}"
    return _join(call, meeting, role, row.title, back, row.id if town_hall else None)


async def named_meeting_token(call: Call) -> dict[str, Any]:
    """A join token by the meeting's own name (a link /r/NAME shared without a token): the
    community room's or the town hall's meeting that name was made for."""
    name = call.request.match_info["meeting"]
    owner = meeting_owner(name)
    if owner is None:
        raise NotFound(
            "this meeting belongs to no community room; join with its link's token",
            "meeting",
            reason="not_a_community_meeting",
        )
    room_id, event_id = owner
    answer = await (
        room_meeting(call, room_id) if event_id is None else event_meeting(call, event_id)
    )
    if answer["room"] != name:  # an event of another room, or not a town hall
        raise NotFound("no such meeting", "meeting")
    return answer


TOWN_HALL_OPENS_EARLY_MS = 30 * 60_000  # the audience may come in half an hour before
TOWN_HALL_STAYS_OPEN_MS = 2 * 3_600_000  # and stay until two hours after the planned end


def check_town_hall_open(starts_at: int, ends_at: int, zone: str, now: int) -> None:
    """A town hall opens to its audience at its time; moderators prepare it whenever."""
    if now < starts_at - TOWN_HALL_OPENS_EARLY_MS:
        opens_at = starts_at - TOWN_HALL_OPENS_EARLY_MS
        # Retry-After says when, so the member reads "opens in 25 minutes" in their language.
        raise Conflict(
            f"this town hall opens at {zoned_iso(opens_at, zone)}",
            "event_id",
            (opens_at - now) / 1000,
            reason="town_hall_not_open",
        )
    if now > ends_at + TOWN_HALL_STAYS_OPEN_MS:
        raise Conflict("this town hall is over", "event_id", reason="town_hall_over")


PLACE_FIELDS = (
    Field("region_code", max_length=13, description="Kemendagri code, e.g. 32.73.01.1001"),
    Field("rt_rw", max_length=20, description="RT/RW in a village, e.g. 005/002"),
)

ROUTES = [
    Route(
        "GET",
        "/api/rooms",
        list_rooms,
        "One's rooms, newest activity first (or public rooms to discover)",
        content="none",
        query=(Field("discover", kind=bool),),
        tags=("rooms",),
    ),
    Route(
        "POST",
        "/api/rooms",
        create_room,
        "Create a room; the creator owns it",
        status=201,
        body=(
            Field("name", required=True, max_length=MAX_NAME),
            Field("kind", required=True, choices=KINDS),
            Field("description", max_length=MAX_DESCRIPTION),
            Field("visibility", choices=VISIBILITIES),
            *PLACE_FIELDS,
        ),
        tags=("rooms",),
    ),
    Route(
        "GET",
        "/api/rooms/{room_id}",
        get_room,
        "A room with its members",
        content="none",
        tags=("rooms",),
    ),
    Route(
        "PATCH",
        "/api/rooms/{room_id}",
        edit_room,
        "Rename a room, or change its description, visibility or place (moderators)",
        body=(
            Field("name", max_length=MAX_NAME),
            Field("description", max_length=MAX_DESCRIPTION),
            Field("visibility", choices=VISIBILITIES),
            *PLACE_FIELDS,
        ),
        tags=("rooms",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/join",
        join_room,
        "Join a public room",
        content="none",
        tags=("rooms",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/invites",
        create_invite,
        "Make an invitation code (moderators)",
        status=201,
        body=(
            Field("max_uses", kind=int, minimum=1, maximum=10_000),
            Field("expires_in_hours", kind=int, minimum=1, maximum=24 * 365),
        ),
        tags=("rooms",),
    ),
    Route(
        "POST",
        "/api/invites/{code}/accept",
        accept_invite,
        "Join a room through an invitation",
        content="none",
        tags=("rooms",),
    ),
    Route(
        "PATCH",
        "/api/rooms/{room_id}/members/{user_id}",
        set_role,
        "Change a member's role (owner)",
        body=(Field("role", required=True, choices=("owner", "moderator", "member")),),
        tags=("rooms",),
    ),
    Route(
        "DELETE",
        "/api/rooms/{room_id}/members/{user_id}",
        remove_member,
        "Leave a room, or remove a member (moderators)",
        status=204,
        content="none",
        tags=("rooms",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/meeting",
        meeting_token,
        "A join token for the room's meeting",
        content="none",
        tags=("meetings",),
    ),
    Route(
        "POST",
        "/api/events/{event_id}/meeting",
        event_meeting_token,
        "A join token for an event's meeting (a town hall's own)",
        content="none",
        tags=("meetings",),
    ),
    Route(
        "POST",
        "/api/meetings/{meeting}/token",
        named_meeting_token,
        "A join token for a community meeting by its name (the meeting page's link)",
        content="none",
        tags=("meetings",),
    ),
]
