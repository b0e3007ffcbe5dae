"""Deleting an account (UU 27/2022, the right to erasure; docs/security.md "Deleting an
account"): by the member, who confirms with their password, or by an administrator, which the
administrators' audit log records.

What goes and what stays, in one transaction:
- Every row that is the member's alone goes: each table whose foreign key to `users` says
  ON DELETE CASCADE is emptied of the member's rows, found from the schema itself, so a table
  added later is covered without a change here. That is their memberships, RSVPs, poll votes,
  listings (with their photos), reports they filed, blocks, referral codes and the referrals
  naming them (as recruit or as recruiter), meeting attendance, every row of the activity
  roll-up, read marks, mutes, push subscriptions and insight grants. Columns whose key says
  SET NULL (who granted insight, who viewed insight) forget them.
- Their messages, photos and videos in rooms, polls, events, announcements and rooms they
  created stay where others read them, under a "deleted member" (the account row emptied of
  name, login, phone, region and password, marked `erased_at`), as a group chat member
  expects: others' replies and quotes keep their meaning. Their direct conversations stay
  with the other member. Town-hall questions they asked lose their name.
- The organisation's counted past periods are recounted (`period_counts` emptied), and the
  roll-up never counts the kept messages again (rooms/community/activity_days.py), so no
  insight view, CSV or relation graph shows them afterwards.
- A room where they were the only owner gets the longest-standing moderator, else member, as
  owner, so no room is left without one. The last administrator cannot be deleted.

After the commit their sessions end everywhere (the bus's "sessions_revoked", which closes
feed sockets on every node), their rooms learn they left, and their profile photo is deleted;
the caller deletes the listing photos' files (`Erased.listing_photos`, the market's files) and
the partial files of unfinished uploads (`Erased.upload_tokens`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.avatars import Avatars
from rooms.community.bus import Bus, user_topic
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.events import RoomMember, SessionsRevoked
from rooms.community.schema import metadata
from rooms.community.schema.accounts import admin_audit, users
from rooms.community.schema.activity import period_counts
from rooms.community.schema.agenda import event_questions
from rooms.community.schema.chat import resumable_uploads
from rooms.community.schema.market import listing_photos
from rooms.community.schema.rooms import direct_chats, memberships, rooms
from rooms.errors import Conflict, Forbidden, NotFound

DIRECT = "direct"
# Rows that stay although their key cascades: a direct conversation stays the other
# member's, with its history, as their group rooms do.
KEPT_TABLES = frozenset({direct_chats.name})
ERASED_IDENTITY = "erased"  # a town-hall question's `identity` once its asker is deleted
# Every session of a deleted account is older than this (ms): the feed closes them all, even
# one issued in the same millisecond as the deletion.
SIGNED_OUT_FOREVER = 2**62


@dataclass
class Erased:
    user_id: int
    room_ids: list[int] = field(default_factory=list)
    new_owners: list[tuple[int, User]] = field(default_factory=list)  # (room, promoted)
    listing_photos: list[Any] = field(default_factory=list)  # rows with path, thumbnail_path
    upload_tokens: list[str] = field(default_factory=list)  # unfinished resumable uploads


def personal_columns(now: int) -> dict[str, Any]:
    """The account row once deleted: nothing that names, reaches or signs in as the member.
    Pure."""
    return {
        "username": None,
        "phone": None,
        "password_hash": "",  # no argon2 hash: nothing ever verifies against it
        "display_name": "",  # clients show "deleted member" for an empty name
        "organisation": "",
        "province": "",
        "city": "",
        "rt_rw": "",
        "region_code": "",
        "is_admin": False,
        "sessions_valid_after": SIGNED_OUT_FOREVER,
        "calendar_generation": users.c.calendar_generation + 1,
        "erased_at": now,
    }


def user_foreign_keys() -> list[tuple[Any, Any, str]]:
    """(table, column, ondelete) of every foreign key to users.id, from the schema. Pure."""
    found = []
    for table in metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column is users.c.id:
                found.append((table, key.parent, (key.ondelete or "").upper()))
    return found


class Erasure:
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], avatars: Avatars
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._avatars = avatars

    async def erase(self, user_id: int, by_admin: User | None = None) -> Erased:
        """Delete an account (see the module's docstring); `by_admin` when an administrator
        does it, written to the audit log. The member's own request checks their password
        first (Accounts.check_password)."""
        if by_admin is not None and not by_admin.is_admin:
            raise Forbidden("only an administrator deletes another member's account")
        now = int(self._clock() * 1000)
        async with self._db.write() as conn:
            erased = await _erase_rows(conn, user_id, now)
            if by_admin is not None:
                await conn.execute(
                    insert(admin_audit).values(
                        admin_id=by_admin.id, action="delete_account", target_id=user_id, at=now
                    )
                )
        self._announce(erased)
        await asyncio.to_thread(self._avatars.path_of(user_id).unlink, missing_ok=True)
        return erased

    def _announce(self, erased: Erased) -> None:
        revoked: SessionsRevoked = {"type": "sessions_revoked", "before_ms": SIGNED_OUT_FOREVER}
        self._bus.publish(user_topic(erased.user_id), revoked)
        gone = {"id": erased.user_id, "display_name": "", "organisation": "", "region": {}}
        for room_id in erased.room_ids:
            left: RoomMember = {
                "type": "room_member",
                "room_id": room_id,
                "user": gone,
                "role": None,
            }
            self._bus.publish(room_topic(room_id), left)
        for room_id, owner in erased.new_owners:
            promoted: RoomMember = {
                "type": "room_member",
                "room_id": room_id,
                "user": owner.public(),
                "role": "owner",
            }
            self._bus.publish(room_topic(room_id), promoted)
            self._bus.publish(user_topic(owner.id), promoted)


async def _erase_rows(conn: AsyncConnection, user_id: int, now: int) -> Erased:
    row = (
        await conn.execute(select(users).where(users.c.id == user_id, users.c.erased_at.is_(None)))
    ).one_or_none()
    if row is None:
        raise NotFound("no such account", "user_id", reason="account_gone")
    if row.is_admin and await _admin_count(conn) == 1:
        raise Conflict(
            "the last administrator cannot be deleted; make someone else administrator first",
            "user_id",
            reason="last_admin",
        )
    erased = Erased(user_id)
    found = await conn.execute(
        select(memberships.c.room_id).where(memberships.c.user_id == user_id)
    )
    erased.room_ids = sorted(found.scalars())
    erased.new_owners = await _hand_over_rooms(conn, user_id)
    erased.listing_photos = list(
        await conn.execute(
            select(listing_photos.c.path, listing_photos.c.thumbnail_path).where(
                listing_photos.c.uploader_id == user_id
            )
        )
    )
    found = await conn.execute(
        select(resumable_uploads.c.token).where(resumable_uploads.c.user_id == user_id)
    )
    erased.upload_tokens = list(found.scalars())
    await conn.execute(
        update(event_questions)
        .where(event_questions.c.identity == f"user-{user_id}")
        .values(identity=ERASED_IDENTITY, name="")
    )
    for table, column, ondelete in user_foreign_keys():
        if ondelete == "CASCADE" and table.name not in KEPT_TABLES:
            await conn.execute(delete(table).where(column == user_id))
        elif ondelete == "SET NULL":
            await conn.execute(update(table).where(column == user_id).values({column.name: None}))
    # Past periods counted them as active: counted again, without them, at the next view.
    await conn.execute(delete(period_counts))
    await conn.execute(update(users).where(users.c.id == user_id).values(personal_columns(now)))
    return erased


async def _admin_count(conn: AsyncConnection) -> int:
    found = await conn.execute(
        select(func.count()).where(users.c.is_admin.is_(True), users.c.erased_at.is_(None))
    )
    return int(found.scalar_one())


async def _hand_over_rooms(conn: AsyncConnection, user_id: int) -> list[tuple[int, User]]:
    """Rooms (not direct conversations) where the member is the only owner get a new one:
    the longest-standing moderator, else the longest-standing member."""
    owned = await conn.execute(
        select(memberships.c.room_id)
        .join(rooms, rooms.c.id == memberships.c.room_id)
        .where(
            memberships.c.user_id == user_id,
            memberships.c.role == "owner",
            rooms.c.kind != DIRECT,
        )
    )
    promoted = []
    for room_id in list(owned.scalars()):
        others = (
            await conn.execute(
                select(memberships.c.user_id, memberships.c.role)
                .where(memberships.c.room_id == room_id, memberships.c.user_id != user_id)
                .order_by(memberships.c.joined_at, memberships.c.user_id)
            )
        ).all()
        if not others or any(other.role == "owner" for other in others):
            continue
        rank = {"moderator": 0, "member": 1}
        heir = min(others, key=lambda other: rank.get(other.role, 2))  # stable: by seniority
        await conn.execute(
            update(memberships)
            .where(memberships.c.room_id == room_id, memberships.c.user_id == heir.user_id)
            .values(role="owner")
        )
        heir_row = (await conn.execute(select(users).where(users.c.id == heir.user_id))).one()
        promoted.append((room_id, user_from_row(heir_row)))
    return promoted
