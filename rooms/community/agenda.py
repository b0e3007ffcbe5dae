"""A room's agenda: events (meeting, town hall, offline action), RSVPs and reminders.

Times are stored as UTC milliseconds plus the IANA zone the organiser meant (default
Asia/Jakarta, WIB), and shown in that zone. Reminders go out once per event, a fixed lead
before it starts, from a periodic sweep (`send_reminders`) that every node runs; the `reminded`
flag is claimed in one statement and committed before the announcement, so neither a restart
nor a second node repeats one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.events import EventReminder
from rooms.community.membership import require
from rooms.community.schema.agenda import events, rsvps
from rooms.community.service import CommunityService
from rooms.community.timefmt import check_in_range, zoned_iso
from rooms.errors import Invalid, NotFound

EVENT_KINDS = ("meeting", "town_hall", "offline")
RESPONSES = ("going", "maybe", "no")
DEFAULT_TIMEZONE = "Asia/Jakarta"
MAX_TITLE, MAX_DESCRIPTION, MAX_LOCATION = 200, 4000, 200
MAX_DURATION_MS = 7 * 24 * 3_600_000
REMINDER_LEAD_MS = 15 * 60_000
DEFAULT_LOOKBACK_MS = 24 * 3_600_000


def meeting_room_name(room_id: int, event_id: int | None = None) -> str:
    """The meeting (SFU room) of a community room; a town hall has a meeting of its own, so
    the room's everyday meeting goes on beside it."""
    if event_id is None:
        return f"kamar-{room_id}"
    return f"kamar-{room_id}-e{event_id}"


_MEETING_NAME = re.compile(r"kamar-([0-9]{1,15})(?:-e([0-9]{1,15}))?")


def meeting_owner(meeting: str) -> tuple[int, int | None] | None:
    """The community room (and town hall event) a meeting's name was made for by
    meeting_room_name, None for a meeting of no community room (a guest meeting)."""
    match = _MEETING_NAME.fullmatch(meeting)
    if match is None:
        return None
    event = match.group(2)
    return int(match.group(1)), None if event is None else int(event)


def event_meeting_room(kind: str, room_id: int, event_id: int) -> str | None:
    if kind == "town_hall":
        return meeting_room_name(room_id, event_id)
    return meeting_room_name(room_id) if kind == "meeting" else None


