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

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import Chat
from rooms.community.database import Database
from rooms.community.forward_refs import Forwarded
from rooms.community.membership import member_message
from rooms.community.message_views import render
from rooms.community.schema.chat import messages
from rooms.community.service import CommunityService
from rooms.errors import Invalid


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
            row, _standing = await member_message(conn, message_id, user.id, messages.c.deleted)
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
