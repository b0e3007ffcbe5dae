"""Participation of one region's members (`region`, a Kemendagri code of any level): the
issue's "active members per day/week/month, per region and room". Counted by hand; the
data set of test_insight.py ("now" is Wednesday 18 November 2026) plus five members in Kota
Bandung (32.73, at several levels below it) and one in Kabupaten Bandung (32.04)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from rooms.community.community import Community
from rooms.community.schema.chat import messages
from rooms.errors import Invalid, NotFound
from tests.rooms.conftest import Clock, register
from tests.rooms.insight.test_insight import Data, admin, build

DAY_MS = 86_400_000
CODES = ["32.73", "32.73.01", "32.73.01.1001", "32.73.02", "32.73", "32.04"]


@pytest.fixture
async def data(community: Community, clock: Clock) -> Data:
    found = await build(community, clock)
    owner = found.people["ketua"]
    for n, code in enumerate(CODES):
        person = await register(community, f"warga{n}", region={"code": code})
        invite = await community.directory.create_invite(owner, found.pabrik, None, None)
        await community.directory.accept_invite(person, invite["code"])
        found.people[f"warga{n}"] = person
    now = int(clock() * 1000)
    # warga1 on Friday 13 November (her first) and Monday the 16th; warga0 on the 16th,
    # warga4 on Tuesday the 17th; warga5, of Kabupaten Bandung, on the 17th.
    posted = [("warga1", 5), ("warga1", 2), ("warga0", 2), ("warga4", 1), ("warga5", 1)]
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages),
            [
                {
                    "room_id": found.pabrik,
                    "author_id": found.people[name].id,
                    "text": "x",
                    "created_at": now - days * DAY_MS,
                }
                for name, days in posted
            ],
        )
    return found


def figures(view: dict[str, object]) -> list[tuple[object, ...]]:
    rows = view["rows"]
    assert isinstance(rows, list)
    keys = ("active", "new", "returning", "messages", "questions")
    return [tuple(row[key] for key in keys) for row in rows]


async def test_a_regions_members_week_by_week(community: Community, data: Data) -> None:
    ketua = data.people["ketua"]
    city = await data.insight.view(ketua, "participation", period="week", count=2, region="32.73")
    # Week of the 9th: warga1 (new). This week: warga0 and warga4 new, warga1 returning; the
    # room's town-hall question is nobody's, so a region's questions are not counted (None).
    assert (city["members"], city["small_group"]) == (5, False)
    assert figures(city) == [(1, 1, 0, 1, None), (3, 2, 1, 3, None)]
    # The province holds both regencies: warga5 too. Without a region, test_insight.py's
    # members as well: budi on the 15th; cici, dedi (an RSVP) and fajar (the small room).
    province = await data.insight.view(ketua, "participation", period="week", count=2, region="32")
    assert province["members"] == 6
    assert figures(province) == [(1, 1, 0, 1, None), (4, 3, 1, 4, None)]
    everyone = await data.insight.view(ketua, "participation", period="week", count=2)
    assert [row["active"] for row in everyone["rows"]] == [2, 7]
    # One member in Kabupaten Bandung: a count, no series.
    alone = await data.insight.view(ketua, "participation", region="32.04")
    assert (alone["members"], alone["small_group"], alone["rows"]) == (1, True, [])
    boss = await admin(community, await register(community, "admin"))
    logged = (await data.insight.audit(boss))["rows"]
    # Each view's region is in the audit log beside its rooms, newest first.
    assert [row["scope"].partition(" region ")[2] for row in logged[:4]] == [
        "32.04",
        "",
        "32",
        "32.73",
    ]


async def test_a_region_that_does_not_exist_or_another_view_is_refused(data: Data) -> None:
    ketua = data.people["ketua"]
    with pytest.raises(NotFound) as unknown:
        await data.insight.view(ketua, "participation", region="32.99")
    assert unknown.value.field == "region"
    with pytest.raises(Invalid) as text:
        await data.insight.view(ketua, "participation", region="Bandung")
    assert text.value.field == "region"
    with pytest.raises(Invalid) as other:
        await data.insight.view(ketua, "rooms", region="32.73")
    assert other.value.field == "region"
