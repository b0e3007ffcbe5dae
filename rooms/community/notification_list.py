"""The in-app notification list (docs/api.md "GET /api/notifications"): what Web Push would
have said, for every browser, the WebViews without the Push API included: messages that mention
the member by name ("@Siti") in their rooms, and their rooms' events starting soon that they
have not declined, and announcements posted to their rooms (rooms/organising/announcements.py)
by others. Computed when asked, from the messages and the agenda: nothing is written
per member when a message is posted, so a room of a thousand costs nothing more to write in.
Unread messages are the room list's own counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.agenda import render_events
from rooms.community.message_views import render
from rooms.community.schema.agenda import events, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.organising import announcement_rooms
from rooms.community.schema.rooms import memberships
from rooms.community.search import rooms_as_seen
from rooms.community.service import CommunityService

MENTIONS_MAX = 30
MENTION_DAYS = 30
ANNOUNCEMENTS_MAX = 30  # of the last MENTION_DAYS too
EVENTS_AHEAD_MS = 24 * 3_600_000  # events starting within a day
EVENTS_BEHIND_MS = 3_600_000  # and those that started within the hour


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class NotificationList(CommunityService):
    async def of(self, user: User) -> dict[str, Any]:
        """{"mentions": [{room, message}] newest first, "announcements": [{room, message}]
        newest first, "events": [Event] soonest first}."""
        now = self._now()
        since = now - MENTION_DAYS * 86_400_000
        async with self._db.read() as conn:
            mentions = await _mentions(conn, user, since)
            posted = await _announcements(conn, user.id, since)
            soon = await _events_soon(conn, user.id, now)
        return {"mentions": mentions, "announcements": posted, "events": soon}


async def _announcements(conn: AsyncConnection, user_id: int, since: int) -> list[dict[str, Any]]:
    """Each room's post of an announcement, in the member's rooms, by someone else."""
    mine = select(memberships.c.room_id).where(memberships.c.user_id == user_id)
    ids = list(
        (
            await conn.execute(
                select(messages.c.id)
                .join(announcement_rooms, announcement_rooms.c.message_id == messages.c.id)
                .where(
                    announcement_rooms.c.room_id.in_(mine),
                    messages.c.author_id != user_id,
                    messages.c.deleted.is_(False),
                    messages.c.created_at >= since,
                )
                .order_by(messages.c.id.desc())
                .limit(ANNOUNCEMENTS_MAX)
            )
        ).scalars()
    )
    return await _in_rooms(conn, user_id, await render(conn, ids))


async def _in_rooms(
    conn: AsyncConnection, user_id: int, page: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    named = await rooms_as_seen(conn, user_id, {m["room_id"] for m in page})
    return [{"room": named[m["room_id"]], "message": m} for m in page]


async def _mentions(conn: AsyncConnection, user: User, since: int) -> list[dict[str, Any]]:
    if not user.display_name:
        return []
    mine = select(memberships.c.room_id).where(memberships.c.user_id == user.id)
    pattern = f"%@{_like_escaped(user.display_name.lower())}%"
    ids = list(
        (
            await conn.execute(
                select(messages.c.id)
                .where(
                    messages.c.room_id.in_(mine),
                    messages.c.author_id != user.id,
                    messages.c.deleted.is_(False),
                    messages.c.created_at >= since,
                    func.lower(messages.c.text).like(pattern, escape="\\"),
                )
                .order_by(messages.c.id.desc())
                .limit(MENTIONS_MAX)
            )
        ).scalars()
    )
    return await _in_rooms(conn, user.id, await render(conn, ids))


async def _events_soon(conn: AsyncConnection, user_id: int, now: int) -> list[dict[str, Any]]:
    declined = (
        select(rsvps.c.event_id)
        .where(rsvps.c.user_id == user_id, rsvps.c.response == "no")
        .scalar_subquery()
    )
    ids = list(
        (
            await conn.execute(
                select(events.c.id)
                .where(
                    events.c.room_id.in_(
                        select(memberships.c.room_id).where(memberships.c.user_id == user_id)
                    ),
                    events.c.starts_at <= now + EVENTS_AHEAD_MS,
                    events.c.starts_at >= now - EVENTS_BEHIND_MS,
                    events.c.id.not_in(declined),
                )
                .order_by(events.c.starts_at)
            )
        ).scalars()
    )
    return await render_events(conn, ids, user_id)
