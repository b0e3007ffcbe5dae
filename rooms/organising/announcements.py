"""One announcement to many rooms: chosen by region, room kind or a list, posted as one message
in each room (the client pins it), carrying the same photos, video and event in each
(rooms/organising/announcement_media.py), with the comments and reactions (rooms/organising/
reactions.py) of every room gathered in one place, and its reach: recipients and how many
read it (read receipts past the post; rooms/organising/announcement_reach.py).

Who may announce: an administrator to any rooms, anyone else to the rooms they own or
moderate among those chosen (rooms/community/permissions.py "schedule_event": a moderator's
right to speak for the room). Everything is stored in one transaction and published only
after it commits (like rooms/community/chat.py), to each room's topic once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.bus import Bus
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.direct_pairs import DIRECT
from rooms.community.events import AnnouncementComment, ChatPosted
from rooms.community.message_views import render
from rooms.community.permissions import may
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import messages
from rooms.community.schema.organising import (
    announcement_comments,
    announcement_rooms,
    announcements,
)
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.search import index_new_messages
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Forbidden, Invalid, NotFound
from rooms.organising import announcement_media as media
from rooms.organising.announcement_reach import MODERATING, reach_for
from rooms.organising.reactions import member_rooms, reaction_counts, reactions_of
from rooms.organising.selection import MAX_ROOMS as MAX_ROOMS
from rooms.organising.selection import Selection as Selection

MAX_TITLE, MAX_TEXT, MAX_COMMENT = 200, 4000, 2000


@dataclass(frozen=True)
class Extras:
    """What an announcement may carry beside its text: uploads' ids (photos, at most one
    video) and an agenda event's id."""

    attachment_ids: tuple[int, ...] = ()
    event_id: int | None = None


