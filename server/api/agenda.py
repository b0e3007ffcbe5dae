"""Agenda endpoints: events, RSVPs and the room's calendar feed."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from rooms.community.agenda import (
    EVENT_KINDS,
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    RESPONSES,
    parse_time,
)
from rooms.community.calendar import build_calendar
from rooms.community.membership import require
from server.api.accounts import CALENDAR_LOOKBACK_MS, base_url, calendar_response
from server.api.fields import Field
from server.api.routing import Call, Route


async def list_events(call: Call) -> dict[str, Any]:
    since = call.query["from"]
    from_ms = parse_time(since, "UTC", "from") if since is not None else None
    events = await call.community.agenda.upcoming(call.me, call.path["room_id"], from_ms)
    return {"events": events}


async def create_event(call: Call) -> dict[str, Any]:
    body = {key: value for key, value in call.body.items() if value is not None}
    return await call.community.agenda.create(call.me, call.path["room_id"], **body)


async def get_event(call: Call) -> dict[str, Any]:
    return await call.community.agenda.get(call.me, call.path["event_id"])


async def set_public(call: Call) -> dict[str, Any]:
    return await call.community.agenda.set_public(
        call.me, call.path["event_id"], call.body["public"]
    )


async def rsvp(call: Call) -> dict[str, Any]:
    return await call.community.agenda.rsvp(call.me, call.path["event_id"], call.body["response"])


async def town_hall_record(call: Call) -> dict[str, Any]:
    return await call.community.townhall.history(call.me, call.path["event_id"])


async def room_calendar(call: Call) -> web.Response:
    room_id = call.path["room_id"]
    community = call.community
    async with community.db.read() as conn:
        standing = await require(conn, room_id, call.me.id, "read")
    since = int(time.time() * 1000) - CALENDAR_LOOKBACK_MS
    rows = await community.agenda.for_rooms([room_id], since)
    return calendar_response(build_calendar(standing.name, rows, base_url(call.request)))


ROUTES = [
    Route(
        "GET",
        "/api/rooms/{room_id}/events",
        list_events,
        "A room's events by start time",
        content="none",
        query=(Field("from", max_length=40, description="ISO 8601; default one day ago"),),
        tags=("agenda",),
    ),
    Route(
        "POST",
        "/api/rooms/{room_id}/events",
        create_event,
        "Schedule an event (moderators)",
        status=201,
        body=(
            Field("title", required=True, max_length=MAX_TITLE),
            Field("kind", required=True, choices=EVENT_KINDS),
            Field("starts_at", required=True, max_length=40),
            Field("ends_at", required=True, max_length=40),
            Field("timezone", max_length=64, description="IANA name; default Asia/Jakarta"),
            Field("description", max_length=MAX_DESCRIPTION),
            Field("location", max_length=MAX_LOCATION),
            Field("public", kind=bool, description="shown at /e/<id> to anyone; default false"),
        ),
        tags=("agenda",),
    ),
    Route(
        "GET", "/api/events/{event_id}", get_event, "One event", content="none", tags=("agenda",)
    ),
    Route(
        "PATCH",
        "/api/events/{event_id}",
        set_public,
        "Show the event at /e/<id> to anyone, or stop (moderators)",
        body=(Field("public", required=True, kind=bool),),
        tags=("agenda",),
    ),
    Route(
        "POST",
        "/api/events/{event_id}/rsvp",
        rsvp,
        "Answer going, maybe or no",
        body=(Field("response", required=True, choices=RESPONSES),),
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/events/{event_id}/record",
        town_hall_record,
        "A town hall's questions and comments, kept after the meeting",
        content="none",
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/rooms/{room_id}/calendar.ics",
        room_calendar,
        "iCalendar feed of a room's events",
        auth="calendar",
        content="none",
        produces="text/calendar",
        tags=("agenda",),
    ),
]
