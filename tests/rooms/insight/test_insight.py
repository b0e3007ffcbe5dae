"""Member insight on SQLite and PostgreSQL, on a small data set whose every number is worked
out by hand in the comments: participation, new and returning, room trends, members slipping
away, readiness per region, who may see what, small groups, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.community.schema.agenda import event_questions, events, rsvps
from rooms.community.schema.chat import messages
from rooms.errors import Forbidden, Invalid, NotFound
from rooms.insight.dynamics import region_figures
from rooms.insight.insight import Insight
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import room_with

DAY_MS = 86_400_000


@dataclass
class Data:
    insight: Insight
    pabrik: int  # six members: ketua (owner), ani, budi, cici, dedi, euis
    kecil: int  # three members: ketua, fajar, gita (a small group)
    people: dict[str, User]


async def build(community: Community, clock: Clock) -> Data:
    pabrik, *six = await room_with(community, "ketua", "ani", "budi", "cici", "dedi", "euis")
    people = {user.username: user for user in six if user.username}
    fajar = await register(community, "fajar", region={"province": "Jawa Barat", "city": "Bandung"})
    gita = await register(community, "gita")
    kecil = await community.directory.create(people["ketua"], "Kecil", "work")
    for person in (fajar, gita):
        invite = await community.directory.create_invite(people["ketua"], kecil["id"], None, None)
        await community.directory.accept_invite(person, invite["code"])
    people |= {"fajar": fajar, "gita": gita}
    await write_history(community, pabrik, kecil["id"], people, int(clock() * 1000))
    return Data(Insight(community.db, community.bus, clock), pabrik, kecil["id"], people)


async def write_history(
    community: Community, pabrik: int, kecil: int, people: dict[str, User], now: int
) -> None:
    """Who posted when, and a town hall a day ago (`town_hall_a_day_ago`)."""

    def ago(days: float) -> int:
        return int(now - days * DAY_MS)

    async with community.db.write() as conn:
        posts = [
            ("ani", 20),
            ("ani", 10),
            ("ani", 40),
            ("ani", 50),  # ani: active before, not since
            ("budi", 10),
            ("budi", 3),  # budi: first active 10 days ago
            ("cici", 2),  # cici: first ever 2 days ago
        ]
        await conn.execute(
            insert(messages),
            [
                {"room_id": pabrik, "author_id": people[name].id, "text": "x", "created_at": ago(d)}
                for name, d in posts
            ]
            + [
                {
                    "room_id": kecil,
                    "author_id": people["fajar"].id,
                    "text": "x",
                    "created_at": ago(1),
                }
            ],
        )
        await town_hall_a_day_ago(conn, pabrik, people, ago)


async def town_hall_a_day_ago(
    conn: AsyncConnection, pabrik: int, people: dict[str, User], ago: Callable[[float], int]
) -> None:
    """A town hall in pabrik a day ago, dedi's RSVP to it and euis's question in it."""
    event_id = (
        await conn.execute(
            insert(events)
            .values(
                room_id=pabrik,
                title="Rapat",
                kind="town_hall",
                starts_at=ago(1),
                ends_at=ago(0.9),
                timezone="Asia/Jakarta",
                created_by=people["ketua"].id,
                created_at=ago(5),
            )
            .returning(events.c.id)
        )
    ).scalar_one()
    await conn.execute(
        insert(rsvps).values(
            event_id=event_id, user_id=people["dedi"].id, response="going", updated_at=ago(1)
        )
    )
    await conn.execute(
        insert(event_questions).values(
            event_id=event_id,
            stage="s1",
            number=1,
            identity=f"user-{people['euis'].id}",
            name="Euis",
            text="Kapan?",
            asked_at=ago(1),
        )
    )


@pytest.fixture
async def data(community: Community, clock: Clock) -> Data:
    return await build(community, clock)


async def admin(community: Community, user: User) -> User:
    await community.accounts.set_admin(user.id, True)
    return await community.accounts.get(user.id)


async def test_weekly_participation_of_a_room_by_hand(data: Data) -> None:
    ketua = data.people["ketua"]
    view = await data.insight.view(ketua, "participation", data.pabrik, "week", 2)
    # Weeks run Monday to Sunday; "now" is Wednesday 18 November. Week 0 (9-15 November):
    # budi posted on Sunday the 15th (3 days ago), returning (he first posted 10 days ago, on
    # Sunday the 8th, the week before). Week 1 (from Monday the 16th, so far): cici (2 days
    # ago, her first: new, message) and dedi (yesterday, RSVP: new); euis only asked a
    # question, which is counted but does not make her active.
    assert [
        (r["active"], r["new"], r["returning"], r["messages"], r["rsvps"], r["questions"])
        for r in view["rows"]
    ] == [(1, 0, 1, 1, 0, 0), (2, 2, 0, 1, 1, 1)]
    assert [r["start"] for r in view["rows"]] == [
        "2026-11-09T00:00:00.000Z",
        "2026-11-16T00:00:00.000Z",
    ]
    assert view["members"] == 6 and view["small_group"] is False


async def test_a_small_room_is_shown_only_as_a_count(data: Data) -> None:
    ketua = data.people["ketua"]
    view = await data.insight.view(ketua, "participation", data.kecil, "day", 7)
    assert (view["members"], view["small_group"], view["rows"]) == (3, True, [])
    table = (await data.insight.view(ketua, "rooms"))["rows"]
    small = next(row for row in table if row["room_id"] == data.kecil)
    assert (small["members"], small["active"], small["messages"]) == (3, None, None)
    big = next(row for row in table if row["room_id"] == data.pabrik)
    # the last four weeks: ani (20, 10 days), budi (10, 3), cici (2): 5 messages; active:
    # ani, budi, cici and dedi (RSVP)
    assert (big["members"], big["active"], big["messages"], big["rsvps"], big["questions"]) == (
        6,
        4,
        5,
        1,
        1,
    )


async def test_members_slipping_away_were_active_on_three_days_before_and_silent_since(
    data: Data,
) -> None:
    # ani posted 50, 40 (before the last 28 days) and 20, 10 days ago (within them): not
    # slipping. Move the clock 30 days on: her 4 days now lie before, and nothing since.
    # (In that order: the roll-up's mark, like time, only moves forward.)
    assert (await data.insight.view(data.people["ketua"], "slipping"))["rows"] == []
    later = Insight(
        data.insight._db, data.insight._bus, lambda: data.insight._clock() + 30 * 86_400
    )
    slipping = (await later.view(data.people["ketua"], "slipping"))["rows"]
    assert [row["name"] for row in slipping] == ["Ani"]
    assert slipping[0]["active_days_before"] == 4


async def test_a_member_cannot_read_insight_and_an_organiser_only_their_rooms(
    community: Community, data: Data
) -> None:
    with pytest.raises(Forbidden):
        await data.insight.view(data.people["ani"], "rooms")
    await community.directory.set_role(
        data.people["ketua"], data.kecil, data.people["fajar"].id, "moderator"
    )
    fajar = data.people["fajar"]
    rooms = (await data.insight.view(fajar, "rooms"))["rows"]
    assert [row["room_id"] for row in rooms] == [data.kecil]
    with pytest.raises(NotFound):
        await data.insight.view(fajar, "participation", data.pabrik)
    with pytest.raises(Invalid):
        await data.insight.view(fajar, "participation", period="year")


async def test_an_administrator_grants_insight_and_every_view_is_audited(
    community: Community, data: Data
) -> None:
    boss = await admin(community, await register(community, "admin"))
    ani = data.people["ani"]
    with pytest.raises(Forbidden):
        await data.insight.grant(ani, ani.id, True)
    await data.insight.grant(boss, ani.id, True)
    assert (await data.insight.view(ani, "rooms"))["scope"] == "organisation"
    await data.insight.view(boss, "relations")
    await data.insight.grant(boss, ani.id, False)
    with pytest.raises(Forbidden):
        await data.insight.view(ani, "rooms")
    log = (await data.insight.audit(boss))["rows"]
    assert [(row["viewer"], row["view"], row["scope"]) for row in log] == [
        ("Admin", "relations", "organisation"),
        ("Ani", "rooms", "organisation"),
    ]
    with pytest.raises(Forbidden):
        await data.insight.audit(ani)


async def test_regions_get_a_readiness_score_only_when_big_enough(
    community: Community, data: Data
) -> None:
    boss = await admin(community, await register(community, "admin"))
    rows = (await data.insight.view(boss, "regions"))["rows"]
    # Seven members wrote no region ("/" once trimmed), fajar wrote Jawa Barat / Bandung.
    by_region = {row["region"]: row for row in rows}
    alone = by_region["Jawa Barat / Bandung"]
    assert (alone["members"], alone["score"], alone["small_group"]) == (1, None, True)
    blank = by_region["/"]
    # 7 members (ketua, ani, budi, cici, dedi, euis, gita): active in 28 days: ani, budi, cici,
    # dedi = 4/7; going: dedi = 1/7; messages of theirs: 5 recent, 2 before (ani at 40 and 50
    # days), baseline 2/3, trend min(1, 5 / 0.67) = 1. Score 100 (0.5 4/7 + 0.3 1/7 + 0.2) = 53.
    assert (blank["members"], blank["score"]) == (7, 53)
    assert (blank["active"], blank["going"], blank["trend"]) == (0.571, 0.143, 1.0)
    # Its trend as a room's: 5 messages against a baseline of 2 / 3, up 650%, not falling.
    assert (blank["recent"], blank["baseline"], blank["change"]) == (5, 0.7, 6.5)
    assert blank["falling"] is False
    assert alone["recent"] is None and alone["change"] is None  # one person: no figures


@pytest.mark.parametrize(
    ("members", "active", "going", "recent", "before", "score", "change", "falling"),
    [
        (10, 10, 10, 30, 90, 100, 0.0, False),  # everyone active and going, talk steady
        (10, 0, 0, 0, 0, 0, None, False),  # nobody, nothing: no baseline, no trend
        (10, 5, 0, 0, 0, 25, None, False),  # half active (RSVPs and meetings), no messages
        (10, 5, 2, 14, 90, 40, -0.53, True),  # 14 against 30 a month: below half, falling
        (10, 5, 2, 15, 90, 41, -0.5, False),  # exactly half is not below it
        (10, 2, 0, 4, 27, 19, -0.56, False),  # a baseline of 9 is too small to call falling
    ],
)
def test_a_regions_readiness_and_trend_by_hand(
    members: int,
    active: int,
    going: int,
    recent: int,
    before: int,
    score: int,
    change: float | None,
    falling: bool,
) -> None:
    found = region_figures(members, active, going, recent, before)
    assert (found["score"], found["change"], found["falling"]) == (score, change, falling)


async def test_a_member_sees_what_is_kept_about_them(data: Data) -> None:
    mine = await data.insight.about_me(data.people["euis"])
    assert mine["kept"] == {
        "rooms": 1,
        "messages": 0,
        "rsvps": 0,
        "questions": 1,
        "listings": 0,
        "meetings_attended": 0,
        "activity_days": 0,  # a question alone does not make one active
    }
    assert mine["derived_data_stored"] is True
    budi = await data.insight.about_me(data.people["budi"])
    # budi posted 10 and 3 days ago: two active days, in weeks 10 and 11 of the twelve.
    assert budi["kept"]["activity_days"] == 2
    assert [(w["active_days"], w["messages"]) for w in budi["weeks"][-3:]] == [
        (1, 1),
        (1, 1),
        (0, 0),
    ]


async def test_relations_of_the_data_set(community: Community, data: Data) -> None:
    boss = await admin(community, await register(community, "admin"))
    view = await data.insight.view(boss, "relations")
    # No replies, one event with one person going: no edges, everyone isolated.
    assert (view["rows"], view["isolated"], view["members"]) == ([], 8, 8)


async def test_replies_and_meeting_together_make_the_graph_and_small_groups_stay_unnamed(
    community: Community, data: Data, clock: Clock
) -> None:
    boss = await admin(community, await register(community, "admin"))
    six = ["ketua", "ani", "budi", "cici", "dedi", "euis"]
    now = int(clock() * 1000)
    async with community.db.write() as conn:
        first = (
            await conn.execute(
                insert(messages)
                .values(
                    room_id=data.pabrik, author_id=data.people["ketua"].id, text="?", created_at=now
                )
                .returning(messages.c.id)
            )
        ).scalar_one()
        # Everyone in the factory room answers the chair; gita answers fajar in the small room.
        await conn.execute(
            insert(messages),
            [
                {
                    "room_id": data.pabrik,
                    "author_id": data.people[name].id,
                    "text": "!",
                    "reply_to": first,
                    "created_at": now,
                }
                for name in six[1:]
            ],
        )
        question = (
            await conn.execute(
                insert(messages)
                .values(
                    room_id=data.kecil, author_id=data.people["fajar"].id, text="?", created_at=now
                )
                .returning(messages.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(messages).values(
                room_id=data.kecil,
                author_id=data.people["gita"].id,
                text="!",
                reply_to=question,
                created_at=now,
            )
        )
    view = await data.insight.view(boss, "relations")
    assert [(row["size"], row["members"]) for row in view["rows"]] == [
        (6, "Ketua, Ani, Budi, Cici, Dedi, Euis"),
        (2, None),
    ]
    assert view["brokers"][0]["name"] == "Ketua"  # everyone's link goes through the chair
    assert {node["name"] for node in view["nodes"]} == {name.title() for name in six}
    assert view["isolated"] == 0


async def test_someone_who_left_is_no_longer_in_the_graph(
    community: Community, data: Data, clock: Clock
) -> None:
    boss = await admin(community, await register(community, "admin"))
    now = int(clock() * 1000)
    async with community.db.write() as conn:
        first = (
            await conn.execute(
                insert(messages)
                .values(
                    room_id=data.pabrik, author_id=data.people["ani"].id, text="?", created_at=now
                )
                .returning(messages.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(messages).values(
                room_id=data.pabrik,
                author_id=data.people["budi"].id,
                text="!",
                reply_to=first,
                created_at=now,
            )
        )
    assert (await data.insight.view(boss, "relations"))["rows"] == [
        {"community": 0, "size": 2, "members": None}
    ]
    await community.directory.remove(data.people["budi"], data.pabrik, data.people["budi"].id)
    view = await data.insight.view(boss, "relations")
    assert (view["rows"], view["members"]) == ([], 7)


async def test_attending_a_meeting_makes_one_active_and_is_set_against_rsvps(
    community: Community, data: Data, clock: Clock
) -> None:
    """The data set's town hall (yesterday): dedi said "going". Record that euis (who only
    asked a question so far) and dedi attended its meeting, 30 and 45 minutes; gita (not in
    the factory room) is not counted for it."""
    ketua, dedi, euis = (data.people[name] for name in ("ketua", "dedi", "euis"))
    async with community.db.read() as conn:
        [event_id] = (await conn.execute(select(events.c.id))).scalars()
    record = community.attendance
    record.joined(euis.id, data.pabrik, event_id)
    record.joined(dedi.id, data.pabrik, event_id)
    clock.now += 30 * 60
    record.left(euis.id, data.pabrik, event_id)
    clock.now += 15 * 60
    record.left(dedi.id, data.pabrik, event_id)
    await record.close()  # every row written
    view = await data.insight.view(ketua, "participation", data.pabrik, "week", 2)
    # This week (see the first test): cici, dedi and now euis are active, all new; two of
    # them attended, for 75 minutes in all.
    this_week = view["rows"][-1]
    assert (this_week["active"], this_week["new"], this_week["attended"]) == (3, 3, 2)
    assert this_week["meeting_minutes"] == 75
    [meeting] = (await data.insight.view(ketua, "meetings", data.pabrik))["rows"]
    assert (
        meeting["going"],
        meeting["attended"],
        meeting["going_and_attended"],
        meeting["meeting_minutes"],
    ) == (1, 2, 1, 75)
    mine = await data.insight.about_me(euis)
    assert mine["kept"]["meetings_attended"] == 1
    assert mine["weeks"][-1]["meeting_minutes"] == 30


async def test_the_upkeep_redoes_the_relation_analysis_only_while_organisers_look_at_it(
    community: Community, data: Data, clock: Clock
) -> None:
    boss = await admin(community, await register(community, "admin"))
    assert "relations_s" not in await data.insight.maintain()  # nobody asked for it yet
    first = await data.insight.view(boss, "relations")
    assert "relations_s" not in await data.insight.maintain()  # fresh
    clock.now += 11 * 60  # 11 minutes on: one more run and a view would find it stale
    assert "relations_s" in await data.insight.maintain()
    again = await data.insight.view(boss, "relations")
    assert again["computed_at"] > first["computed_at"]  # the job's, not a new one on request
    clock.now += 2 * 3600  # nobody looked for two hours: no more analyses
    assert "relations_s" not in await data.insight.maintain()


async def test_members_with_a_region_code_are_counted_in_their_regency_or_city(
    community: Community, data: Data
) -> None:
    boss = await admin(community, await register(community, "admin"))
    bandung = [
        await register(community, f"warga{n}", region={"code": code})
        for n, code in enumerate(["32.73", "32.73.01", "32.73.01.1001", "32.73.02", "32.73"])
    ]
    owner = data.people["ketua"]
    for person in bandung:
        invite = await community.directory.create_invite(owner, data.pabrik, None, None)
        await community.directory.accept_invite(person, invite["code"])
    rows = (await data.insight.view(boss, "regions"))["rows"]
    by_code = {row["code"]: row for row in rows if row["code"]}
    # Five members in Kota Bandung at its level, in three of its districts and a village:
    # one regency, named from the region data; nobody active, no RSVP, no messages: score 0.
    assert list(by_code) == ["32.73"]
    city = by_code["32.73"]
    assert (city["region"], city["members"], city["score"]) == ("Kota Bandung", 5, 0)
