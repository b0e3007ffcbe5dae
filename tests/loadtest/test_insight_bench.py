"""The insight benchmark on a tiny generated community: it fills an empty database, refuses a
used one, and reports every view's time with the names the checks rely on."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from loadtest.insight_bench import VIEWS, generate, measure
from rooms.community.database import open_database
from rooms.community.schema.accounts import users
from rooms.community.schema.agenda import meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.rooms import memberships


def args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "members": 60,
        "rooms": 4,
        "messages": 600,
        "meetings": 6,
        "repeat": 1,
        "seed": 3,
        "database_url": None,
    }
    return argparse.Namespace(**{**values, **overrides})


async def test_the_benchmark_times_every_view_and_names_its_figures() -> None:
    result = await measure(args(), lambda _line: None)
    assert set(result.view_ms) == set(VIEWS)
    assert result.view_ms_p99 == max(result.view_ms.values())
    # the upkeep job analysed the graph and rolled up the history; the view answered from them
    assert result.relations_s > 0 and result.rollup_s > 0
    assert result.communities >= 1 and result.modularity > 0
    assert result.erase_ms > 0


async def test_generation_fills_the_counts_asked_and_refuses_a_used_database(
    tmp_path: Path,
) -> None:
    db = await open_database(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        now = int(time.time() * 1000)
        await generate(db, 60, 4, 600, 6, 3, now, lambda _line: None)
        async with db.read() as conn:
            counted = [
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (users, messages)
            ]
            joined = (
                await conn.execute(select(func.count()).select_from(memberships))
            ).scalar_one()
            answered, attended = [
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (rsvps, meeting_attendance)
            ]
        assert counted == [60, 600]
        assert 60 <= joined <= 180 and answered > 0 and attended > 0
        with pytest.raises(SystemExit, match="not empty"):
            await generate(db, 60, 4, 600, 6, 3, now, lambda _line: None)
    finally:
        await db.close()
