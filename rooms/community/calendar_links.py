"""Calendar feed links that can be revoked: a link copied into a phone's calendar app lives for
years and opens the holder's whole agenda, so whoever lost a phone, or shared the link by
mistake, can replace it. The link's token (rooms/community/sessions.py) names a generation;
making a new link moves the account to the next generation, and older links answer 404 from then on.
"""

from __future__ import annotations

from sqlalchemy import update

from rooms.community import sessions
from rooms.community.accounts import User
from rooms.community.schema.accounts import users
from rooms.community.service import CommunityService
from rooms.errors import NotFound


def calendar_url(user_id: int, secret: str, generation: int) -> str:
    """The address of one's own agenda feed, with the feed token calendar apps need."""
    return f"/api/me/calendar.ics?token={sessions.mint_calendar(user_id, secret, generation)}"


def check_generation(user: User, generation: int) -> None:
    """NotFound when a link of `generation` has been replaced by a newer one."""
    if generation != user.calendar_generation:
        raise NotFound(
            "this calendar link was replaced by a new one", "token", reason="calendar_link_replaced"
        )


class CalendarLinks(CommunityService):
    async def rotate(self, user: User) -> int:
        """Revoke every link of the account and return the generation of the new one. One
        statement, so two rotations at once both count (no lost update)."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(calendar_generation=users.c.calendar_generation + 1)
                .returning(users.c.calendar_generation)
            )
            return int(result.scalar_one())
