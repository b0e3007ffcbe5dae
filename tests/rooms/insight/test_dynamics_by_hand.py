"""Rooms falling against their own history, and participation per day and per 28-day month,
on data counted by hand in the comments (the formulas: rooms/insight/dynamics.py and
docs/market-and-insight.md). "Now" is Wednesday 18 November 2026, 11:06 UTC."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.community.schema.chat import messages
from rooms.insight.insight import Insight
from tests.rooms.conftest import Clock
from tests.rooms.test_store import room_with

DAY_MS = 86_400_000


async def posts(
    community: Community, room_id: int, author: User, now: int, days_ago: list[float]
) -> None:
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages),
            [
                {"room_id": room_id, "author_id": author.id, "text": "x", "created_at": now - d}
                for d in (int(days * DAY_MS) for days in days_ago)
            ],
        )


@pytest.fixture
def insight(community: Community, clock: Clock) -> Insight:
    return Insight(community.db, community.bus, clock)


async def test_a_room_falls_below_half_of_its_own_history(
    community: Community, clock: Clock, insight: Insight
) -> None:
    now = int(clock() * 1000)
    before = [30 + 2.2 * n for n in range(36)]  # 36 messages 30-107 days ago: baseline 12
    # Recent: the 28 whole days before today. "Turun": 5 recent, below half of 12: falling.
    # "Tetap": 6 recent, exactly half: not falling. "Kecil": 27 before (a baseline of 9, under
    # 10: too quiet to call) and none recent: not falling either.
    rooms = {}
    for name, before_days, recent in [("turun", before, 5), ("tetap", before, 6)] + [
        ("kecil", before[:27], 0)
    ]:
        room_id, owner = await room_with(community, f"ketua_{name}")
        rooms[room_id] = name
        await posts(community, room_id, owner, now, before_days + [1 + n for n in range(recent)])
    trends = (await insight.view(owner, "trends"))["rows"]  # the last owner: kecil only
    assert [(row["recent"], row["baseline"], row["falling"]) for row in trends] == [(0, 9.0, False)]
    await community.accounts.set_admin(owner.id, True)
    admin = await community.accounts.get(owner.id)
    trends = (await insight.view(admin, "trends"))["rows"]
    found = {rooms[row["room_id"]]: row for row in trends}
    assert (found["turun"]["recent"], found["turun"]["baseline"]) == (5, 12.0)
    assert (found["turun"]["change"], found["turun"]["falling"]) == (-0.58, True)
    assert (found["tetap"]["change"], found["tetap"]["falling"]) == (-0.5, False)
    assert (found["kecil"]["change"], found["kecil"]["falling"]) == (-1.0, False)
    # Falling first, then the steepest change first.
    assert [rooms[row["room_id"]] for row in trends] == ["turun", "kecil", "tetap"]


async def test_participation_per_day_and_per_month(
    community: Community, clock: Clock, insight: Insight
) -> None:
    room_id, ketua, *others = await room_with(community, "ketua", "ani", "budi", "cici", "dedi")
    ani, budi, cici = others[:3]
    now = int(clock() * 1000)
    await posts(community, room_id, ani, now, [40, 2, 0.1])  # 9 October, 16 and 18 November
    await posts(community, room_id, budi, now, [2, 2.01])  # twice on Monday 16 November
    await posts(community, room_id, cici, now, [1])  # Tuesday 17 November, her first
    days = await insight.view(ketua, "participation", room_id, "day", 3)
    # Monday 16: ani (returning: she posted in October) and budi (new), 3 messages; Tuesday
    # 17: cici (new); today so far: ani again.
    assert [
        (row["start"][:10], row["active"], row["new"], row["returning"], row["messages"])
        for row in days["rows"]
    ] == [
        ("2026-11-16", 2, 1, 1, 3),
        ("2026-11-17", 1, 1, 0, 1),
        ("2026-11-18", 1, 0, 1, 1),
    ]
    months = await insight.view(ketua, "participation", room_id, "month", 2)
    # 28-day months on the Monday grid from 5 January 1970: 28 September - 25 October (ani's
    # first post, on 9 October: new) and 26 October on (so far): ani returning, budi and cici
    # new, 5 messages.
    assert [
        (row["start"][:10], row["active"], row["new"], row["returning"], row["messages"])
        for row in months["rows"]
    ] == [
        ("2026-09-28", 1, 1, 0, 1),
        ("2026-10-26", 3, 2, 1, 5),
    ]
