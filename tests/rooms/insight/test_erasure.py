"""Deleting an account on SQLite and PostgreSQL (rooms/community/erasure.py): on the hand-checked
data set of test_insight.py, every insight view, its CSV, the relation graph and the
recruitment report name the member before and leave them out after; their own rows are gone,
their messages stay under an emptied account, nobody can sign in as it, and rooms keep an
owner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from rooms.community.accounts import User
from rooms.community.bus import user_topic
from rooms.community.community import Community
from rooms.community.erasure import SIGNED_OUT_FOREVER, user_foreign_keys
from rooms.community.schema.accounts import admin_audit, users
from rooms.community.schema.activity import (
    activity_days,
    first_activity,
    member_first_activity,
    member_windows,
    period_counts,
)
from rooms.community.schema.agenda import meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.market import listings
from rooms.community.schema.organising import referrals
from rooms.community.schema.rooms import memberships
from rooms.errors import Conflict, Forbidden, NotFound, Unauthorized
from rooms.insight.insight import Insight
from rooms.organising.report import Scope as ReportScope
from rooms.organising.report import recruitment_report
from server.api.insight import VIEWS, as_csv
from tests.rooms.conftest import Clock
from tests.rooms.insight.test_insight import DAY_MS, Data, admin, build

MINUTE_MS = 60_000


async def every_view(insight: Insight, viewer: User) -> dict[str, Any]:
    """Each insight view of the organisation, and each one's CSV, as the organiser gets them."""
    answers: dict[str, Any] = {}
    for view in VIEWS:
        answer = await insight.view(viewer, view)
        answers[view] = answer
        answers[f"{view}.csv"] = as_csv(answer.get("rows", []))
    return answers


async def count(community: Community, table: Any, column: Any, user_id: int) -> int:
    async with community.db.read() as conn:
        found = await conn.execute(select(func.count()).select_from(table).where(column == user_id))
        return int(found.scalar_one())


def ani_referrals(data: Data, now: int) -> list[dict[str, object]]:
    """Ketua recruited ani; ani recruited budi, cici and dedi."""
    ani, ketua = data.people["ani"], data.people["ketua"]
    recruits = [
        {"user_id": data.people[name].id, "recruiter_id": ani.id, "channel": "link",
         "created_at": now - 55 * DAY_MS}
        for name in ("budi", "cici", "dedi")
    ]  # fmt: skip
    recruited = {"user_id": ani.id, "recruiter_id": ketua.id, "channel": "link",
                 "created_at": now - 60 * DAY_MS}  # fmt: skip
    return [recruited, *recruits]


async def add_ani_rows(community: Community, data: Data, now: int) -> None:
    """Ani (slipping away: four posts 10-50 days ago) also recruited budi, cici and dedi and
    was recruited by ketua (a community of five in the relation graph, so it names them),
    replied to by budi (a relation), sells something, and was in a meeting."""
    ani, budi = data.people["ani"], data.people["budi"]
    async with community.db.write() as conn:
        first = (
            (
                await conn.execute(
                    select(messages.c.id)
                    .where(messages.c.author_id == ani.id)
                    .order_by(messages.c.id)
                )
            )
            .scalars()
            .first()
        )
        await conn.execute(
            insert(messages).values(
                room_id=data.pabrik,
                author_id=budi.id,
                text="ya",
                reply_to=first,
                created_at=now - 9 * DAY_MS,
            )
        )
        await conn.execute(insert(referrals), ani_referrals(data, now))
        await conn.execute(
            insert(listings).values(
                seller_id=ani.id,
                title="Keripik",
                pricing="free",
                category="food",
                condition="none",
                region="32",
                scope="organisation",
                status="available",
                created_at=now,
                updated_at=now,
                expires_at=now + 30 * DAY_MS,
            )
        )
        await conn.execute(
            insert(meeting_attendance).values(
                room_id=data.pabrik,
                user_id=ani.id,
                joined_at=now - 41 * DAY_MS,
                left_at=now - 41 * DAY_MS + 30 * MINUTE_MS,
            )
        )


@pytest.fixture
async def data(community: Community, clock: Clock) -> Data:
    return await build(community, clock)


async def test_a_deleted_member_is_in_no_view_csv_graph_or_report_afterwards(
    community: Community, data: Data, clock: Clock
) -> None:
    # 30 days on, ani's posts (10-50 days ago then) all lie before the last 28 days: she is
    # slipping away, a view that names her (test_insight.py works it out).
    clock.now += 30 * 86_400
    now = int(clock() * 1000)
    await add_ani_rows(community, data, now)
    ketua = await admin(community, data.people["ketua"])
    ani = data.people["ani"]
    before = await every_view(data.insight, ketua)
    assert "Ani" in before["slipping.csv"] and "Ani" in json.dumps(before["relations"])
    assert ani.id in {node["id"] for node in before["relations"]["nodes"]}
    async with community.db.read() as conn:
        report = await recruitment_report(conn, ReportScope())
    assert report["signups"] == 4
    ani_weeks = sum(1 for w in (await data.insight.about_me(ani))["weeks"] if w["active_days"])
    assert ani_weeks >= 4

    erased = await community.erasure.erase(ani.id, by_admin=ketua)
    assert erased.room_ids == [data.pabrik]

    clock.now += 120  # past the views' freshness: the roll-up's open days are rebuilt
    after = await every_view(data.insight, ketua)
    for name, answer in after.items():
        assert "Ani" not in json.dumps(answer), name
    assert ani.id not in {node["id"] for node in after["relations"]["nodes"]}
    assert after["relations"]["members"] == before["relations"]["members"] - 1
    # Each week ani was active in counts one active member less, the others the same.
    weekly = zip(before["participation"]["rows"], after["participation"]["rows"], strict=True)
    lost = [b["active"] - a["active"] for b, a in weekly]
    assert sum(lost) == ani_weeks and set(lost) <= {0, 1}
    async with community.db.read() as conn:
        report = await recruitment_report(conn, ReportScope())
    assert report["signups"] == 0  # recruited by ketua, recruiter of three: all gone


