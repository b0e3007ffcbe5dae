"""The campaign report benchmark's generated data, on a real PostgreSQL database: the report
counts what was generated (sign-ups, flags, activity within its windows)."""

from __future__ import annotations

import time

from loadtest import campaign_report
from rooms.community import activity_days
from rooms.community.database import open_database
from rooms.community.regions.data import loaded_regions
from rooms.organising.report import Scope, recruitment_report


async def test_the_generated_campaign_reports_what_was_generated(
    database_url_postgresql: str,
) -> None:
    await loaded_regions()
    await campaign_report.load(database_url_postgresql, 1200, 5000, lambda _line: None)
    database = await open_database(database_url_postgresql)
    try:
        async with database.write() as conn:
            await activity_days.refresh(conn, int(time.time() * 1000))
        async with database.read() as conn:
            report = await recruitment_report(conn, Scope(campaign_id=1), 1200)
    finally:
        await database.close()
    assert report["signups"] == 200  # members 1,001-1,200; the first 1,000 recruit
    assert report["flagged"] == 4  # every 50th: 1,050, 1,100, 1,150 and 1,200
    assert 0 < report["active_7d"] <= report["active_30d"] <= 200
    assert len(report["leaderboard"]) == 20
    assert sum(row["signups"] for row in report["by_region"]) == 200
    assert sum(day["signups"] for day in report["per_day"]) == 200
