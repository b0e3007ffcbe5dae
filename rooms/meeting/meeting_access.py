"""Whether a community member's join token still admits them, checked when they say hello.

A member's join token (minted by the HTTP API from their membership, identity `user-ID`, room
`kamar-ROOM` or a town hall's `kamar-ROOM-eEVENT`) is a copy of their standing at minting time.
That standing can end before the token does: they may be removed from the room, or sign out
everywhere, or change their password (which also signs out everywhere). Guest tokens (any other
identity or room) stand on their signature alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from rooms.community.database import Database
from rooms.community.schema.accounts import users
from rooms.community.schema.rooms import memberships
from rooms.errors import Unauthorized
from rooms.meeting.grants import JoinGrant

_MEMBER_IDENTITY = re.compile(r"user-([0-9]{1,18})")
_MEETING_ROOM = re.compile(r"kamar-([0-9]{1,18})(?:-e([0-9]{1,18}))?")


class NotAMember(Unauthorized):
    code = "not_a_member"


@dataclass(frozen=True)
class MemberGrant:
    user_id: int
    room_id: int
    issued_at: int  # seconds since the epoch (claim `iat`)


def attendee(meeting: str, identity: str) -> tuple[int, int, int | None] | None:
    """(member, community room, agenda event or None) of a member in a community room's
    meeting (`kamar-ROOM`, a town hall's `kamar-ROOM-eEVENT`), None for a guest or a meeting
    of no community room."""
    member = _MEMBER_IDENTITY.fullmatch(identity)
    room = _MEETING_ROOM.fullmatch(meeting)
    if member is None or room is None:
        return None
    event = room.group(2)
    return int(member.group(1)), int(room.group(1)), None if event is None else int(event)


def member_grant(grant: JoinGrant) -> MemberGrant | None:
    """The member and community room a grant was minted for, or None for a guest's grant."""
    identity = _MEMBER_IDENTITY.fullmatch(grant.identity)
    room = _MEETING_ROOM.fullmatch(grant.meeting)
    if identity is None or room is None:
        return None
    return MemberGrant(int(identity.group(1)), int(room.group(1)), grant.issued_at or 0)


async def check_member(db: Database, member: MemberGrant) -> None:
    """Unauthorized when the account is gone or signed out everywhere after the token was
    minted, NotAMember when it is no longer in the room. Nothing else is read or changed."""
    query = (
        select(users.c.sessions_valid_after, memberships.c.role)
        .select_from(
            users.outerjoin(
                memberships,
                (memberships.c.user_id == users.c.id) & (memberships.c.room_id == member.room_id),
            )
        )
        .where(users.c.id == member.user_id)
    )
    async with db.read() as conn:
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise Unauthorized("this account no longer exists", reason="account_gone")
    # `iat` has whole seconds and the cut-off milliseconds: a token minted in the same second
    # as the cut-off counts, so one fetched right after a password change is never refused.
    if row.sessions_valid_after and (member.issued_at + 1) * 1000 <= row.sessions_valid_after:
        raise Unauthorized(
            "you signed out everywhere since this link was made; sign in again", reason="signed_out"
        )
    if row.role is None:
        raise NotAMember("you are no longer a member of this room")
