"""Look-ups about direct conversations shared by the chat, the room directory, the feed and
the direct-message service: who the other member is, and whether a block stands between two
members. A direct conversation is a room of kind "direct" (its table direct_chats is in
rooms/community/schema/rooms.py), so these are the only places that know a room can be one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import user_from_row
from rooms.community.schema.accounts import users
from rooms.community.schema.rooms import blocks, direct_chats
from rooms.errors import Forbidden

DIRECT = "direct"  # rooms.kind of a direct conversation

Block = Literal["you_blocked", "blocked_you"]


def pair_of(a: int, b: int) -> tuple[int, int]:
    """The two members of a conversation as stored: lowest account id first."""
    return (a, b) if a < b else (b, a)


async def peer_id(conn: AsyncConnection, room_id: int, user_id: int) -> int | None:
    """The other member of a direct room (None when the room is not a direct one)."""
    row = (
        await conn.execute(
            select(direct_chats.c.user_low, direct_chats.c.user_high).where(
                direct_chats.c.room_id == room_id
            )
        )
    ).one_or_none()
    if row is None:
        return None
    other: int = row.user_high if row.user_low == user_id else row.user_low
    return other


async def peers(
    conn: AsyncConnection, user_id: int, room_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """room id -> the other member (User.public()) for the direct rooms among `room_ids`."""
    if not room_ids:
        return {}
    pairs = (
        await conn.execute(select(direct_chats).where(direct_chats.c.room_id.in_(room_ids)))
    ).all()
    other = {
        row.room_id: row.user_high if row.user_low == user_id else row.user_low for row in pairs
    }
    if not other:
        return {}
    found = await conn.execute(select(users).where(users.c.id.in_(set(other.values()))))
    people = {row.id: user_from_row(row).public() for row in found}
    return {room_id: people[peer] for room_id, peer in other.items()}


async def block_between(conn: AsyncConnection, user_id: int, other_id: int) -> Block | None:
    """Whether `user_id` blocked `other_id`, was blocked by them, or neither (a block both
    ways reads as the caller's own, which they can lift)."""
    rows = (
        await conn.execute(
            select(blocks.c.blocker_id).where(
                or_(
                    (blocks.c.blocker_id == user_id) & (blocks.c.blocked_id == other_id),
                    (blocks.c.blocker_id == other_id) & (blocks.c.blocked_id == user_id),
                )
            )
        )
    ).scalars()
    blockers = set(rows)
    if user_id in blockers:
        return "you_blocked"
    return "blocked_you" if blockers else None


def refuse(block: Block) -> Forbidden:
    if block == "you_blocked":
        return Forbidden("you blocked this member; unblock them first", reason="dm_you_blocked")
    return Forbidden("this member does not take messages from you", reason="dm_blocked")


async def blocked_in(conn: AsyncConnection, room_id: int, user_id: int) -> bool:
    """Whether a block, either way, stands between the two members of a direct room."""
    other = await peer_id(conn, room_id, user_id)
    return other is not None and await block_between(conn, user_id, other) is not None


async def check_may_send(conn: AsyncConnection, room_id: int, user_id: int) -> None:
    """Forbidden when a block stands between the two members of a direct room."""
    other = await peer_id(conn, room_id, user_id)
    if other is None:
        return
    block = await block_between(conn, user_id, other)
    if block is not None:
        raise refuse(block)


async def hidden_from(conn: AsyncConnection, user_id: int) -> set[int]:
    """The direct rooms the member no longer sees in their list: those with someone they
    blocked."""
    blocked = select(blocks.c.blocked_id).where(blocks.c.blocker_id == user_id)
    rows = await conn.execute(
        select(direct_chats.c.room_id).where(
            or_(
                (direct_chats.c.user_low == user_id) & direct_chats.c.user_high.in_(blocked),
                (direct_chats.c.user_high == user_id) & direct_chats.c.user_low.in_(blocked),
            )
        )
    )
    return set(rows.scalars())
