"""The announcement scenario: the rows it writes. One small run against a real server is in
tests/whole/loadtest/test_scenario_runs.py."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from loadtest import announce
from rooms.community.database import open_database
from rooms.community.schema.accounts import users
from rooms.community.schema.rooms import memberships, rooms


async def test_members_are_spread_evenly_over_the_rooms(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kamar.db'}"
    db = await open_database(url)  # migrated, as the started server's is
    await db.close()
    admin = await announce.populate(url, 7, 100, 1_000)
    db = await open_database(url)
    try:
        async with db.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(rooms))).scalar() == 7
            assert (await conn.execute(select(func.count()).select_from(users))).scalar() == 101
            sizes = (
                await conn.execute(
                    select(func.count()).select_from(memberships).group_by(memberships.c.room_id)
                )
            ).scalars()
            assert sorted(sizes) == [14, 14, 14, 14, 14, 15, 15]
            admin_row = (await conn.execute(select(users).where(users.c.id == admin))).one()
            assert admin_row.is_admin
    finally:
        await db.close()
