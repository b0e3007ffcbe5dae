"""An announcement's reach (docs/organising.md): in each room, how many members it was delivered
to (the post is stored in their room) and how many have read it (their read receipt there is
at or past the post). Its author and administrators see every room; a room's owners and
moderators see the rooms of it they run, which is what they answer for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.permissions import RANK
from rooms.community.schema.organising import announcement_rooms
from rooms.community.schema.rooms import memberships, rooms
from rooms.organising.reactions import member_rooms

MODERATING = [role for role, rank in RANK.items() if rank >= RANK["moderator"]]


async def moderated_rooms(conn: AsyncConnection, announcement_id: int, user_id: int) -> list[int]:
    """The announcement's rooms that this member owns or moderates."""
    return await member_rooms(conn, announcement_id, user_id, roles=MODERATING)


async def reach(
    conn: AsyncConnection, announcement_id: int, only_rooms: Sequence[int] | None = None
) -> dict[str, Any]:
    """Totals and per-room figures, over all its rooms or over `only_rooms` among them."""
    read = case((memberships.c.last_read_message_id >= announcement_rooms.c.message_id, 1), else_=0)
    query = (
        select(
            announcement_rooms.c.room_id,
            rooms.c.name,
            func.count(memberships.c.user_id).label("recipients"),
            func.coalesce(func.sum(read), 0).label("read"),
        )
        .select_from(announcement_rooms)
        .join(rooms, rooms.c.id == announcement_rooms.c.room_id)
        .outerjoin(memberships, memberships.c.room_id == announcement_rooms.c.room_id)
        .where(announcement_rooms.c.announcement_id == announcement_id)
        .group_by(announcement_rooms.c.room_id, rooms.c.name)
        .order_by(announcement_rooms.c.room_id)
    )
    if only_rooms is not None:
        query = query.where(announcement_rooms.c.room_id.in_(only_rooms))
    rows = (await conn.execute(query)).all()
    return {
        "rooms": len(rows),
        "recipients": sum(int(row.recipients) for row in rows),
        "read": sum(int(row.read) for row in rows),
        "per_room": [
            {
                "room_id": row.room_id,
                "room_name": row.name,
                "recipients": int(row.recipients),
                "read": int(row.read),
            }
            for row in rows
        ],
    }


async def reach_for(
    conn: AsyncConnection, announcement_id: int, user_id: int, is_author: bool
) -> dict[str, Any] | None:
    """The reach this reader may see: all of it for the author (or an administrator), their
    own rooms' for a moderator of some of its rooms, None for anyone else."""
    if is_author:
        return await reach(conn, announcement_id)
    mine = await moderated_rooms(conn, announcement_id, user_id)
    return await reach(conn, announcement_id, mine) if mine else None
