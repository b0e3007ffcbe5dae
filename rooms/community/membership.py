"""Membership look-ups shared by chat, agenda and the room directory.

`require` is the one door every room-scoped operation goes through: it answers "not found"
for invite-only rooms the caller is not in (their existence is private) and "forbidden" when
the caller is in the room but their role does not allow the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.permissions import may
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import memberships, rooms
from rooms.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Access:
    room_id: int
    role: str | None  # None: signed in, not a member (public rooms only)
    visibility: str
    name: str
    kind: str = ""  # "direct" for a one-to-one conversation (rooms/community/direct.py)


async def access(conn: AsyncConnection, room_id: int, user_id: int) -> Access:
    """The caller's standing in a room they may at least see, or NotFound."""
    row = (
        await conn.execute(
            select(rooms.c.visibility, rooms.c.name, rooms.c.kind, memberships.c.role)
            .select_from(
                rooms.outerjoin(
                    memberships,
                    (memberships.c.room_id == rooms.c.id) & (memberships.c.user_id == user_id),
                )
            )
            .where(rooms.c.id == room_id)
        )
    ).one_or_none()
    if row is None or (row.role is None and row.visibility != "public"):
        raise NotFound("no such room", "room_id", reason="room_not_found")
    return Access(
        room_id=room_id, role=row.role, visibility=row.visibility, name=row.name, kind=row.kind
    )


async def require(conn: AsyncConnection, room_id: int, user_id: int, action: str) -> Access:
    standing = await access(conn, room_id, user_id)
    if not may(standing.role, action):
        if standing.role is None:
            raise Forbidden("join this room first", reason="join_room_first")
        raise Forbidden(f"your role ({standing.role}) does not allow this", reason="role_forbidden")
    return standing


async def member_message(
    conn: AsyncConnection, message_id: int, user_id: int, *columns: Any
) -> tuple[Any, Access]:
    """A message's `columns` (its room_id always first) and the caller's access to its room,
    for actions on one message that only its room's members may take (forward, who read)."""
    row = (
        await conn.execute(select(messages.c.room_id, *columns).where(messages.c.id == message_id))
    ).one_or_none()
    if row is None:
        raise NotFound("no such message", "message_id", reason="message_not_found")
    standing = await require(conn, row.room_id, user_id, "read")
    if standing.role is None:
        raise Forbidden("join this room first", reason="join_room_first")
    return row, standing


async def member_ids(conn: AsyncConnection, room_id: int) -> list[int]:
    result = await conn.execute(
        select(memberships.c.user_id).where(memberships.c.room_id == room_id)
    )
    return list(result.scalars())


async def room_ids_of(conn: AsyncConnection, user_id: int) -> list[int]:
    result = await conn.execute(
        select(memberships.c.room_id).where(memberships.c.user_id == user_id)
    )
    return list(result.scalars())


async def account_and_room_ids(conn: AsyncConnection, user_id: int) -> tuple[User, list[int]]:
    """An account and the rooms it is in, on one connection (a feed socket's `auth`), or
    NotFound."""
    # One statement, not two: in a reconnect storm every round trip to the database waits its
    # turn on a busy event loop.
    query = (
        select(users, memberships.c.room_id)
        .select_from(users.outerjoin(memberships, memberships.c.user_id == users.c.id))
        .where(users.c.id == user_id, users.c.erased_at.is_(None))
    )
    rows = (await conn.execute(query)).all()
    if not rows:
        raise NotFound("no such account", "user_id")
    return user_from_row(rows[0]), [row.room_id for row in rows if row.room_id is not None]
