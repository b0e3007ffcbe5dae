"""Community rooms (kamar): create, list, discover, join, invite, members and their roles."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User, user_from_row
from rooms.community.bus import user_topic
from rooms.community.chat import room_topic
from rooms.community.direct_pairs import DIRECT, hidden_from, peers
from rooms.community.events import RoomMember, RoomUpdated
from rooms.community.membership import access, require
from rooms.community.message_views import render
from rooms.community.permissions import may, may_remove, may_set_role
from rooms.community.read_markers import latest_message_ids, unread_count
from rooms.community.regions import check_place, regions
from rooms.community.regions.data import loaded_regions
from rooms.community.schema.accounts import users
from rooms.community.schema.rooms import invites, memberships, rooms
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Conflict, Forbidden, Invalid, NotFound

KINDS = ("work", "network", "region", "school", "profession", "other")
VISIBILITIES = ("public", "invite")
MAX_NAME, MAX_DESCRIPTION = 80, 2000
MAX_INVITE_USES, MAX_INVITE_HOURS = 10_000, 24 * 365


def check_room(name: str, kind: str, description: str, visibility: str) -> dict[str, str]:
    """The columns of a new room, or Invalid naming the field. Pure."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        raise Invalid(f"name must be 1-{MAX_NAME} characters", "name", reason="room_name_length")
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", "kind")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"description is at most {MAX_DESCRIPTION} characters",
            "description",
            reason="description_length",
        )
    if visibility not in VISIBILITIES:
        raise Invalid(f"visibility must be one of {', '.join(VISIBILITIES)}", "visibility")
    return {"name": name, "kind": kind, "description": description, "visibility": visibility}


