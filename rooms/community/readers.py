"""Who read a message, and when (docs/api.md "GET /api/messages/{id}/readers").

A member's read marker (memberships.last_read_message_id) says how far they have read; each move
of it is also kept with its time in read_marks, so a message's readers are the members whose
marker is at or past it, each with the time of the first move that reached it. Members whose
marker passed it before read_marks existed are readers without a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.direct_pairs import DIRECT, blocked_in
from rooms.community.membership import member_message
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import messages, read_marks
from rooms.community.schema.rooms import memberships
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso


async def record_read(
    conn: AsyncConnection, room_id: int, user_id: int, message_id: int, now: int
) -> None:
    """Keep the time of a marker move; the caller has just moved the marker forward, so the
    (room, member, message) key is new."""
    await conn.execute(
        insert(read_marks).values(
            room_id=room_id, user_id=user_id, message_id=message_id, read_at=now
        )
    )


class Readers(CommunityService):
    async def of_message(self, user: User, message_id: int) -> dict[str, Any]:
        """{"readers": [{user, read_at}], "count"}: the room's members other than the author
        who have read the message, earliest first (those without a time last). Members only."""
        async with self._db.read() as conn:
            row, standing = await member_message(conn, message_id, user.id, messages.c.author_id)
            # Across a block in a direct conversation read receipts are not told (chat.py).
            if standing.kind == DIRECT and await blocked_in(conn, row.room_id, user.id):
                return {"readers": [], "count": 0}
            readers = await _readers(conn, row.room_id, row.author_id, message_id)
        return {"readers": readers, "count": len(readers)}


async def _readers(
    conn: AsyncConnection, room_id: int, author_id: int, message_id: int
) -> list[dict[str, Any]]:
    first_read = (
        select(read_marks.c.user_id, func.min(read_marks.c.read_at).label("read_at"))
        .where(read_marks.c.room_id == room_id, read_marks.c.message_id >= message_id)
        .group_by(read_marks.c.user_id)
        .subquery()
    )
    result = await conn.execute(
        select(users, first_read.c.read_at)
        .select_from(
            memberships.join(users, users.c.id == memberships.c.user_id).outerjoin(
                first_read, first_read.c.user_id == memberships.c.user_id
            )
        )
        .where(
            memberships.c.room_id == room_id,
            memberships.c.user_id != author_id,
            memberships.c.last_read_message_id >= message_id,
        )
    )
    rows = sorted(result, key=lambda r: (r.read_at is None, r.read_at or 0, r.display_name))
    return [{"user": user_from_row(r).public(), "read_at": utc_iso(r.read_at)} for r in rows]
