"""Members' reports, one rule for all of them: a reason of 1-500 characters, and one report
per member and thing (a listing, a direct conversation); reporting again changes nothing.
The marketplace's listing reports (rooms/market/moderation.py) and the direct conversations'
(rooms/community/direct.py) both file theirs here, each in its own table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.errors import Invalid

MAX_REASON = 500


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
