"""Members' reports, one rule for all of them: a reason of 1-500 characters, and one report
per member and thing (a listing, a direct conversation); reporting again changes nothing.
The marketplace's listing reports (rooms/market/moderation.py) and the direct conversations'
(rooms/community/direct.py) both file theirs here, each in its own table.

A report is open until a moderator (listings) or an administrator (conversations) acts on it:
`hide` hides what it points at (the listing; the reported message, deleted for both members
as its author's deletion would), `dismiss` leaves it be; either closes the report
(`closed_at`, `outcome`), and only open ones are listed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.message_views import render
from rooms.community.schema.chat import messages
from rooms.community.search import unindex_message
from rooms.errors import Invalid

MAX_REASON = 500
ACTIONS = {"hide": "hidden", "dismiss": "dismissed"}  # what a moderator does -> the outcome


def check_reason(reason: str) -> str:
    """The reason to store, or Invalid. Pure."""
    reason = reason.strip()
    if not 0 < len(reason) <= MAX_REASON:
        raise Invalid(f"reason must be 1-{MAX_REASON} characters", "reason", reason="report_reason")
    return reason


async def file_once(
    conn: AsyncConnection, table: Table, key: dict[str, int], **values: Any
) -> bool:
    """Store the report unless this member already reported this thing; True if stored."""
    where = [table.c[name] == value for name, value in key.items()]
    if (await conn.execute(select(*table.primary_key.columns).where(*where))).first():
        return False
    await conn.execute(insert(table).values(**key, **values))
    return True


def check_action(action: str) -> str:
    """The outcome of acting on a report, or Invalid. Pure."""
    if action not in ACTIONS:
        raise Invalid("action must be hide or dismiss", "action", reason="report_action")
    return ACTIONS[action]


async def hide_message(conn: AsyncConnection, message_id: int, now: int) -> dict[str, Any]:
    """Delete a reported message as its author's deletion would (rooms/community/chat.py):
    its text is gone for everyone, its place says it was deleted. Returns it as rendered."""
    await conn.execute(
        update(messages)
        .where(messages.c.id == message_id, messages.c.deleted.is_(False))
        .values(text="", deleted=True, edited_at=now)
    )
    await unindex_message(conn, message_id)
    [message] = await render(conn, [message_id])
    return message