def check_announcement(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    if not 0 < len(title) <= MAX_TITLE:
        raise Invalid(f"title must be 1-{MAX_TITLE} characters", "title")
    if not 0 < len(text) <= MAX_TEXT:
        raise Invalid(f"text must be 1-{MAX_TEXT} characters", "text")
    return title, text


def post_text(title: str, text: str) -> str:
    """The message each room gets: the title on its own line, then the text."""
    return f"{title}\n\n{text}"


class Announcements(CommunityService):
    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Callable[[], float],
        on_posted: list[Callable[[dict[str, Any]], None]] | None = None,
    ) -> None:
        super().__init__(db, bus, clock)
        # Told of each room's post after the commit, as Chat.on_posted is of a message (the
        # server passes Chat's own list: an announcement notifies as a message does, Web Push
        # included, server/push.py).
        self.on_posted = on_posted if on_posted is not None else []

    async def target_rooms(self, user: User, selection: Selection) -> list[int]:
        """The rooms the selection names that this user may announce to, by id."""
        selection.check()
        # Never into someone's direct conversation, even by naming its room.
        query = (
            select(rooms.c.id)
            .where(*selection.where(), rooms.c.kind != DIRECT)
            .order_by(rooms.c.id)
        )
        if not user.is_admin:
            query = query.join(memberships, memberships.c.room_id == rooms.c.id).where(
                memberships.c.user_id == user.id, memberships.c.role.in_(MODERATING)
            )
        async with self._db.read() as conn:
            ids = list((await conn.execute(query.limit(MAX_ROOMS + 1))).scalars())
        if not ids:
            raise Forbidden("none of the chosen rooms is one you moderate")
        if len(ids) > MAX_ROOMS:
            raise Invalid(f"the selection has more than {MAX_ROOMS} rooms", "rooms")
        return ids

    async def publish(
        self,
        user: User,
        title: str,
        text: str,
        selection: Selection,
        public: bool = False,
        extras: Extras | None = None,
    ) -> dict[str, Any]:
        """Post it in every chosen room; `extras`: its photos, video and event
        (rooms/organising/announcement_media.py)."""
        title, text = check_announcement(title, text)
        extras = extras or Extras()
        file_ids = media.check_file_count(extras.attachment_ids)
        room_ids = await self.target_rooms(user, selection)
        now = self._now()
        async with self._db.write() as conn:
            files = await media.check_files(conn, user, file_ids, room_ids)
            if extras.event_id is not None:
                await media.check_event(conn, user, extras.event_id)
            announcement_id = (
                await conn.execute(
                    insert(announcements)
                    .values(
                        author_id=user.id, title=title, text=text, public=public, created_at=now
                    )
                    .returning(announcements.c.id)
                )
            ).scalar_one()
            posts = await _post_everywhere(
                conn, announcement_id, user.id, post_text(title, text), room_ids, now
            )
            await media.attach(conn, announcement_id, files, file_ids, posts, extras.event_id)
            rendered = await render(conn, list(posts.values()))
        for message in rendered:
            message["announcement_id"] = announcement_id
            posted_event: ChatPosted = {
                "type": "chat_message",
                "room_id": message["room_id"],
                "message": message,
            }
            self._bus.publish(room_topic(message["room_id"]), posted_event)
            for listener in self.on_posted:
                listener(message)
        return await self.get(user, announcement_id)

    async def get(self, user: User, announcement_id: int) -> dict[str, Any]:
        """The announcement with its comments, for a member of one of its rooms; its reach
        too for its author and administrators."""
        async with self._db.read() as conn:
            row = await _announcement(conn, announcement_id)
            mine = await member_rooms(conn, announcement_id, user.id)
            is_author = row.author_id == user.id or user.is_admin
            if not mine and not is_author:
                raise NotFound("no such announcement", "announcement_id")
            view = await _view(conn, row, user.id)
            view["comments"] = await _comments(conn, announcement_id)
            view["my_rooms"] = mine
            view["reactions"] = (await reaction_counts(conn, [row.id]))[row.id]
            view["my_reactions"] = (await reactions_of(conn, [row.id], user.id))[row.id]
            shown = await reach_for(conn, announcement_id, user.id, is_author)
            if shown is not None:
                view["reach"] = shown
        return view

    async def public_view(self, announcement_id: int) -> dict[str, Any]:
        """What the public page shows: only an announcement its author made public, and only
        its title, text, author's name, time, photos and event's title and times (no rooms,
        no comments, no members)."""
        async with self._db.read() as conn:
            row = await _announcement(conn, announcement_id)
            if not row.public:
                raise NotFound("no such announcement", "announcement_id")
            author = (
                await conn.execute(select(users.c.display_name).where(users.c.id == row.author_id))
            ).scalar_one()
            shown = await media.public_media(conn, announcement_id)
        return {
            "id": row.id,
            "title": row.title,
            "text": row.text,
            "author": author,
            "created_at": utc_iso(row.created_at),
            **shown,
        }

    async def public_photo(
        self, announcement_id: int, attachment_id: int, thumbnail: bool
    ) -> tuple[str, str]:
        """A public announcement's photo for anyone: (path under the uploads, type)."""
        async with self._db.read() as conn:
            return await media.public_photo(conn, announcement_id, attachment_id, thumbnail)

    async def for_room(self, user: User, room_id: int, limit: int = 5) -> list[dict[str, Any]]:
        """The room's announcements, newest first: the first is the pinned one."""
        async with self._db.read() as conn:
            role = (
                await conn.execute(
                    select(memberships.c.role).where(
                        memberships.c.room_id == room_id, memberships.c.user_id == user.id
                    )
                )
            ).scalar_one_or_none()
            if not may(role, "read"):
                raise NotFound("no such room", "room_id")
            rows = (
                await conn.execute(
                    select(announcements, announcement_rooms.c.message_id)
                    .join(
                        announcement_rooms,
                        announcement_rooms.c.announcement_id == announcements.c.id,
                    )
                    .where(announcement_rooms.c.room_id == room_id)
                    .order_by(announcements.c.id.desc())
                    .limit(limit)
                )
            ).all()
            ids = [row.id for row in rows]
            counts, mine = await reaction_counts(conn, ids), await reactions_of(conn, ids, user.id)
            out: list[dict[str, Any]] = []
            for row in rows:
                view = await _view(conn, row, user.id)
                view["message_id"] = row.message_id
                # Only the pinned one shows its reach: each is a count over all its rooms.
                is_author = user.is_admin or row.author_id == user.id
                shown = await reach_for(conn, row.id, user.id, is_author) if not out else None
                if shown is not None:
                    view["reach"] = shown
                view["comment_count"] = await _comment_count(conn, row.id)
                view["reactions"], view["my_reactions"] = counts[row.id], mine[row.id]
                out.append(view)
        return out

    async def comment(
        self, user: User, announcement_id: int, room_id: int, text: str
    ) -> dict[str, Any]:
        """A comment from one of the announcement's rooms, published to all of them."""
        text = text.strip()
        if not 0 < len(text) <= MAX_COMMENT:
            raise Invalid(f"text must be 1-{MAX_COMMENT} characters", "text")
        now = self._now()
        async with self._db.write() as conn:
            await _announcement(conn, announcement_id)
            if room_id not in await member_rooms(conn, announcement_id, user.id):
                raise NotFound("you are in no room of this announcement by that id", "room_id")
            comment_id = (
                await conn.execute(
                    insert(announcement_comments)
                    .values(
                        announcement_id=announcement_id,
                        room_id=room_id,
                        author_id=user.id,
                        text=text,
                        created_at=now,
                    )
                    .returning(announcement_comments.c.id)
                )
            ).scalar_one()
            targets = list(
                (
                    await conn.execute(
                        select(announcement_rooms.c.room_id).where(
                            announcement_rooms.c.announcement_id == announcement_id
                        )
                    )
                ).scalars()
            )
            [comment] = [c for c in await _comments(conn, announcement_id) if c["id"] == comment_id]
        for target in targets:
            event: AnnouncementComment = {
                "type": "announcement_comment",
                "room_id": target,
                "announcement_id": announcement_id,
                "comment": comment,
            }
            self._bus.publish(room_topic(target), event)
        return comment


