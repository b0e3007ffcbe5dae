"""The recruitment report's parts for the campaign page, on SQLite and PostgreSQL: sign-ups
per channel and per day, and the leaderboard in pages of 20 with each recruiter's rank."""

from __future__ import annotations

from rooms.organising import Organising
from rooms.organising.report import LEADERBOARD_SIZE, Scope
from tests.organising.test_recruitment import DAY, campaign_with_rooms
from tests.rooms.conftest import Clock, register


async def test_the_report_counts_each_channel_and_each_day(
    organising: Organising, clock: Clock
) -> None:
    community = organising.community
    siti = await register(community, "siti")
    campaign, rooms = await campaign_with_rooms(organising, clock, siti)
    budi = await register(community, "budi")
    await organising.recruitment.record(budi, siti, "qr", campaign["id"], "", "")
    await community.chat.post(budi, rooms[0], "Halo")
    clock.now += DAY
    for name in ("cici", "dedi"):
        member = await register(community, name)
        await organising.recruitment.record(member, siti, "link", campaign["id"], "", "")
    report = await organising.report(siti, Scope(campaign_id=campaign["id"]))
    assert report["by_channel"] == [
        {"channel": "link", "signups": 2, "active_7d": 0},
        {"channel": "qr", "signups": 1, "active_7d": 1},
        {"channel": "room_invite", "signups": 0, "active_7d": 0},
    ]
    assert [day["signups"] for day in report["per_day"]] == [1, 2]
    first, second = (day["day"] for day in report["per_day"])
    assert first < second and first.endswith("T00:00:00.000Z")


async def test_the_leaderboard_comes_in_pages_with_ranks(
    organising: Organising, clock: Clock
) -> None:
    """22 members, each recruiting the next: 21 recruiters, the 21st on a second page."""
    community = organising.community
    members = [await register(community, f"anggota{n:02d}") for n in range(LEADERBOARD_SIZE + 2)]
    campaign, _ = await campaign_with_rooms(organising, clock, members[0])
    for recruiter, recruit in zip(members, members[1:], strict=False):
        await organising.recruitment.record(recruit, recruiter, "link", campaign["id"], "", "")
    scope = Scope(campaign_id=campaign["id"])
    first = await organising.report(members[0], scope)
    assert (first["recruiters"], first["leaderboard_offset"]) == (LEADERBOARD_SIZE + 1, 0)
    assert [row["rank"] for row in first["leaderboard"]] == list(range(1, LEADERBOARD_SIZE + 1))
    second = await organising.report(members[0], scope, leaderboard_offset=LEADERBOARD_SIZE)
    assert [(row["rank"], row["recruiter"]["display_name"]) for row in second["leaderboard"]] == [
        (LEADERBOARD_SIZE + 1, members[LEADERBOARD_SIZE].display_name)
    ]
    shown = {row["recruiter"]["id"] for row in first["leaderboard"] + second["leaderboard"]}
    assert shown == {member.id for member in members[:-1]}
