"""Direct messages: one-to-one conversations between members who share a room.

A conversation is a room of kind "direct" with its two members (direct_chats in
rooms/community/schema/rooms.py), invite-only, both plain members: nobody can invite a third or
rename it. So posting, history, read receipts, typing, uploads, the offline outbox and the live
feed are the room chat's own (rooms/community/chat.py), with its rate limit, and nothing of it
is written twice. What is particular to direct rooms lives here and in direct_pairs.py: opening
one (made on first use, the same one ever after), blocks, and reports to the server's
administrators.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.bus import Bus, user_topic
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.direct_pairs import DIRECT, block_between, pair_of, peer_id, refuse
from rooms.community.directory import summaries
from rooms.community.events import ChatChanged, RoomMember
from rooms.community.message_views import render
from rooms.community.reports import check_action, check_reason, file_once, hide_message
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import blocks, direct_chats, direct_reports, memberships, rooms
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Forbidden, Invalid, NotFound, RateLimited
from rooms.ratelimit import TokenBuckets

# New conversations per member: a handful at once, then one a minute; writing in them is the
# chat's limit. Enough for anyone answering neighbours, too slow to spam a whole branch.
OPEN_BURST, OPENS_PER_SECOND = 10, 1 / 60
REPORTS_SHOWN = 200


class DirectMessages(CommunityService):
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], rate_limits: bool = True
    ) -> None:
        super().__init__(db, bus, clock)
        self._opening = TokenBuckets[int](OPEN_BURST, OPENS_PER_SECOND) if rate_limits else None

    async def open(self, user: User, other_id: int, shared_room: bool = True) -> dict[str, Any]:
        """The caller's conversation with `other_id` as a room card, made on first use.
        `shared_room=False` is for the marketplace, where the listing is what they share."""
        if other_id == user.id:
            raise Invalid("a conversation needs someone else", "user_id", reason="dm_self")
        try:
            card, other = await self._open(user, other_id, shared_room)
        except IntegrityError:
            # Both opened it at once; the unique pair let one through. Take that one.
            card, other = await self._open(user, other_id, shared_room)
        if other is not None:
            for member in (user, other):
                event: RoomMember = {
                    "type": "room_member",
                    "room_id": card["id"],
                    "user": member.public(),
                    "role": "member",
                }
                self._bus.publish(room_topic(card["id"]), event)
                self._bus.publish(user_topic(member.id), event)
        return card

    async def _open(
        self, user: User, other_id: int, shared_room: bool
    ) -> tuple[dict[str, Any], User | None]:
        """The card, and the other member when the room was made now (to announce it)."""
        low, high = pair_of(user.id, other_id)
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    select(users).where(users.c.id == other_id, users.c.erased_at.is_(None))
                )
            ).one_or_none()
            if row is None:  # deleted accounts (users.erased_at) included
                raise NotFound("no such member", "user_id", reason="dm_no_member")
            block = await block_between(conn, user.id, other_id)
            if block is not None:
                raise refuse(block)
            room_id = (
                await conn.execute(
                    select(direct_chats.c.room_id).where(
                        direct_chats.c.user_low == low, direct_chats.c.user_high == high
                    )
                )
            ).scalar_one_or_none()
            other = None
            if room_id is None:
                if shared_room and not await _share_a_room(conn, user.id, other_id):
                    raise Forbidden(
                        "you can only write to members of your rooms", reason="dm_no_shared_room"
                    )
                self._take_opening(user.id)
                room_id = await self._new_room(conn, user.id, other_id)
                other = user_from_row(row)
            [card] = await summaries(conn, user.id, [room_id])
        return card, other

    def _take_opening(self, user_id: int) -> None:
        if self._opening is None:
            return
        wait = self._opening.take(user_id, self._clock())
        if wait > 0:
            raise RateLimited(
                f"too many new conversations; wait {math.ceil(wait)} s",
                "user_id",
                wait,
                reason="dm_too_many",
            )

    async def _new_room(self, conn: AsyncConnection, user_id: int, other_id: int) -> int:
        now = self._now()
        low, high = pair_of(user_id, other_id)
        room_id: int = (
            await conn.execute(
                insert(rooms)
                .values(
                    name="",  # each member sees the other's name (direct_pairs.peers)
                    kind=DIRECT,
                    visibility="invite",
                    created_by=user_id,
                    created_at=now,
                    last_activity_at=now,
                )
                .returning(rooms.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(direct_chats).values(
                room_id=room_id, user_low=low, user_high=high, created_at=now
            )
        )
        await conn.execute(
            insert(memberships),
            [
                {"room_id": room_id, "user_id": member, "role": "member", "joined_at": now}
                for member in (user_id, other_id)
            ],
        )
        return room_id

    async def block(self, user: User, other_id: int) -> None:
        """Block a member (again: nothing changes). They can no longer start or continue a
        conversation with the caller, whose room list stops showing it."""
        if other_id == user.id:
            raise Invalid("you cannot block yourself", "user_id", reason="dm_self")
        async with self._db.write() as conn:
            found = await conn.execute(
                select(users.c.id).where(users.c.id == other_id, users.c.erased_at.is_(None))
            )
            if found.first() is None:
                raise NotFound("no such member", "user_id", reason="dm_no_member")
            if await block_between(conn, user.id, other_id) != "you_blocked":
                await conn.execute(
                    insert(blocks).values(
                        blocker_id=user.id, blocked_id=other_id, created_at=self._now()
                    )
                )

    async def unblock(self, user: User, other_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                delete(blocks).where(
                    blocks.c.blocker_id == user.id, blocks.c.blocked_id == other_id
                )
            )

    async def blocked(self, user: User) -> list[dict[str, Any]]:
        """The members the caller blocked, most recent first."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(users)
                .join(blocks, blocks.c.blocked_id == users.c.id)
                .where(blocks.c.blocker_id == user.id)
                .order_by(blocks.c.created_at.desc(), users.c.id)
            )
            return [user_from_row(row).public() for row in rows]

    async def report(
        self, user: User, room_id: int, reason: str, message_id: int | None = None
    ) -> None:
        """Report a conversation (and one message of it) to the server's administrators;
        once per member and conversation."""
        reason = check_reason(reason)
        async with self._db.write() as conn:
            if await peer_id(conn, room_id, user.id) is None or not await _is_member(
                conn, room_id, user.id
            ):
                raise NotFound("no such conversation", "room_id", reason="dm_not_found")
            if message_id is not None:
                found = await conn.execute(
                    select(messages.c.id).where(
                        messages.c.id == message_id, messages.c.room_id == room_id
                    )
                )
                if found.first() is None:
                    raise NotFound(
                        "no such message in this conversation",
                        "message_id",
                        reason="message_not_found",
                    )
            key = {"room_id": room_id, "reporter_id": user.id}
            await file_once(
                conn,
                direct_reports,
                key,
                message_id=message_id,
                reason=reason,
                created_at=self._now(),
            )

    async def reports(self, user: User) -> list[dict[str, Any]]:
        """Open reports of conversations, newest first: who reported whom, why, and the
        message they pointed at. Server administrators only."""
        if not user.is_admin:
            raise Forbidden("only administrators see reports of direct messages")
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(direct_reports)
                    .where(direct_reports.c.closed_at.is_(None))
                    .order_by(direct_reports.c.created_at.desc())
                    .limit(REPORTS_SHOWN)
                )
            ).all()
            quoted = {
                m["id"]: m for m in await render(conn, [r.message_id for r in rows if r.message_id])
            }
            out = []
            for row in rows:
                reported = await peer_id(conn, row.room_id, row.reporter_id)
                people = await _public(conn, [row.reporter_id, reported or row.reporter_id])
                out.append(
                    {
                        "room_id": row.room_id,
                        "reporter": people[0],
                        "reported": people[1],
                        "reason": row.reason,
                        "message": quoted.get(row.message_id) if row.message_id else None,
                        "created_at": utc_iso(row.created_at),
                    }
                )
        return out

    async def resolve_report(
        self, user: User, room_id: int, reporter_id: int, action: str
    ) -> dict[str, Any]:
        """An administrator acts on an open report (rooms/community/reports.py): `hide` deletes
        the message it points at, for both members; either action closes it."""
        outcome = check_action(action)
        if not user.is_admin:
            raise Forbidden("only administrators act on reports of direct messages")
        key = (direct_reports.c.room_id == room_id, direct_reports.c.reporter_id == reporter_id)
        now = self._now()
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    select(direct_reports).where(*key, direct_reports.c.closed_at.is_(None))
                )
            ).one_or_none()
            if row is None:
                raise NotFound(
                    "no open report by that member", "room_id", reason="report_not_found"
                )
            hidden = None
            if outcome == "hidden":
                if row.message_id is None:
                    raise Invalid(
                        "this report names no message to hide", "action", reason="report_no_message"
                    )
                hidden = await hide_message(conn, row.message_id, now)
            closing = update(direct_reports).where(*key)
            await conn.execute(closing.values(closed_at=now, outcome=outcome))
        if hidden is not None:
            deleted: ChatChanged = {"type": "chat_deleted", "room_id": room_id, "message": hidden}
            self._bus.publish(room_topic(room_id), deleted)
        return {"room_id": room_id, "reporter_id": reporter_id, "outcome": outcome}


async def _share_a_room(conn: AsyncConnection, a: int, b: int) -> bool:
    """Whether two members are both in some room other than a direct one."""
    theirs = select(memberships.c.room_id).where(memberships.c.user_id == b)
    found = await conn.execute(
        select(memberships.c.room_id)
        .join(rooms, rooms.c.id == memberships.c.room_id)
        .where(
            memberships.c.user_id == a, memberships.c.room_id.in_(theirs), rooms.c.kind != DIRECT
        )
        .limit(1)
    )
    return found.first() is not None


async def _is_member(conn: AsyncConnection, room_id: int, user_id: int) -> bool:
    found = await conn.execute(
        select(memberships.c.role).where(
            memberships.c.room_id == room_id, memberships.c.user_id == user_id
        )
    )
    return found.first() is not None


async def _public(conn: AsyncConnection, ids: list[int]) -> list[dict[str, Any]]:
    rows = {row.id: row for row in await conn.execute(select(users).where(users.c.id.in_(ids)))}
    return [user_from_row(rows[i]).public() for i in ids]
