"""Forwarding a message to another room one is a member of (docs/api.md "POST
/api/messages/{id}/forward"): its text, and its photos and videos by reference (the files are
not copied; rooms/community/forward_refs.py), marked "forwarded" without saying where from,
since the source room may be one the new readers cannot see. It is posted through Chat.post, so
it spends the same per-member allowance as typing a message, is idempotent with a client_id,
is indexed for search and respects blocks in direct conversations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import Chat
from rooms.community.database import Database
from rooms.community.forward_refs import Forwarded
from rooms.community.membership import require
from rooms.community.message_views import render
from rooms.community.schema import messages
from rooms.community.service import CommunityService
from rooms.errors import Forbidden, Invalid, NotFound


class Forwarding(CommunityService):
    def __init__(self, db: Database, bus: Bus, clock: Callable[[], float], chat: Chat) -> None:
        super().__init__(db, bus, clock)
        self._chat = chat

    async def forward(
        self, user: User, message_id: int, room_id: int, client_id: str | None = None
    ) -> dict[str, Any]:
        """The new message in `room_id`; the caller must be a member of both rooms (posting in
        the target is checked by Chat.post)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(messages.c.room_id, messages.c.deleted).where(
                        messages.c.id == message_id
                    )
                )
            ).one_or_none()
            if row is None:
                raise NotFound("no such message", "message_id", reason="message_not_found")
            standing = await require(conn, row.room_id, user.id, "read")
            if standing.role is None:
                raise Forbidden("join this room first", reason="join_room_first")
            if row.deleted:
                raise Invalid(
                    "a deleted message cannot be forwarded",
                    "message_id",
                    reason="forward_deleted",
                )
            [shown] = await render(conn, [message_id])
        files = tuple(item["id"] for item in shown["attachments"])
        return await self._chat.post(
            user,
            room_id,
            shown["text"],
            client_id=client_id,
            forwarded=Forwarded(message_id, files),
        )
