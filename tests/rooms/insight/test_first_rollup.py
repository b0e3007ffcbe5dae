"""Views while the daily roll-up is still catching up on a long history (its first run on an
old database takes minutes at 1,000,000 messages): a view never answers from the part already
rolled up, waits a little for the rest, and past that is refused with a "try again" while
the one catch-up every view and the upkeep job share goes on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rooms.community import activity_days
from rooms.community.community import Community
from rooms.community.database import Database
from rooms.errors import Busy
from tests.rooms.conftest import Clock, register
from tests.rooms.insight.test_insight import Data, admin, build


@pytest.fixture
async def data(community: Community, clock: Clock) -> Data:
    return await build(community, clock)


async def test_a_view_during_a_first_roll_up_does_not_answer_from_part_of_it(
    community: Community, data: Data, clock: Clock
) -> None:
    # One batch of a week from the first message (50 days ago), as another view or the upkeep
    # job leaves it while it goes on: the batch marks the roll-up as just refreshed.
    async with community.db.write() as conn:
        await activity_days.refresh(conn, int(clock() * 1000), days=7)
        assert not await activity_days.caught_up(conn, int(clock() * 1000))
    boss = await admin(community, await register(community, "admin"))
    rooms = (await data.insight.view(boss, "rooms"))["rows"]
    pabrik = next(row for row in rooms if row["room_id"] == data.pabrik)
    # The last four weeks as test_insight.py counts them by hand, not the empty weeks of a
    # roll-up that has reached only 43 days ago.
    assert (pabrik["active"], pabrik["messages"], pabrik["rsvps"]) == (4, 5, 1)


async def test_a_long_first_roll_up_is_shared_and_a_view_past_the_wait_is_told_to_retry(
    community: Community, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = activity_days.catch_up
    started: list[int] = []
    release = asyncio.Event()

    async def long_catch_up(db: Database, now: int, days: int = 7) -> Any:
        started.append(now)
        await release.wait()  # the minutes of a big database
        return await real(db, now, days)

    monkeypatch.setattr(activity_days, "catch_up", long_catch_up)
    data.insight.prepare_wait_s = 0.05
    boss = await admin(community, await register(community, "admin"))
    for view in ("rooms", "participation"):
        with pytest.raises(Busy) as refused:
            await data.insight.view(boss, view)
        assert refused.value.reason == "insight_preparing"
        assert refused.value.retry_after == 30
    # The upkeep job joins the catch-up under way (released, not yet resumed: no await came
    # between) instead of starting a second one.
    release.set()
    await data.insight.maintain()
    assert len(started) == 1
    rooms = (await data.insight.view(boss, "rooms"))["rows"]
    pabrik = next(row for row in rooms if row["room_id"] == data.pabrik)
    assert (pabrik["active"], pabrik["messages"]) == (4, 5)
    assert len(started) == 1  # caught up and fresh: the view read without a new catch-up


async def test_closing_stops_a_catch_up_under_way(
    community: Community, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = asyncio.Event()

    async def endless(db: Database, now: int, days: int = 7) -> int:
        await never.wait()
        return 0

    monkeypatch.setattr(activity_days, "catch_up", endless)
    data.insight.prepare_wait_s = 0.01
    boss = await admin(community, await register(community, "admin"))
    with pytest.raises(Busy):
        await data.insight.view(boss, "trends")
    task = data.insight._catching_up
    assert task is not None and not task.done()
    await data.insight.close()
    assert task.cancelled()
