"""iCalendar (RFC 5545) feeds of agenda events, for phones' calendar apps. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from rooms.community.agenda import event_meeting_room

PRODUCT_ID = "-//Kamar//Agenda//ID"


def _at(ms: int, zone: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(zone))


def build_calendar(name: str, rows: Iterable[Any], base_url: str) -> bytes:
    """One VCALENDAR with a VEVENT per event row; meetings carry the link to join."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for row in rows:
        event = Event()
        event.add("uid", f"event-{row.id}@kamar")
        event.add("dtstamp", datetime.fromtimestamp(row.created_at / 1000, tz=UTC))
        event.add("dtstart", _at(row.starts_at, row.timezone))
        event.add("dtend", _at(row.ends_at, row.timezone))
        event.add("summary", row.title)
        if row.description:
            event.add("description", row.description)
        if row.location:
            event.add("location", row.location)
        meeting = event_meeting_room(row.kind, row.room_id, row.id)
        if meeting is not None:
            event.add("url", f"{base_url}/r/{meeting}")
        event.add("categories", [row.kind])
        calendar.add_component(event)
    calendar.add_missing_timezones()  # RFC 5545 3.2.19: a VTIMEZONE for every TZID used
    text: bytes = calendar.to_ical()
    return text
