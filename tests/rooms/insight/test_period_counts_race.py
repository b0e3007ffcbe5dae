"""Two processes counting the same past periods at once (two nodes, or `kamar serve --workers`,
each serving an organiser's view or running the upkeep): the second waits for the first and
finds the periods kept, instead of failing on period_counts' primary key. PostgreSQL only:
SQLite's writers take the database one at a time."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from rooms.community import activity_days
from rooms.community.community import Community
from rooms.community.schema.activity import period_counts
from rooms.insight.access import Scope
from rooms.insight.insight import MAINTENANCE
from rooms.insight.participation import count_past_periods
from tests.conftest import eventually
from tests.rooms.conftest import Clock
from tests.rooms.insight.test_insight import build


async def test_two_counts_of_the_same_periods_at_once_keep_each_period_once(
    community: Community, clock: Clock
) -> None:
    db = community.db
    if db.is_sqlite:
        pytest.skip("SQLite takes one writer at a time: no race to lose")
    await build(community, clock)
    now = int(clock() * 1000)
    await activity_days.catch_up(db, now)  # days before today are final: periods to count
    organisation = Scope(MAINTENANCE, None)
    async with db.write() as first:
        await count_past_periods(first, organisation, "day", 7, now)
        second = asyncio.create_task(_count(community, organisation, now))
        await eventually(lambda: _waiting(community), what="the second count waiting")
    await asyncio.wait_for(second, 10)  # no IntegrityError on the primary key
    async with db.read() as conn:
        kept = (await conn.execute(select(func.count()).select_from(period_counts))).scalar()
    assert kept == 6  # the final days among the seven asked for, each once


async def _count(community: Community, organisation: Scope, now: int) -> None:
    async with community.db.write() as conn:
        await count_past_periods(conn, organisation, "day", 7, now)


async def _waiting(community: Community) -> bool:
    async with community.db.read() as conn:
        waiting = await conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        return bool(waiting.scalar())