async def _post_everywhere(
    conn: AsyncConnection,
    announcement_id: int,
    author_id: int,
    body: str,
    room_ids: list[int],
    now: int,
) -> dict[int, int]:
    """One message in each room (a single multi-row INSERT), remembered as the announcement's
    post there; the rooms' activity time and the author's read receipts move to it. Returns
    {room id: message id}."""
    posted = (
        await conn.execute(
            insert(messages)
            .values(
                [
                    {"room_id": room_id, "author_id": author_id, "text": body, "created_at": now}
                    for room_id in room_ids
                ]
            )
            .returning(messages.c.id, messages.c.room_id)
        )
    ).all()
    await index_new_messages(conn, [(row.id, body) for row in posted])
    await conn.execute(
        insert(announcement_rooms),
        [
            {"announcement_id": announcement_id, "room_id": row.room_id, "message_id": row.id}
            for row in posted
        ],
    )
    await conn.execute(update(rooms).where(rooms.c.id.in_(room_ids)).values(last_activity_at=now))
    # The author has read what they posted, in each room (as rooms/community/chat.py).
    own_post = (
        select(announcement_rooms.c.message_id)
        .where(
            announcement_rooms.c.announcement_id == announcement_id,
            announcement_rooms.c.room_id == memberships.c.room_id,
        )
        .scalar_subquery()
    )
    await conn.execute(
        update(memberships)
        .where(memberships.c.user_id == author_id, memberships.c.room_id.in_(room_ids))
        .values(last_read_message_id=own_post)
    )
    return {row.room_id: row.id for row in posted}


async def _announcement(conn: AsyncConnection, announcement_id: int) -> Any:
    row = (
        await conn.execute(select(announcements).where(announcements.c.id == announcement_id))
    ).one_or_none()
    if row is None:
        raise NotFound("no such announcement", "announcement_id")
    return row


async def _view(conn: AsyncConnection, row: Any, reader_id: int) -> dict[str, Any]:
    author = (await conn.execute(select(users).where(users.c.id == row.author_id))).one()
    files = (await media.files_of(conn, [row.id]))[row.id]
    event = (await media.events_of(conn, [row.id], reader_id))[row.id]
    return {
        "id": row.id,
        "title": row.title,
        "text": row.text,
        "public": bool(row.public),
        "author": user_from_row(author).public(),
        "created_at": utc_iso(row.created_at),
        "public_url": f"/a/{row.id}" if row.public else None,
        "attachments": files,
        "event": event,
    }


async def _comments(conn: AsyncConnection, announcement_id: int) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(
            select(announcement_comments, users.c.display_name, rooms.c.name.label("room_name"))
            .join(users, users.c.id == announcement_comments.c.author_id)
            .join(rooms, rooms.c.id == announcement_comments.c.room_id)
            .where(announcement_comments.c.announcement_id == announcement_id)
            .order_by(announcement_comments.c.id)
        )
    ).all()
    return [
        {
            "id": row.id,
            "room_id": row.room_id,
            "room_name": row.room_name,
            "author": {"id": row.author_id, "display_name": row.display_name},
            "text": row.text,
            "created_at": utc_iso(row.created_at),
        }
        for row in rows
    ]


async def _comment_count(conn: AsyncConnection, announcement_id: int) -> int:
    result = await conn.execute(
        select(func.count()).where(announcement_comments.c.announcement_id == announcement_id)
    )
    return int(result.scalar_one())
