"""Reactions to an announcement, gathered in one place like its comments: a member reacts from
one of the announcement's rooms, the counts are the announcement's (every room shows the same
figures), and each change is published to every room it was posted in as one
`announcement_reactions` event with the new counts.

The emoji are the meeting's reaction set (rooms/meeting/stage.py REACTIONS; organising may not
import the meeting, so tests/organising/test_reactions.py checks the two stay equal): chat
messages have no reactions to share a set with. A member may use several of them, each once;
setting one that is already set (a retry on a flaky connection) changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.events import AnnouncementReactions
from rooms.community.schema.organising import (
    announcement_reactions,
    announcement_rooms,
    announcements,
)
from rooms.community.schema.rooms import memberships
from rooms.community.service import CommunityService
from rooms.errors import Invalid, NotFound, RateLimited
from rooms.ratelimit import TokenBuckets

REACTIONS = ("👍", "👏", "❤️", "😂", "😮", "✊")
# Per member: taps, changed at will, but each change is an event to every room of the
# announcement (up to 5,000), so fewer than chat messages.
REACT_BURST, REACTS_PER_SECOND = 10, 0.5


def check_emoji(emoji: str) -> str:
    if emoji not in REACTIONS:
        raise Invalid(
            f"emoji must be one of {' '.join(REACTIONS)}", "emoji", reason="reaction_emoji"
        )
    return emoji


class AnnouncementReactionService(CommunityService):
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], rate_limits: bool = True
    ) -> None:
        super().__init__(db, bus, clock)
        self._taps = TokenBuckets[int](REACT_BURST, REACTS_PER_SECOND) if rate_limits else None

    async def react(
        self, user: User, announcement_id: int, room_id: int, emoji: str, on: bool
    ) -> dict[str, Any]:
        """Set (on) or take back (off) the member's reaction, from one of the announcement's
        rooms they are in. Answers the counts and the member's own reactions."""
        check_emoji(emoji)
        self._spend(user.id)
        async with self._db.write() as conn:
            await _announcement_exists(conn, announcement_id)
            if room_id not in await member_rooms(conn, announcement_id, user.id):
                raise NotFound("you are in no room of this announcement by that id", "room_id")
            changed = await self._set(conn, announcement_id, user.id, emoji, room_id, on)
            counts = (await reaction_counts(conn, [announcement_id]))[announcement_id]
            mine = (await reactions_of(conn, [announcement_id], user.id))[announcement_id]
            targets = await _rooms(conn, announcement_id) if changed else []
        for target in targets:
            event: AnnouncementReactions = {
                "type": "announcement_reactions",
                "room_id": target,
                "announcement_id": announcement_id,
                "reactions": counts,
            }
            self._bus.publish(room_topic(target), event)
        return {"reactions": counts, "my_reactions": mine}

    async def _set(
        self,
        conn: AsyncConnection,
        announcement_id: int,
        user_id: int,
        emoji: str,
        room_id: int,
        on: bool,
    ) -> bool:
        """One statement each way, so a double tap on two connections cannot insert twice
        (a unique-key error on PostgreSQL); True when it changed something."""
        table = announcement_reactions
        if on:
            dialect_insert = sqlite_insert if self._db.is_sqlite else postgres_insert
            statement: Any = (
                dialect_insert(table)
                .values(
                    announcement_id=announcement_id,
                    user_id=user_id,
                    emoji=emoji,
                    room_id=room_id,
                    created_at=self._now(),
                )
                .on_conflict_do_nothing()
            )
        else:
            statement = delete(table).where(
                table.c.announcement_id == announcement_id,
                table.c.user_id == user_id,
                table.c.emoji == emoji,
            )
        result = await conn.execute(statement.returning(table.c.emoji))
        return result.first() is not None

    def _spend(self, user_id: int) -> None:
        if self._taps is None:
            return
        wait = self._taps.take(user_id, self._clock())
        if wait > 0:
            raise RateLimited(
                f"too many reactions at once; wait {math.ceil(wait)} s",
                None,
                wait,
                reason="reaction_too_fast",
            )


async def _announcement_exists(conn: AsyncConnection, announcement_id: int) -> None:
    query = select(announcements.c.id).where(announcements.c.id == announcement_id)
    if (await conn.execute(query)).first() is None:
        raise NotFound("no such announcement", "announcement_id")


async def member_rooms(
    conn: AsyncConnection, announcement_id: int, user_id: int, roles: Sequence[str] = ()
) -> list[int]:
    """The announcement's rooms the member is in (with one of `roles` there, if given)."""
    query = (
        select(announcement_rooms.c.room_id)
        .join(memberships, memberships.c.room_id == announcement_rooms.c.room_id)
        .where(
            announcement_rooms.c.announcement_id == announcement_id,
            memberships.c.user_id == user_id,
        )
        .order_by(announcement_rooms.c.room_id)
    )
    if roles:
        query = query.where(memberships.c.role.in_(roles))
    return list((await conn.execute(query)).scalars())


async def _rooms(conn: AsyncConnection, announcement_id: int) -> list[int]:
    result = await conn.execute(
        select(announcement_rooms.c.room_id).where(
            announcement_rooms.c.announcement_id == announcement_id
        )
    )
    return list(result.scalars())


async def reaction_counts(
    conn: AsyncConnection, announcement_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each announcement's counts, every emoji of the set in its order (zeros too, so a
    client draws the buttons from the answer and the set lives in one place)."""
    counted: dict[tuple[int, str], int] = {}
    if announcement_ids:
        rows = await conn.execute(
            select(
                announcement_reactions.c.announcement_id,
                announcement_reactions.c.emoji,
                func.count(),
            )
            .where(announcement_reactions.c.announcement_id.in_(announcement_ids))
            .group_by(announcement_reactions.c.announcement_id, announcement_reactions.c.emoji)
        )
        counted = {(row[0], row[1]): int(row[2]) for row in rows}
    return {
        announcement_id: [
            {"emoji": emoji, "count": counted.get((announcement_id, emoji), 0)}
            for emoji in REACTIONS
        ]
        for announcement_id in announcement_ids
    }


async def reactions_of(
    conn: AsyncConnection, announcement_ids: list[int], user_id: int
) -> dict[int, list[str]]:
    """The member's own reactions to each announcement, in the set's order."""
    mine: dict[int, set[str]] = {announcement_id: set() for announcement_id in announcement_ids}
    if announcement_ids:
        rows = await conn.execute(
            select(announcement_reactions.c.announcement_id, announcement_reactions.c.emoji).where(
                announcement_reactions.c.announcement_id.in_(announcement_ids),
                announcement_reactions.c.user_id == user_id,
            )
        )
        for announcement_id, emoji in rows:
            mine[announcement_id].add(emoji)
    return {key: [e for e in REACTIONS if e in emojis] for key, emojis in mine.items()}
