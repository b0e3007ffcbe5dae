"""Room chat: post, edit, delete, history pages and read receipts.

A message is answered to its sender (and published to the room) only after its transaction
has committed, so an acknowledged message survives a crash. Messages carry global, increasing
ids: history pages are "the newest `limit` messages with id < before", and a read receipt is
the highest id a member has seen (rooms/community/read_markers.py). Which files a message may
carry is rooms/community/post_attachments.py's rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community import post_attachments
from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.database import Database
from rooms.community.direct_pairs import DIRECT, blocked_in, check_may_send
from rooms.community.forward_refs import Forwarded, refer_to_files
from rooms.community.membership import Access, require
from rooms.community.message_views import render
from rooms.community.permissions import may
from rooms.community.read_markers import advance_read, unread_count
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import rooms
from rooms.community.search import index_message, index_new_messages, unindex_message
from rooms.community.service import CommunityService
from rooms.community.shared_files import hand_over_files
from rooms.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from rooms.ratelimit import TokenBuckets

MAX_TEXT = 4000
PAGE_DEFAULT, PAGE_MAX = 50, 100
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Per member, across rooms: a burst (a few photos sent one after another, a pasted list), then
# one message a second, faster than anyone types but far from a flood. A retry of a stored
# message (same client_id) is answered from the database and spends nothing.
POST_BURST, POSTS_PER_SECOND = 20, 1.0


def room_topic(room_id: int) -> str:
    return f"room:{room_id}"


def check_text(text: str, has_attachments: bool) -> str:
    """The text to store, or Invalid. Pure."""
    if len(text) > MAX_TEXT:
        raise Invalid(f"text is at most {MAX_TEXT} characters", "text", reason="text_length")
    if not text.strip() and not has_attachments:
        raise Invalid("a message needs text or an attachment", "text", reason="message_empty")
    return text


class Chat(CommunityService):
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], rate_limits: bool = True
    ) -> None:
        super().__init__(db, bus, clock)
        self._posting: TokenBuckets[int] | None = None
        # Told of each new message once, on the node that stored it (server/push.py sends Web
        # Push from here: the bus would tell every node).
        self.on_posted: list[Callable[[dict[str, Any]], None]] = []
        if rate_limits:
            self._posting = TokenBuckets(POST_BURST, POSTS_PER_SECOND)

    async def post(
        self,
        user: User,
        room_id: int,
        text: str,
        reply_to: int | None = None,
        attachment_ids: Sequence[int] = (),
        client_id: str | None = None,
        forwarded: Forwarded | None = None,
    ) -> dict[str, Any]:
        """Store and announce a message. With `client_id`, a retry of a post whose answer was
        lost returns the stored message instead of storing it twice (nothing is announced
        again). `forwarded`: a copy of another message (rooms/community/forward.py)."""
        if client_id is not None and not CLIENT_ID.fullmatch(client_id):
            raise Invalid("client_id is 8-64 letters, digits, '-' or '_'", "client_id")
        ids = post_attachments.unique_attachments(attachment_ids, "attachments", "message")
        text = check_text(text, bool(ids) or bool(forwarded and forwarded.attachment_ids))
        try:
            message, stored = await self._store(
                user, room_id, text, reply_to, ids, client_id, forwarded
            )
        except IntegrityError:
            # Copies of one message racing (a phone resending as it comes back online): on
            # PostgreSQL they run in parallel and the unique (author, client_id) index stops
            # all but the first. The others answer with the stored one, as a later retry would.
            if client_id is None:
                raise
            async with self._db.read() as conn:
                earlier = await self._posted_before(conn, user.id, room_id, client_id)
            if earlier is None:
                raise
            return earlier
        if not stored:
            return message
        self._bus.publish(
            room_topic(room_id), {"type": "chat_message", "room_id": room_id, "message": message}
        )
        for listener in self.on_posted:
            listener(message)
        return message

    async def _store(
        self,
        user: User,
        room_id: int,
        text: str,
        reply_to: int | None,
        ids: list[int],
        client_id: str | None,
        forwarded: Forwarded | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """One transaction of `post`: the message, and whether it was stored now (False: an
        earlier copy with the same client_id, which is not announced again)."""
        now = self._now()
        async with self._db.write() as conn:
            standing = await require(conn, room_id, user.id, "post")
            if client_id is not None:
                earlier = await self._posted_before(conn, user.id, room_id, client_id)
                if earlier is not None:
                    return earlier, False
            if standing.kind == DIRECT:  # a block stops a conversation, both ways
                await check_may_send(conn, room_id, user.id)
            if reply_to is not None:
                await self._check_reply(conn, room_id, reply_to)
            if ids:
                await post_attachments.check_usable(conn, room_id, user.id, ids)
            if self._posting is not None:
                wait = self._posting.take(user.id, self._clock())
                if wait > 0:
                    raise RateLimited(
                        f"too many messages at once; wait {math.ceil(wait)} s",
                        "text",
                        wait,
                        reason="chat_too_fast",
                    )
            message_id = (
                await conn.execute(
                    insert(messages)
                    .values(
                        room_id=room_id,
                        author_id=user.id,
                        text=text,
                        reply_to=reply_to,
                        created_at=now,
                        client_id=client_id,
                        forwarded_from=forwarded.source_id if forwarded else None,
                    )
                    .returning(messages.c.id)
                )
            ).scalar_one()
            if ids:
                await post_attachments.claim(conn, room_id, user.id, ids, message_id)
            if forwarded is not None:
                await refer_to_files(conn, message_id, forwarded.attachment_ids)
            await index_new_messages(conn, [(message_id, text)])
            await conn.execute(
                update(rooms).where(rooms.c.id == room_id).values(last_activity_at=now)
            )
            await advance_read(conn, room_id, user.id, message_id, now)
            [message] = await render(conn, [message_id])
        return message, True

    async def _posted_before(
        self, conn: AsyncConnection, author_id: int, room_id: int, client_id: str
    ) -> dict[str, Any] | None:
        found = (
            await conn.execute(
                select(messages.c.id, messages.c.room_id).where(
                    messages.c.author_id == author_id, messages.c.client_id == client_id
                )
            )
        ).one_or_none()
        if found is None:
            return None
        if found.room_id != room_id:
            raise Conflict("this client_id was used for a message in another room", "client_id")
        [message] = await render(conn, [found.id])
        return message

    async def edit(self, user: User, message_id: int, text: str) -> dict[str, Any]:
        async with self._db.write() as conn:
            row, _standing = await self._message_row(conn, message_id, user.id)
            if row.author_id != user.id:
                raise Forbidden("only the author can edit a message", reason="not_author")
            if row.deleted:
                raise Invalid(
                    "a deleted message cannot be edited", "message_id", reason="message_deleted"
                )
            if row.forwarded_from is not None:
                raise Invalid(
                    "a forwarded message cannot be edited",
                    "message_id",
                    reason="forwarded_not_editable",
                )
            has_files = await post_attachments.has_attachments(conn, message_id)
            text = check_text(text, has_files)
            await conn.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(text=text, edited_at=self._now())
            )
            await index_message(conn, message_id, text)
            [message] = await render(conn, [message_id])
        self._publish_change("chat_edited", row.room_id, message)
        return message

    async def delete(self, user: User, message_id: int) -> dict[str, Any]:
        async with self._db.write() as conn:
            row, standing = await self._message_row(conn, message_id, user.id)
            if row.author_id != user.id and not may(standing.role, "delete_any_message"):
                raise Forbidden(
                    "only the author or a moderator can delete a message", reason="not_author"
                )
            if not row.deleted:
                await conn.execute(
                    update(messages)
                    .where(messages.c.id == message_id)
                    .values(text="", deleted=True, edited_at=self._now())
                )
                await unindex_message(conn, message_id)
                await hand_over_files(conn, message_id)
            [message] = await render(conn, [message_id])
        self._publish_change("chat_deleted", row.room_id, message)
        return message

    async def history(
        self, user: User, room_id: int, before: int | None, limit: int = PAGE_DEFAULT
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to `limit` messages older than `before` (or the newest), oldest first, and the
        cursor of the next older page (None when this page reaches the first message)."""
        if not 1 <= limit <= PAGE_MAX:
            raise Invalid(f"limit must be 1-{PAGE_MAX}", "limit")
        async with self._db.read() as conn:
            await require(conn, room_id, user.id, "read")
            query = select(messages.c.id).where(messages.c.room_id == room_id)
            if before is not None:
                query = query.where(messages.c.id < before)
            ids = list(
                (await conn.execute(query.order_by(messages.c.id.desc()).limit(limit + 1)))
                .scalars()
                .all()
            )
            more = len(ids) > limit
            ids = sorted(ids[:limit])
            page = await render(conn, ids)
        return page, (ids[0] if more and ids else None)

    async def mark_read(self, user: User, room_id: int, message_id: int) -> int:
        """Move the member's read marker forward (never back); returns their unread count."""
        async with self._db.write() as conn:
            standing = await require(conn, room_id, user.id, "post")
            exists = await conn.execute(
                select(messages.c.id).where(
                    (messages.c.id == message_id) & (messages.c.room_id == room_id)
                )
            )
            if exists.first() is None:
                raise NotFound(
                    "no such message in this room", "message_id", reason="message_not_found"
                )
            moved = await advance_read(conn, room_id, user.id, message_id, self._now())
            unread = await unread_count(conn, room_id, user.id)
            # Across a block in a direct room the marker moves, but nobody is told.
            if moved and standing.kind == DIRECT:
                moved = not await blocked_in(conn, room_id, user.id)
        if moved:
            self._bus.publish(
                room_topic(room_id),
                {
                    "type": "read_receipt",
                    "room_id": room_id,
                    "user_id": user.id,
                    "message_id": message_id,
                },
            )
        return unread

    def _publish_change(
        self, kind: Literal["chat_edited", "chat_deleted"], room_id: int, message: dict[str, Any]
    ) -> None:
        self._bus.publish(
            room_topic(room_id), {"type": kind, "room_id": room_id, "message": message}
        )

    async def _message_row(
        self, conn: AsyncConnection, message_id: int, user_id: int
    ) -> tuple[Any, Access]:
        """The message and the caller's standing in its room (NotFound for outsiders)."""
        row = (
            await conn.execute(select(messages).where(messages.c.id == message_id))
        ).one_or_none()
        if row is None:
            raise NotFound("no such message", "message_id", reason="message_not_found")
        return row, await require(conn, row.room_id, user_id, "read")

    async def _check_reply(self, conn: AsyncConnection, room_id: int, reply_to: int) -> None:
        found = await conn.execute(
            select(messages.c.id).where(
                (messages.c.id == reply_to) & (messages.c.room_id == room_id)
            )
        )
        if found.first() is None:
            raise Invalid(
                "reply_to names no message in this room", "reply_to", reason="message_not_found"
            )
