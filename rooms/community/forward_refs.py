"""What a forwarded message carries into Chat.post (rooms/community/forward.py makes it): the
message forwarded and the files it shows by reference. Its own module so that chat.py, which
stores it, and forward.py, which uses chat.py, import it without a cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema.chat import attachment_refs


@dataclass(frozen=True)
class Forwarded:
    source_id: int
    attachment_ids: tuple[int, ...] = ()


async def refer_to_files(
    conn: AsyncConnection, message_id: int, attachment_ids: Sequence[int]
) -> None:
    if not attachment_ids:
        return
    await conn.execute(
        insert(attachment_refs),
        [
            {"message_id": message_id, "attachment_id": file_id, "position": n}
            for n, file_id in enumerate(attachment_ids)
        ],
    )
