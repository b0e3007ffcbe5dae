"""Saved lists of rooms: an organiser who announces to the same branches again and again saves
them once under a name, and the announcement form ticks a list's rooms (docs/organising.md).

A list holds only rooms its owner may announce to when it is saved (rooms they own or
moderate; administrators: any, never a direct conversation), and is its owner's alone.
Announcing checks the rooms again (rooms/organising/announcements.py target_rooms), so a list
kept after its owner stopped moderating a room cannot reach it. A room deleted leaves every
list (ON DELETE CASCADE).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.direct_pairs import DIRECT
from rooms.community.schema.organising import room_list_rooms, room_lists
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Invalid, NotFound
from rooms.organising.announcement_reach import MODERATING
from rooms.organising.selection import MAX_ROOMS

MAX_NAME = 80
MAX_LISTS = 50  # per member: a picker on a phone, not a database


class RoomLists(CommunityService):
    async def save(self, user: User, name: str, room_ids: list[int]) -> dict[str, Any]:
        name = name.strip()
        if not 0 < len(name) <= MAX_NAME:
            raise Invalid(f"name must be 1-{MAX_NAME} characters", "name", reason="room_list_name")
        chosen = sorted(set(room_ids))
        if not 0 < len(chosen) <= MAX_ROOMS:
            raise Invalid(f"a list has 1-{MAX_ROOMS} rooms", "room_ids", reason="room_list_rooms")
        async with self._db.write() as conn:
            if len(await _allowed(conn, user, chosen)) != len(chosen):
                raise Invalid(
                    "a list holds only rooms you own or moderate",
                    "room_ids",
                    reason="room_list_not_yours",
                )
            held = select(func.count()).where(room_lists.c.owner_id == user.id)
            if (await conn.execute(held)).scalar_one() >= MAX_LISTS:
                raise Invalid(
                    f"at most {MAX_LISTS} lists; delete one first",
                    "name",
                    reason="room_list_too_many",
                )
            list_id = (
                await conn.execute(
                    insert(room_lists)
                    .values(owner_id=user.id, name=name, created_at=self._now())
                    .returning(room_lists.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(room_list_rooms), [{"list_id": list_id, "room_id": r} for r in chosen]
            )
            [saved] = await _render(conn, user.id, list_id)
        return saved

    async def mine(self, user: User) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            return await _render(conn, user.id)

    async def delete(self, user: User, list_id: int) -> None:
        async with self._db.write() as conn:
            gone = await conn.execute(
                delete(room_lists)
                .where(room_lists.c.id == list_id, room_lists.c.owner_id == user.id)
                .returning(room_lists.c.id)
            )
            if gone.first() is None:
                raise NotFound("no such list of yours", "list_id")


async def _allowed(conn: AsyncConnection, user: User, room_ids: list[int]) -> list[int]:
    """Those of the rooms the member may announce to."""
    query = select(rooms.c.id).where(rooms.c.id.in_(room_ids), rooms.c.kind != DIRECT)
    if not user.is_admin:
        query = query.join(memberships, memberships.c.room_id == rooms.c.id).where(
            memberships.c.user_id == user.id, memberships.c.role.in_(MODERATING)
        )
    return list((await conn.execute(query)).scalars())


async def _render(
    conn: AsyncConnection, owner_id: int, list_id: int | None = None
) -> list[dict[str, Any]]:
    """The owner's lists (or one), by name, each with its rooms' ids."""
    query = select(room_lists).where(room_lists.c.owner_id == owner_id)
    if list_id is not None:
        query = query.where(room_lists.c.id == list_id)
    found = (await conn.execute(query.order_by(room_lists.c.name, room_lists.c.id))).all()
    members: dict[int, list[int]] = {row.id: [] for row in found}
    if members:
        for held, room_id in await conn.execute(
            select(room_list_rooms.c.list_id, room_list_rooms.c.room_id)
            .where(room_list_rooms.c.list_id.in_(list(members)))
            .order_by(room_list_rooms.c.room_id)
        ):
            members[held].append(room_id)
    return [
        {
            "id": row.id,
            "name": row.name,
            "room_ids": members[row.id],
            "created_at": utc_iso(row.created_at),
        }
        for row in found
    ]
