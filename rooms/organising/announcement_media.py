"""What an announcement carries beside its text: photos and at most one video, and one agenda
event (issue #17; docs/organising.md).

The files are chat uploads (POST /api/rooms/{id}/attachments or the resumable path), with the
chat's limits: the author's own, not yet sent, each uploaded to one of the chosen rooms. They
are stored once: each file belongs to the post in the room it was uploaded to, and the posts in
the other rooms show it by reference (attachment_refs, as a forwarded message does, so
rooms/community/message_views.py renders them and members of those rooms may open them), with
no copy of the bytes per room. The event is one the author may see; every room's pinned post
shows it as a card, and the public page its title and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.agenda import render_events
from rooms.community.membership import require
from rooms.community.message_views import attachment_json
from rooms.community.post_attachments import unique_attachments
from rooms.community.schema.agenda import events
from rooms.community.schema.chat import attachment_refs, attachments, messages
from rooms.community.schema.organising import announcement_events, announcement_files, announcements
from rooms.community.timefmt import zoned_iso
from rooms.errors import Forbidden, Invalid, NotFound

MAX_VIDEOS = 1  # a video is tens of megabytes: one per announcement, on prepaid data


def check_file_count(attachment_ids: Sequence[int]) -> list[int]:
    """The files' ids once each, in the order given, or Invalid when there are too many. Pure."""
    return unique_attachments(attachment_ids, "attachment_ids", "announcement")


async def check_files(
    conn: AsyncConnection, user: User, ids: list[int], room_ids: list[int]
) -> dict[int, int]:
    """{attachment id: the room it was uploaded to} for uploads the author may attach, or
    Invalid naming what is wrong (nothing is changed)."""
    if not ids:
        return {}
    rows = (
        await conn.execute(
            select(attachments.c.id, attachments.c.room_id, attachments.c.kind).where(
                attachments.c.id.in_(ids),
                attachments.c.uploader_id == user.id,
                attachments.c.message_id.is_(None),
                attachments.c.room_id.in_(room_ids),
            )
        )
    ).all()
    if len(rows) != len(ids):
        raise Invalid(
            "attachments must be your own uploads to one of the chosen rooms, not yet sent",
            "attachment_ids",
            reason="announcement_attachments",
        )
    if sum(1 for row in rows if row.kind == "video") > MAX_VIDEOS:
        raise Invalid(
            f"at most {MAX_VIDEOS} video per announcement",
            "attachment_ids",
            reason="announcement_videos",
        )
    return {row.id: row.room_id for row in rows}


async def check_event(conn: AsyncConnection, user: User, event_id: int) -> None:
    """The event must exist and be one the author may see (a member of its room, or an
    administrator); otherwise Invalid, without saying which (an outsider learns nothing)."""
    room_id = (
        await conn.execute(select(events.c.room_id).where(events.c.id == event_id))
    ).scalar_one_or_none()
    try:
        if room_id is None:
            raise NotFound("no such event")
        if not user.is_admin:
            await require(conn, room_id, user.id, "read")
    except (NotFound, Forbidden):
        raise Invalid(
            "event_id names no event you can see", "event_id", reason="announcement_event"
        ) from None


async def attach(
    conn: AsyncConnection,
    announcement_id: int,
    files: dict[int, int],
    order: list[int],
    posts: dict[int, int],
    event_id: int | None,
) -> None:
    """Store the files and the event with the announcement: each file goes to the post in its
    upload room, and is referred to by the posts in every other room. `posts`: {room id:
    message id}. Raises (rolling everything back) when a file was taken meanwhile."""
    for attachment_id in order:
        claimed = await conn.execute(
            update(attachments)
            .where(attachments.c.id == attachment_id, attachments.c.message_id.is_(None))
            .values(message_id=posts[files[attachment_id]])
        )
        if claimed.rowcount != 1:  # sent in a chat message, or expired, since check_files
            raise Invalid(
                "an attachment was sent or removed meanwhile",
                "attachment_ids",
                reason="announcement_attachments",
            )
    if order:
        await conn.execute(
            insert(announcement_files),
            [
                {"announcement_id": announcement_id, "attachment_id": file_id, "position": n}
                for n, file_id in enumerate(order)
            ],
        )
        refs = [
            {"message_id": message_id, "attachment_id": file_id, "position": n}
            for room_id, message_id in posts.items()
            for n, file_id in enumerate(order)
            if files[file_id] != room_id
        ]
        if refs:
            await conn.execute(insert(attachment_refs), refs)
    if event_id is not None:
        await conn.execute(
            insert(announcement_events).values(announcement_id=announcement_id, event_id=event_id)
        )