async def test_the_members_own_rows_go_and_their_messages_stay_under_an_empty_account(
    community: Community, data: Data, clock: Clock
) -> None:
    now = int(clock() * 1000)
    await add_ani_rows(community, data, now)
    ani = data.people["ani"]
    mine = await data.insight.about_me(ani)
    told = mine["on_deletion"]
    assert set(told["removed"]) | set(told["kept_as_deleted_member"]) == set(mine["kept"])
    await data.insight.view(await admin(community, data.people["ketua"]), "participation")
    # four days with a post, one in a meeting
    assert await count(community, activity_days, activity_days.c.user_id, ani.id) == 5
    await community.erasure.erase(ani.id)
    gone = [
        (activity_days, activity_days.c.user_id),
        (first_activity, first_activity.c.user_id),
        (member_first_activity, member_first_activity.c.user_id),
        (member_windows, member_windows.c.user_id),
        (memberships, memberships.c.user_id),
        (referrals, referrals.c.user_id),
        (referrals, referrals.c.recruiter_id),
        (listings, listings.c.seller_id),
        (meeting_attendance, meeting_attendance.c.user_id),
        (rsvps, rsvps.c.user_id),
    ]
    for table, column in gone:
        assert await count(community, table, column, ani.id) == 0, column
    # every key to users is covered: CASCADE rows deleted, SET NULL forgotten
    assert {ondelete for _t, _c, ondelete in user_foreign_keys()} <= {"CASCADE", "SET NULL", ""}
    assert await count(community, messages, messages.c.author_id, ani.id) == 4
    async with community.db.read() as conn:
        row = (await conn.execute(select(users).where(users.c.id == ani.id))).one()
        assert (await conn.execute(select(func.count()).select_from(period_counts))).scalar() == 0
    assert (row.username, row.phone, row.display_name, row.region_code) == (None, None, "", "")
    assert row.erased_at == now and row.sessions_valid_after == SIGNED_OUT_FOREVER
    with pytest.raises(NotFound):
        await community.accounts.get(ani.id)
    with pytest.raises(Unauthorized):
        await community.accounts.login("ani", "rahasia-123")
    with pytest.raises(NotFound):
        await community.erasure.erase(ani.id)  # once is enough
    clock.now += 120
    await data.insight.view(await community.accounts.get(data.people["ketua"].id), "rooms")
    assert await count(community, activity_days, activity_days.c.user_id, ani.id) == 0


async def test_todays_messages_of_a_deleted_member_are_not_rolled_up_again(
    community: Community, data: Data, clock: Clock
) -> None:
    cici = data.people["cici"]
    ketua = await admin(community, data.people["ketua"])
    await community.chat.post(cici, data.pabrik, "hari ini")
    await data.insight.view(ketua, "rooms")
    assert await count(community, activity_days, activity_days.c.user_id, cici.id) == 2
    await community.erasure.erase(cici.id)
    clock.now += 120  # today is rebuilt from the messages, which stay
    await data.insight.view(ketua, "rooms")
    assert await count(community, activity_days, activity_days.c.user_id, cici.id) == 0
    assert await count(community, messages, messages.c.author_id, cici.id) == 2


async def test_rooms_keep_an_owner_and_the_last_administrator_stays(
    community: Community, data: Data
) -> None:
    ketua = await admin(community, data.people["ketua"])
    budi = data.people["budi"]
    seen: list[tuple[str, Any]] = []
    community.bus.subscribe(user_topic(ketua.id), lambda _t, event: seen.append(("ketua", event)))
    with pytest.raises(Conflict) as refused:
        await community.erasure.erase(ketua.id)
    assert refused.value.reason == "last_admin"
    await community.accounts.set_admin(budi.id, True)
    erased = await community.erasure.erase(ketua.id, by_admin=await community.accounts.get(budi.id))
    # ani joined pabrik first after ketua, fajar kecil: the longest-standing members
    owners = {room: owner.username for room, owner in erased.new_owners}
    assert owners == {data.pabrik: "ani", data.kecil: "fajar"}
    async with community.db.read() as conn:
        roles = dict(
            (
                await conn.execute(
                    select(memberships.c.room_id, memberships.c.role).where(
                        memberships.c.role == "owner"
                    )
                )
            ).all()
        )
        [entry] = (await conn.execute(select(admin_audit))).all()
    assert roles == {data.pabrik: "owner", data.kecil: "owner"}
    assert (entry.admin_id, entry.action, entry.target_id) == (budi.id, "delete_account", ketua.id)
    assert [event["type"] for _who, event in seen] == ["sessions_revoked"]
    assert seen[0][1]["before_ms"] == SIGNED_OUT_FOREVER


async def test_only_an_administrator_deletes_someone_else(community: Community, data: Data) -> None:
    ani = data.people["ani"]
    with pytest.raises(Forbidden):
        await community.erasure.erase(ani.id, by_admin=data.people["budi"])
    assert (await community.accounts.get(ani.id)).display_name == "Ani"
    async with community.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(admin_audit))).scalar() == 0
