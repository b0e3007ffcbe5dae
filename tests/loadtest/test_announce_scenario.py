"""The announcement scenario: the rows it writes, and one small run against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from loadtest import announce
from rooms.community.database import open_database
from rooms.community.schema import memberships, rooms, users


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


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
async def test_a_small_announcement_reaches_every_connected_member() -> None:
    result = await announce.run_announce(5, 60, 30, lambda _line: None)
    assert (result.rooms, result.members, result.sockets) == (5, 60, 30)
    assert result.delivered == 30 and result.delivered_ratio == 1.0
    assert 0 < result.delivery_ms_p50 <= result.delivery_ms_p99 <= result.delivery_ms_max
    assert result.server_cpu_s is not None and result.server_cpu_s >= 0