def _standing_files(announcement_ids: Sequence[int]) -> Any:
    """The announcements' files, in order, but those whose own post was deleted: a deleted
    message's files are removed from disk (rooms/community/attachments.py `purge`)."""
    return (
        select(announcement_files.c.announcement_id, attachments)
        .join(attachments, attachments.c.id == announcement_files.c.attachment_id)
        .join(messages, messages.c.id == attachments.c.message_id)
        .where(
            announcement_files.c.announcement_id.in_(announcement_ids),
            messages.c.deleted.is_(False),
        )
        .order_by(announcement_files.c.announcement_id, announcement_files.c.position)
    )


async def files_of(
    conn: AsyncConnection, announcement_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each announcement's files as Attachments (docs/api.md), for its members."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in announcement_ids}
    if announcement_ids:
        for row in await conn.execute(_standing_files(announcement_ids)):
            found[row.announcement_id].append(attachment_json(row))
    return found


async def events_of(
    conn: AsyncConnection, announcement_ids: Sequence[int], user_id: int | None
) -> dict[int, dict[str, Any] | None]:
    """Each announcement's event as an Event (with the reader's own RSVP), or None."""
    found: dict[int, dict[str, Any] | None] = {i: None for i in announcement_ids}
    if not announcement_ids:
        return found
    pairs = (
        await conn.execute(
            select(announcement_events.c.announcement_id, announcement_events.c.event_id).where(
                announcement_events.c.announcement_id.in_(announcement_ids)
            )
        )
    ).all()
    rendered = await render_events(conn, [pair.event_id for pair in pairs], user_id)
    for pair, event in zip(pairs, rendered, strict=True):
        found[pair.announcement_id] = event
    return found


async def public_media(conn: AsyncConnection, announcement_id: int) -> dict[str, Any]:
    """What a public page may show beside the text: the photos (no videos, no names of files)
    and the event's title, kind, place and times, never its room or who answered."""
    photos = [
        {
            "url": f"/a/{announcement_id}/photos/{row.id}",
            "thumbnail_url": f"/a/{announcement_id}/photos/{row.id}/thumbnail",
            "width": row.width,
            "height": row.height,
        }
        for row in await conn.execute(_standing_files([announcement_id]))
        if row.kind == "image"
    ]
    event = (
        await conn.execute(
            select(events)
            .join(announcement_events, announcement_events.c.event_id == events.c.id)
            .where(announcement_events.c.announcement_id == announcement_id)
        )
    ).one_or_none()
    shown = None
    if event is not None:
        shown = {
            "title": event.title,
            "kind": event.kind,
            "location": event.location,
            "starts_at": zoned_iso(event.starts_at, event.timezone),
            "ends_at": zoned_iso(event.ends_at, event.timezone),
        }
    return {"photos": photos, "event": shown}


async def public_photo(
    conn: AsyncConnection, announcement_id: int, attachment_id: int, thumbnail: bool
) -> tuple[str, str]:
    """(path under the upload directory, type) of a photo of a public announcement, for anyone;
    NotFound for anything else (a private announcement's photo, a video, another file)."""
    row = (
        await conn.execute(
            _standing_files([announcement_id])
            .join(announcements, announcements.c.id == announcement_files.c.announcement_id)
            .where(
                announcement_files.c.attachment_id == attachment_id,
                announcements.c.public.is_(True),
                attachments.c.kind == "image",
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("no such photo", "attachment_id", reason="attachment_not_found")
    if thumbnail:
        if row.thumbnail_path is None:
            raise NotFound("no thumbnail", "attachment_id", reason="attachment_not_found")
        return row.thumbnail_path, "image/jpeg"
    return row.path, row.mime
