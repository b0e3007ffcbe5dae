"""Files an announcement's posts share (rooms/organising/announcement_media.py): each file
belongs to the post in the room it was uploaded to, and the posts in its other rooms show it by
reference. Deleting the owning post (a room's moderator clearing their room) must not take the
file from every other room, so another standing post of the same announcement takes it over
first; the file is removed from disk (attachments.py `purge`) only with the last of them.
Forwards keep their own rule: deleting a forwarded message's original removes its files from
every forward (rooms/community/forward.py).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.schema.chat import attachment_refs, attachments, messages
from rooms.community.schema.organising import announcement_files, announcement_rooms


async def hand_over_files(conn: AsyncConnection, message_id: int) -> int:
    """Give the announcement files that `message_id` (being deleted) owns to the standing post
    of the same announcement with the lowest id; returns how many were handed over. The heir
    owns the file from then on (its room is the file's room), so its reference goes."""
    heirs = (
        await conn.execute(
            select(
                attachment_refs.c.attachment_id,
                func.min(attachment_refs.c.message_id).label("heir"),
            )
            .join(attachments, attachments.c.id == attachment_refs.c.attachment_id)
            .join(announcement_files, announcement_files.c.attachment_id == attachments.c.id)
            .join(
                announcement_rooms,
                (announcement_rooms.c.announcement_id == announcement_files.c.announcement_id)
                & (announcement_rooms.c.message_id == attachment_refs.c.message_id),
            )
            .join(messages, messages.c.id == attachment_refs.c.message_id)
            .where(attachments.c.message_id == message_id, messages.c.deleted.is_(False))
            .group_by(attachment_refs.c.attachment_id)
        )
    ).all()
    for file_id, heir in heirs:
        room = select(messages.c.room_id).where(messages.c.id == heir).scalar_subquery()
        await conn.execute(
            update(attachments)
            .where(attachments.c.id == file_id)
            .values(message_id=heir, room_id=room)
        )
        await conn.execute(
            delete(attachment_refs).where(
                attachment_refs.c.message_id == heir, attachment_refs.c.attachment_id == file_id
            )
        )
    return len(heirs)