class Directory(CommunityService):
    async def create(
        self,
        user: User,
        name: str,
        kind: str,
        description: str = "",
        visibility: str = "invite",
        region_code: str = "",
        rt_rw: str = "",
    ) -> dict[str, Any]:
        columns: dict[str, str] = check_room(name, kind, description, visibility)
        if region_code:
            await loaded_regions()  # the first load takes a second: not on the event loop
        columns |= check_place(region_code, rt_rw)
        now = self._now()
        async with self._db.write() as conn:
            room_id = (
                await conn.execute(
                    insert(rooms)
                    .values(**columns, created_by=user.id, created_at=now, last_activity_at=now)
                    .returning(rooms.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(memberships).values(
                    room_id=room_id, user_id=user.id, role="owner", joined_at=now
                )
            )
            [room] = await summaries(conn, user.id, [room_id])
        self._announce_member(room_id, user, "owner")
        return room

    async def get(self, user: User, room_id: int) -> dict[str, Any]:
        async with self._db.read() as conn:
            await access(conn, room_id, user.id)
            [room] = await summaries(conn, user.id, [room_id])
            result = await conn.execute(
                select(users, memberships.c.role, memberships.c.last_read_message_id)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(memberships.c.room_id == room_id)
                .order_by(memberships.c.joined_at, users.c.id)
            )
            room["members"] = [
                {
                    "user": user_from_row(row).public(),
                    "role": row.role,
                    # Read receipts survive a reload: the newest message each member has seen.
                    "last_read_message_id": row.last_read_message_id,
                }
                for row in result
            ]
        return room

    async def list_mine(self, user: User) -> list[dict[str, Any]]:
        async with self._db.read() as conn:
            ids = (
                await conn.execute(
                    select(rooms.c.id)
                    .join(memberships, memberships.c.room_id == rooms.c.id)
                    .where(memberships.c.user_id == user.id)
                    .order_by(rooms.c.last_activity_at.desc(), rooms.c.id.desc())
                )
            ).scalars()
            hidden = await hidden_from(conn, user.id)  # conversations with blocked members
            return await summaries(conn, user.id, [i for i in ids if i not in hidden])

    async def discover(self, user: User, limit: int = 100) -> list[dict[str, Any]]:
        """Public rooms the user is not in, busiest first."""
        mine = select(memberships.c.room_id).where(memberships.c.user_id == user.id)
        async with self._db.read() as conn:
            ids = (
                await conn.execute(
                    select(rooms.c.id)
                    .where(rooms.c.visibility == "public", rooms.c.id.not_in(mine))
                    .order_by(rooms.c.last_activity_at.desc())
                    .limit(limit)
                )
            ).scalars()
            return await summaries(conn, user.id, list(ids))

    async def join_public(self, user: User, room_id: int) -> dict[str, Any]:
        async with self._db.write() as conn:
            standing = await access(conn, room_id, user.id)
            if standing.role is None:
                await self._add_member(conn, room_id, user.id)
            [room] = await summaries(conn, user.id, [room_id])
        if standing.role is None:
            self._announce_member(room_id, user, "member")
        return room

    async def edit(
        self,
        user: User,
        room_id: int,
        name: str | None = None,
        description: str | None = None,
        visibility: str | None = None,
        region_code: str | None = None,
        rt_rw: str | None = None,
    ) -> dict[str, Any]:
        """Change what was given of a room's name, description, visibility and place
        (moderators)."""
        if region_code:
            await loaded_regions()
        async with self._db.write() as conn:
            await require(conn, room_id, user.id, "edit_room")
            row = (await conn.execute(select(rooms).where(rooms.c.id == room_id))).one()
            columns = check_room(
                row.name if name is None else name,
                row.kind,
                row.description if description is None else description,
                row.visibility if visibility is None else visibility,
            )
            columns |= check_place(
                row.region_code if region_code is None else region_code,
                row.rt_rw if rt_rw is None else rt_rw,
            )
            await conn.execute(update(rooms).where(rooms.c.id == room_id).values(**columns))
            [room] = await summaries(conn, user.id, [room_id])
        event: RoomUpdated = {"type": "room_updated", "room_id": room_id, "room": _shared(room)}
        self._bus.publish(room_topic(room_id), event)
        return room

    async def create_invite(
        self, user: User, room_id: int, max_uses: int | None, expires_in_hours: int | None
    ) -> dict[str, Any]:
        if max_uses is not None and not 1 <= max_uses <= MAX_INVITE_USES:
            raise Invalid(f"max_uses must be 1-{MAX_INVITE_USES}", "max_uses")
        if expires_in_hours is not None and not 1 <= expires_in_hours <= MAX_INVITE_HOURS:
            raise Invalid(f"expires_in_hours must be 1-{MAX_INVITE_HOURS}", "expires_in_hours")
        now = self._now()
        expires_at = now + expires_in_hours * 3_600_000 if expires_in_hours else None
        code = secrets.token_urlsafe(9)
        async with self._db.write() as conn:
            await require(conn, room_id, user.id, "invite")
            await conn.execute(
                insert(invites).values(
                    code=code,
                    room_id=room_id,
                    created_by=user.id,
                    created_at=now,
                    expires_at=expires_at,
                    max_uses=max_uses,
                )
            )
        return {
            "code": code,
            "url": f"/#/invite/{code}",
            "expires_at": utc_iso(expires_at),
            "max_uses": max_uses,
        }

    async def accept_invite(self, user: User, code: str) -> dict[str, Any]:
        now = self._now()
        async with self._db.write() as conn:
            invite = (
                await conn.execute(select(invites).where(invites.c.code == code))
            ).one_or_none()
            if invite is None:
                raise NotFound("this invitation does not exist", "code", reason="invite_not_found")
            role = await _role(conn, invite.room_id, user.id)
            if role is None:
                if invite.expires_at is not None and invite.expires_at <= now:
                    raise Conflict("this invitation has expired", "code", reason="invite_expired")
                if invite.max_uses is not None and invite.uses >= invite.max_uses:
                    raise Conflict(
                        "this invitation has been used up", "code", reason="invite_used_up"
                    )
                await conn.execute(
                    update(invites).where(invites.c.code == code).values(uses=invites.c.uses + 1)
                )
                await self._add_member(conn, invite.room_id, user.id)
            [room] = await summaries(conn, user.id, [invite.room_id])
        if role is None:
            self._announce_member(invite.room_id, user, "member")
        return room

    async def set_role(
        self, user: User, room_id: int, target_id: int, new_role: str
    ) -> dict[str, Any]:
        async with self._db.write() as conn:
            standing = await require(conn, room_id, user.id, "read")
            target_role = await _role(conn, room_id, target_id)
            if target_role is None:
                raise NotFound(
                    "that account is not a member of this room",
                    "user_id",
                    reason="not_a_member_account",
                )
            if new_role not in ("owner", "moderator", "member"):
                raise Invalid("role must be owner, moderator or member", "role")
            if not may_set_role(standing.role, target_role, new_role):
                raise Forbidden(
                    "only an owner can change roles, and not another owner's",
                    reason="role_forbidden",
                )
            await conn.execute(
                update(memberships)
                .where(memberships.c.room_id == room_id, memberships.c.user_id == target_id)
                .values(role=new_role)
            )
            target = user_from_row(
                (await conn.execute(select(users).where(users.c.id == target_id))).one()
            )
        self._announce_member(room_id, target, new_role)
        return {"user": target.public(), "role": new_role}

    async def remove(self, user: User, room_id: int, target_id: int) -> None:
        async with self._db.write() as conn:
            standing = await require(conn, room_id, user.id, "read")
            target_role = await _role(conn, room_id, target_id)
            if target_role is None:
                raise NotFound(
                    "that account is not a member of this room",
                    "user_id",
                    reason="not_a_member_account",
                )
            if standing.kind == DIRECT:
                raise Conflict(
                    "a direct conversation cannot be left; block the member instead",
                    "user_id",
                    reason="dm_cannot_leave",
                )
            is_self = target_id == user.id
            if not may_remove(standing.role, target_role, is_self):
                raise Forbidden(
                    "your role does not allow removing this member", reason="role_forbidden"
                )
            if target_role == "owner" and await _owner_count(conn, room_id) == 1:
                raise Conflict(
                    "the last owner cannot leave; make someone else owner first",
                    "user_id",
                    reason="last_owner",
                )
            await conn.execute(
                delete(memberships).where(
                    memberships.c.room_id == room_id, memberships.c.user_id == target_id
                )
            )
            target = user_from_row(
                (await conn.execute(select(users).where(users.c.id == target_id))).one()
            )
        self._announce_member(room_id, target, None)

    async def _add_member(self, conn: AsyncConnection, room_id: int, user_id: int) -> None:
        await conn.execute(
            insert(memberships).values(
                room_id=room_id, user_id=user_id, role="member", joined_at=self._now()
            )
        )

    def _announce_member(self, room_id: int, user: User, role: str | None) -> None:
        event: RoomMember = {
            "type": "room_member",
            "room_id": room_id,
            "user": user.public(),
            "role": role,
        }
        self._bus.publish(room_topic(room_id), event)
        # The member's own sockets learn to follow (or stop following) the room.
        self._bus.publish(user_topic(user.id), event)


async def summaries(conn: AsyncConnection, user_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """Room cards in the order of `ids`, with the caller's role, unread count, last message.

    The last message only for rooms whose history the caller may read: a public room's card
    shows its name to anyone, its conversation only to members."""
    if not ids:
        return []
    counts: dict[int, int] = dict(
        (
            await conn.execute(
                select(memberships.c.room_id, func.count())
                .where(memberships.c.room_id.in_(ids))
                .group_by(memberships.c.room_id)
            )
        ).all()
    )
    roles = dict(
        (
            await conn.execute(
                select(memberships.c.room_id, memberships.c.role).where(
                    memberships.c.room_id.in_(ids), memberships.c.user_id == user_id
                )
            )
        ).all()
    )
    readable = [room_id for room_id in ids if may(roles.get(room_id), "read")]
    newest = await latest_message_ids(conn, readable)
    last = {message["room_id"]: message for message in await render(conn, list(newest.values()))}
    rows = {row.id: row for row in await conn.execute(select(rooms).where(rooms.c.id.in_(ids)))}
    if any(row.region_code for row in rows.values()):
        await loaded_regions()
    others = await peers(conn, user_id, [i for i in ids if rows[i].kind == DIRECT])
    out = []
    for room_id in ids:
        row = rows[room_id]
        role = roles.get(room_id)
        out.append(
            {
                "id": row.id,
                # A direct conversation is called after the other member, for each of them.
                "name": others[room_id]["display_name"] if room_id in others else row.name,
                "kind": row.kind,
                "description": row.description,
                "visibility": row.visibility,
                "region": room_place(row.region_code, row.rt_rw),
                "my_role": role,
                "member_count": counts.get(room_id, 0),
                "unread": await unread_count(conn, room_id, user_id) if role else 0,
                "last_message": last.get(room_id),
                "direct_with": others.get(room_id),
            }
        )
    return out


async def _role(conn: AsyncConnection, room_id: int, user_id: int) -> str | None:
    result = await conn.execute(
        select(memberships.c.role).where(
            memberships.c.room_id == room_id, memberships.c.user_id == user_id
        )
    )
    role: str | None = result.scalar_one_or_none()
    return role


async def _owner_count(conn: AsyncConnection, room_id: int) -> int:
    result = await conn.execute(
        select(func.count()).where(memberships.c.room_id == room_id, memberships.c.role == "owner")
    )
    return int(result.scalar_one())


def room_place(code: str, rt_rw: str) -> dict[str, str]:
    """A room's place on its card: code, RT/RW and a label to show ("Sukarasa, Sukasari,
    Kota Bandung, Jawa Barat"); the index must be loaded when there is a code."""
    label = regions().describe(code)["label"] if code else ""
    return {"code": code, "rt_rw": rt_rw, "label": label}


def _shared(room: dict[str, Any]) -> dict[str, Any]:
    """A room card as every member may see it: without the reader's own role and counts."""
    keys = ("id", "name", "kind", "description", "visibility", "region")
    return {key: room[key] for key in keys}
