"""Read markers and unread counts.

A member's read marker (memberships.last_read_message_id) is the highest message id they have
seen in a room: message ids increase, so everything at or below it is read. It only moves
forward; each move is also kept with its time (rooms/community/readers.py `record_read`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.readers import record_read
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import memberships


async def advance_read(
    conn: AsyncConnection, room_id: int, user_id: int, message_id: int, now: int
) -> bool:
    """Move the member's marker to `message_id` if that is forward; whether it moved."""
    result = await conn.execute(
        update(memberships)
        .where(
            memberships.c.room_id == room_id,
            memberships.c.user_id == user_id,
            memberships.c.last_read_message_id < message_id,
        )
        .values(last_read_message_id=message_id)
    )
    if not result.rowcount:
        return False
    await record_read(conn, room_id, user_id, message_id, now)
    return True


async def unread_count(conn: AsyncConnection, room_id: int, user_id: int) -> int:
    """Others' messages after the member's read marker, deleted ones excluded."""
    marker = (
        select(memberships.c.last_read_message_id)
        .where(memberships.c.room_id == room_id, memberships.c.user_id == user_id)
        .scalar_subquery()
    )
    result = await conn.execute(
        select(func.count()).where(
            messages.c.room_id == room_id,
            messages.c.id > func.coalesce(marker, 0),
            messages.c.author_id != user_id,
            messages.c.deleted.is_(False),
        )
    )
    return int(result.scalar_one())


async def latest_message_ids(conn: AsyncConnection, room_ids: Sequence[int]) -> dict[int, int]:
    """{room id: its newest message's id} for the rooms that have a message."""
    if not room_ids:
        return {}
    result = await conn.execute(
        select(messages.c.room_id, func.max(messages.c.id))
        .where(messages.c.room_id.in_(room_ids))
        .group_by(messages.c.room_id)
    )
    return {room_id: newest for room_id, newest in result}
