"""Calendar feed links that can be revoked: a link copied into a phone's calendar app lives for
years and opens the holder's whole agenda, so whoever lost a phone, or shared the link by
mistake, can replace it. The link's token (rooms/sessions.py) names a generation; making a new
link moves the account to the next generation, and older links answer 404 from then on.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.accounts import User
from rooms.errors import NotFound
from rooms.schema import users
from rooms.service import CommunityService


async def calendar_generation(conn: AsyncConnection, user_id: int) -> int:
    result = await conn.execute(select(users.c.calendar_generation).where(users.c.id == user_id))
    generation = result.scalar_one_or_none()
    if generation is None:
        raise NotFound("no such account", "user_id")
    return int(generation)


class CalendarLinks(CommunityService):
    async def generation(self, user_id: int) -> int:
        async with self._db.read() as conn:
            return await calendar_generation(conn, user_id)

    async def check(self, user_id: int, generation: int) -> None:
        """NotFound when a link of `generation` has been replaced by a newer one."""
        if generation != await self.generation(user_id):
            raise NotFound("this calendar link was replaced by a new one", "token")

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
