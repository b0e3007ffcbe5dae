"""Which uploads a post may carry: at most MAX_ATTACHMENTS, each once, and only the poster's own
uploads to the post's room that no other post has taken yet.

A chat message checks its files before it counts against the member's rate limit
(`check_usable`), then claims them in the statement that attaches them (`claim`), which checks
again: between the two, the expiry sweep (rooms/community/attachments.py) or another post may
have taken one. An announcement's posts (rooms/organising/announcement_media.py) share the
first rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema.chat import attachments
from rooms.errors import Invalid

MAX_ATTACHMENTS = 10


def unique_attachments(attachment_ids: Sequence[int], field: str, what: str) -> list[int]:
    """The files' ids once each, in the order given; Invalid (`field`) when there are more
    than MAX_ATTACHMENTS for one `what` (a message, an announcement). Pure."""
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_ATTACHMENTS:
        raise Invalid(
            f"at most {MAX_ATTACHMENTS} attachments per {what}",
            field,
            reason="too_many_attachments",
        )
    return ids


async def check_usable(conn: AsyncConnection, room_id: int, user_id: int, ids: list[int]) -> None:
    """Refuse early, before the post counts against the member's limit."""
    usable = await conn.execute(select(func.count()).where(_usable(room_id, user_id, ids)))
    if usable.scalar_one() != len(ids):
        raise _not_usable()


async def claim(
    conn: AsyncConnection, room_id: int, user_id: int, ids: list[int], message_id: int
) -> None:
    """Attach the uploads to the message in one statement that checks them again. Raising
    rolls the message back with it."""
    claimed = await conn.execute(
        update(attachments)
        .where(_usable(room_id, user_id, ids))
        .values(message_id=message_id)
        .returning(attachments.c.id)
    )
    if len(claimed.all()) != len(ids):
        raise _not_usable()


async def has_attachments(conn: AsyncConnection, message_id: int) -> bool:
    found = await conn.execute(
        select(attachments.c.id).where(attachments.c.message_id == message_id).limit(1)
    )
    return found.first() is not None


def _not_usable() -> Invalid:
    return Invalid("attachments must be your own uploads to this room, not yet sent", "attachments")


def _usable(room_id: int, user_id: int, ids: list[int]) -> Any:
    return and_(
        attachments.c.id.in_(ids),
        attachments.c.room_id == room_id,
        attachments.c.uploader_id == user_id,
        attachments.c.message_id.is_(None),
    )
