"""Who may see member insight, what each of them sees, and the audit log of every view.

Administrators, and accounts an administrator granted insight, see the whole organisation;
owners and moderators of rooms see their own rooms; everyone else is refused (UU 27/2022:
personal data is processed only by those who need it). Every view answered is written to
insight_audit first, so the log holds even the views whose answer was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.schema.accounts import users
from rooms.community.schema.insight import insight_audit, insight_grants
from rooms.community.schema.rooms import memberships, rooms
from rooms.community.timefmt import utc_iso
from rooms.errors import Forbidden, NotFound

# Groups (rooms, regions, communities of the relation graph) smaller than this are shown only
# as a count of members: a breakdown of three people points at each of them.
SMALL_GROUP = 5


@dataclass(frozen=True)
class Scope:
    viewer: User
    room_ids: frozenset[int] | None  # None: every room of the organisation
    # Only the members whose region (users.region_code) is this Kemendagri code or inside
    # it: "32.73" is Kota Bandung and its districts and villages. "" for everyone.
    region: str = ""

    def describe(self) -> str:
        where = " region " + self.region if self.region else ""
        if self.room_ids is None:
            return "organisation" + where
        return ("rooms " + ",".join(str(r) for r in sorted(self.room_ids)))[:170] + where

    def covers(self, room_id: int) -> bool:
        return self.room_ids is None or room_id in self.room_ids


async def scope_of(conn: AsyncConnection, viewer: User) -> Scope:
    if viewer.is_admin or await _granted(conn, viewer.id):
        return Scope(viewer, None)
    organised = await conn.execute(
        select(memberships.c.room_id).where(
            memberships.c.user_id == viewer.id, memberships.c.role.in_(("owner", "moderator"))
        )
    )
    room_ids = frozenset(organised.scalars())
    if not room_ids:
        raise Forbidden(
            "insight is for organisers: room owners and moderators, administrators, and "
            "accounts an administrator granted it"
        )
    return Scope(viewer, room_ids)


async def narrowed(conn: AsyncConnection, scope: Scope, room_id: int | None) -> Scope:
    """The scope cut down to one room the viewer organises (or any room, organisation-wide)."""
    if room_id is None:
        return scope
    exists = (await conn.execute(select(rooms.c.id).where(rooms.c.id == room_id))).first()
    if exists is None or not scope.covers(room_id):
        raise NotFound("no such room among those you organise", "room_id")
    return Scope(scope.viewer, frozenset({room_id}))


async def record_view(conn: AsyncConnection, scope: Scope, view: str, at_ms: int) -> None:
    await conn.execute(
        insert(insight_audit).values(
            viewer_id=scope.viewer.id, view=view, scope=scope.describe(), at=at_ms
        )
    )


async def audit_log(conn: AsyncConnection, limit: int = 500) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(insight_audit, users.c.display_name)
        .outerjoin(users, users.c.id == insight_audit.c.viewer_id)
        .order_by(insight_audit.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": utc_iso(row.at),
            "viewer_id": row.viewer_id,
            "viewer": row.display_name,
            "view": row.view,
            "scope": row.scope,
        }
        for row in rows
    ]


async def set_grant(
    conn: AsyncConnection, admin: User, user_id: int, granted: bool, now: int
) -> None:
    if not admin.is_admin:
        raise Forbidden("only an administrator grants insight")
    found = await conn.execute(
        select(users.c.id).where(users.c.id == user_id, users.c.erased_at.is_(None))
    )
    if found.first() is None:  # deleted accounts (users.erased_at) included
        raise NotFound("no such account", "user_id")
    await conn.execute(delete(insight_grants).where(insight_grants.c.user_id == user_id))
    if granted:
        await conn.execute(
            insert(insight_grants).values(user_id=user_id, granted_by=admin.id, granted_at=now)
        )


async def _granted(conn: AsyncConnection, user_id: int) -> bool:
    found = await conn.execute(
        select(insight_grants.c.user_id).where(insight_grants.c.user_id == user_id)
    )
    return found.first() is not None
