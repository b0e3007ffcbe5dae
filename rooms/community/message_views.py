"""How stored messages look on the wire (docs/api.md "Message", "Attachment"): shared by the
chat, the room directory (a room's last message) and uploads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema.accounts import users
from rooms.community.schema.chat import attachment_refs, attachments, messages
from rooms.community.timefmt import utc_iso

REPLY_PREVIEW = 200  # characters of the message replied to


async def render(conn: AsyncConnection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Messages as the API shows them, in the order of `ids` (three queries, whatever the
    page size: messages with authors, their attachments, the messages they reply to)."""
    if not ids:
        return []
    rows = {
        row.id: row
        for row in await conn.execute(
            select(messages, *_AUTHOR_COLUMNS)
            .join(users, users.c.id == messages.c.author_id)
            .where(messages.c.id.in_(ids))
        )
    }
    files: dict[int, list[dict[str, Any]]] = {}
    for item in await conn.execute(
        select(attachments).where(attachments.c.message_id.in_(ids)).order_by(attachments.c.id)
    ):
        files.setdefault(item.message_id, []).append(attachment_json(item))
    for message_id, item in await _forwarded_files(conn, ids):
        files.setdefault(message_id, []).append(attachment_json(item))
    replies = await _reply_previews(conn, {row.reply_to for row in rows.values() if row.reply_to})
    out = []
    for message_id in ids:
        row = rows[message_id]
        out.append(
            {
                "id": row.id,
                "room_id": row.room_id,
                "author": _author(row),
                "text": row.text,
                "reply_to": replies.get(row.reply_to) if row.reply_to else None,
                "attachments": [] if row.deleted else files.get(row.id, []),
                "created_at": utc_iso(row.created_at),
                "edited_at": utc_iso(row.edited_at),
                "deleted": bool(row.deleted),
                "forwarded": row.forwarded_from is not None,
            }
        )
    return out


async def _forwarded_files(conn: AsyncConnection, ids: Sequence[int]) -> list[tuple[int, Any]]:
    """(forwarding message id, attachment row) for the files forwarded messages show by
    reference, in their order; a file whose own message was deleted is gone for every forward
    too (the files were removed from disk with it)."""
    owner = messages.alias("owner")
    result = await conn.execute(
        select(attachment_refs.c.message_id.label("forwarding_id"), attachments)
        .join(attachments, attachments.c.id == attachment_refs.c.attachment_id)
        .join(owner, owner.c.id == attachments.c.message_id)
        .where(attachment_refs.c.message_id.in_(ids), owner.c.deleted.is_(False))
        .order_by(attachment_refs.c.message_id, attachment_refs.c.position)
    )
    return [(row.forwarding_id, row) for row in result]


def attachment_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "mime": row.mime,
        "size": row.size,
        "name": row.name,
        "url": f"/api/attachments/{row.id}",
        "thumbnail_url": f"/api/attachments/{row.id}/thumbnail" if row.thumbnail_path else None,
        "width": row.width,
        "height": row.height,
    }


_AUTHOR_COLUMNS = (
    users.c.display_name,
    users.c.organisation,
    users.c.province,
    users.c.city,
    users.c.rt_rw,
    users.c.region_code,
)


def _author(row: Any) -> dict[str, Any]:
    """The same shape as User.public(), from the columns joined onto a message row."""
    return {
        "id": row.author_id,
        "display_name": row.display_name,
        "organisation": row.organisation,
        "region": {
            "code": row.region_code,
            "province": row.province,
            "city": row.city,
            "rt_rw": row.rt_rw,
        },
    }


async def _reply_previews(conn: AsyncConnection, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    result = await conn.execute(
        select(messages.c.id, messages.c.text, messages.c.deleted, users.c.display_name)
        .join(users, users.c.id == messages.c.author_id)
        .where(messages.c.id.in_(ids))
    )
    return {
        row.id: {
            "id": row.id,
            "author_name": row.display_name,
            "text": "" if row.deleted else row.text[:REPLY_PREVIEW],
        }
        for row in result
    }