def parse_time(text: str, zone: str, field: str) -> int:
    """ISO 8601 to UTC milliseconds; a time without an offset is read in `zone`. Pure."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            f"{field} must be an ISO 8601 time like 2026-12-01T19:00", field, reason="time_format"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        ms = int(moment.timestamp() * 1000)
    except (OverflowError, ValueError) as exc:  # the zone's offset leaves year 1..9999
        raise Invalid(
            f"{field} must be between the years 1 and 9999", field, reason="time_range"
        ) from exc
    return check_in_range(ms, field)


def check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Asia" is a directory
        raise Invalid(
            f"unknown time zone {zone!r}; use a name like Asia/Jakarta",
            "timezone",
            reason="timezone_unknown",
        ) from exc
    return zone


def check_event(
    title: str,
    kind: str,
    starts_at: str,
    ends_at: str,
    timezone: str = DEFAULT_TIMEZONE,
    description: str = "",
    location: str = "",
    public: bool = False,
) -> dict[str, Any]:
    """The columns of a new event, or Invalid naming the field. Pure."""
    title = title.strip()
    if not 0 < len(title) <= MAX_TITLE:
        raise Invalid(f"title must be 1-{MAX_TITLE} characters", "title", reason="title_length")
    if kind not in EVENT_KINDS:
        raise Invalid(f"kind must be one of {', '.join(EVENT_KINDS)}", "kind")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"description is at most {MAX_DESCRIPTION} characters",
            "description",
            reason="description_length",
        )
    if len(location) > MAX_LOCATION:
        raise Invalid(
            f"location is at most {MAX_LOCATION} characters", "location", reason="location_length"
        )
    zone = check_zone(timezone)
    start = parse_time(starts_at, zone, "starts_at")
    end = parse_time(ends_at, zone, "ends_at")
    if end <= start:
        raise Invalid("ends_at must be after starts_at", "ends_at", reason="ends_before_start")
    if end - start > MAX_DURATION_MS:
        raise Invalid("an event lasts at most 7 days", "ends_at", reason="event_too_long")
    return {
        "title": title,
        "kind": kind,
        "description": description,
        "location": location.strip(),
        "timezone": zone,
        "starts_at": start,
        "ends_at": end,
        "public": check_public(public),
    }


def check_public(public: object) -> bool:
    """Only a real true or false: "false" as text must not publish an event. Pure."""
    if not isinstance(public, bool):
        raise Invalid("public must be true or false", "public", reason="public_not_boolean")
    return public


def event_json(row: Any, counts: dict[str, int], mine: str | None) -> dict[str, Any]:
    meeting = event_meeting_room(row.kind, row.room_id, row.id)
    return {
        "id": row.id,
        "room_id": row.room_id,
        "title": row.title,
        "description": row.description,
        "kind": row.kind,
        "starts_at": zoned_iso(row.starts_at, row.timezone),
        "ends_at": zoned_iso(row.ends_at, row.timezone),
        "timezone": row.timezone,
        "location": row.location,
        "rsvp": {response: counts.get(response, 0) for response in RESPONSES},
        "my_rsvp": mine,
        "meeting_url": f"/r/{meeting}" if meeting else None,
        "created_by": row.created_by,
        "public": bool(row.public),
    }


class Agenda(CommunityService):
    def __init__(self, db: Database, bus: Bus, clock: Callable[[], float]) -> None:
        super().__init__(db, bus, clock)
        # Told of each reminder once, by the node whose sweep claimed it (server/push.py).
        self.on_reminder: list[Callable[[EventReminder], None]] = []

    async def create(self, user: User, room_id: int, **fields: Any) -> dict[str, Any]:
        columns = check_event(**fields)
        async with self._db.write() as conn:
            await require(conn, room_id, user.id, "schedule_event")
            event_id = (
                await conn.execute(
                    insert(events)
                    .values(**columns, room_id=room_id, created_by=user.id, created_at=self._now())
                    .returning(events.c.id)
                )
            ).scalar_one()
            [event] = await render_events(conn, [event_id], user.id)
        self._announce("agenda_event", room_id, event)
        return event

    async def set_public(self, user: User, event_id: int, public: bool) -> dict[str, Any]:
        """Show the event at /e/<id> to anyone, or stop: whoever may schedule in its room."""
        shown = check_public(public)
        async with self._db.write() as conn:
            room_id = await self._room_of(conn, event_id, user.id, "schedule_event")
            await conn.execute(update(events).where(events.c.id == event_id).values(public=shown))
            [event] = await render_events(conn, [event_id], user.id)
        self._announce("agenda_event", room_id, event)
        return event

    async def public_view(self, event_id: int) -> dict[str, Any]:
        """What /e/<id> shows: only a public event, and only its title, description, kind,
        times, place and RSVP counts (no room, no members, no meeting link)."""
        async with self._db.read() as conn:
            row = (await conn.execute(select(events).where(events.c.id == event_id))).one_or_none()
            if row is None or not row.public:  # the same answer: a private one is not told apart
                raise NotFound("no such event", "event_id", reason="event_not_found")
            [event] = await render_events(conn, [event_id], None)
        shown = ("id", "title", "description", "kind", "starts_at", "ends_at", "location", "rsvp")
        return {key: event[key] for key in shown}

    async def upcoming(
        self, user: User, room_id: int, from_ms: int | None = None
    ) -> list[dict[str, Any]]:
        since = self._now() - DEFAULT_LOOKBACK_MS if from_ms is None else from_ms
        async with self._db.read() as conn:
            await require(conn, room_id, user.id, "read")
            ids = (
                await conn.execute(
                    select(events.c.id)
                    .where(events.c.room_id == room_id, events.c.ends_at >= since)
                    .order_by(events.c.starts_at, events.c.id)
                )
            ).scalars()
            return await render_events(conn, list(ids), user.id)

    async def get(self, user: User, event_id: int) -> dict[str, Any]:
        async with self._db.read() as conn:
            await self._room_of(conn, event_id, user.id)
            [event] = await render_events(conn, [event_id], user.id)
        return event

    async def meeting_access(self, user: User, event_id: int) -> tuple[Any, str]:
        """The event row and the caller's room role, for a join token to its meeting."""
        async with self._db.read() as conn:
            row = (await conn.execute(select(events).where(events.c.id == event_id))).one_or_none()
            if row is None:
                raise NotFound("no such event", "event_id", reason="event_not_found")
            standing = await require(conn, row.room_id, user.id, "join_meeting")
        assert standing.role is not None
        return row, standing.role

    async def rsvp(self, user: User, event_id: int, response: str) -> dict[str, Any]:
        if response not in RESPONSES:
            raise Invalid(f"response must be one of {', '.join(RESPONSES)}", "response")
        async with self._db.write() as conn:
            room_id = await self._room_of(conn, event_id, user.id, "rsvp")
            # One statement, so two first answers at once cannot both insert (a unique-key
            # error on PostgreSQL); both dialects spell upsert the same way.
            dialect_insert = sqlite_insert if self._db.is_sqlite else postgres_insert
            upsert = dialect_insert(rsvps).values(
                event_id=event_id, user_id=user.id, response=response, updated_at=self._now()
            )
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[rsvps.c.event_id, rsvps.c.user_id],
                    set_={"response": response, "updated_at": self._now()},
                )
            )
            [event] = await render_events(conn, [event_id], user.id)
        self._announce("rsvp_changed", room_id, event)
        return event

    async def send_reminders(self, lead_ms: int = REMINDER_LEAD_MS) -> int:
        """Announce every event starting within `lead_ms` that has not been announced yet.

        Every node runs this sweep. The claim is one statement, so two nodes sweeping at once
        split the due events between them instead of both announcing them: on PostgreSQL the
        second UPDATE waits for the first's row locks and re-checks `reminded` (READ
        COMMITTED), on SQLite writers take the database one at a time. RETURNING needs SQLite
        3.35 or newer (Debian 12 has 3.40)."""
        now = self._now()
        async with self._db.write() as conn:
            claimed = await conn.execute(
                update(events)
                .where(
                    events.c.reminded.is_(False),
                    events.c.starts_at <= now + lead_ms,
                    events.c.starts_at > now - lead_ms,
                )
                .values(reminded=True)
                .returning(events.c.id)
            )
            ids = sorted(claimed.scalars())
            if not ids:
                return 0
            due = await render_events(conn, ids, None)
        for event in due:
            starts = datetime.fromisoformat(event["starts_at"]).timestamp() * 1000
            minutes = max(0, round((starts - now) / 60_000))
            reminder: EventReminder = {
                "type": "event_reminder",
                "room_id": event["room_id"],
                "event": event,
                "minutes": minutes,
            }
            self._bus.publish(room_topic(event["room_id"]), reminder)
            for listener in self.on_reminder:
                listener(reminder)
        return len(due)

    async def for_rooms(self, room_ids: Sequence[int], since_ms: int) -> list[Any]:
        """Event rows of several rooms (calendar feeds), by start."""
        if not room_ids:
            return []
        async with self._db.read() as conn:
            result = await conn.execute(
                select(events)
                .where(events.c.room_id.in_(room_ids), events.c.ends_at >= since_ms)
                .order_by(events.c.starts_at)
            )
            return list(result)

    def _announce(
        self, kind: Literal["agenda_event", "rsvp_changed"], room_id: int, event: dict[str, Any]
    ) -> None:
        # Broadcasts go to every member: `my_rsvp` is each reader's own, so it is left out.
        shared = {**event, "my_rsvp": None}
        self._bus.publish(room_topic(room_id), {"type": kind, "room_id": room_id, "event": shared})

    async def _room_of(
        self, conn: AsyncConnection, event_id: int, user_id: int, action: str = "read"
    ) -> int:
        room_id = (
            await conn.execute(select(events.c.room_id).where(events.c.id == event_id))
        ).scalar_one_or_none()
        if room_id is None:
            raise NotFound("no such event", "event_id", reason="event_not_found")
        await require(conn, room_id, user_id, action)
        return int(room_id)


async def render_events(
    conn: AsyncConnection, ids: list[int], user_id: int | None
) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = {row.id: row for row in await conn.execute(select(events).where(events.c.id.in_(ids)))}
    counts: dict[int, dict[str, int]] = {}
    for event_id, response, count in await conn.execute(
        select(rsvps.c.event_id, rsvps.c.response, func.count())
        .where(rsvps.c.event_id.in_(ids))
        .group_by(rsvps.c.event_id, rsvps.c.response)
    ):
        counts.setdefault(event_id, {})[response] = count
    mine: dict[int, str] = {}
    if user_id is not None:
        mine = dict(
            (
                await conn.execute(
                    select(rsvps.c.event_id, rsvps.c.response).where(
                        rsvps.c.event_id.in_(ids), rsvps.c.user_id == user_id
                    )
                )
            ).all()
        )
    return [event_json(rows[i], counts.get(i, {}), mine.get(i)) for i in ids]
