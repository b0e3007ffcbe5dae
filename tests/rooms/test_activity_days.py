"""The daily activity roll-up on SQLite and PostgreSQL, on a few rows worked out by hand: what
a refresh writes, that final days are not read again, that today's are rebuilt, and that an
account's rows go with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from rooms.community import activity_days as rollup
from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.community.schema.accounts import users
from rooms.community.schema.activity import activity_days, first_activity, member_windows, room_days
from rooms.community.schema.agenda import events, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import room_with

DAY = rollup.DAY_MS


async def table(community: Community, source: Any, *order: Any) -> list[tuple[Any, ...]]:
    async with community.db.read() as conn:
        return [tuple(row) for row in await conn.execute(select(source).order_by(*order))]


async def refresh(community: Community, now: int) -> int:
    async with community.db.write() as conn:
        return await rollup.refresh(conn, now)


async def a_few_days_of_activity(
    community: Community, room: int, ani: User, budi: User, now: int
) -> None:
    """Two messages of ani's two days ago; budi's RSVP to yesterday's meeting and 45 minutes
    in it; a message of budi's today, and one deleted."""
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages),
            [  # budi's second message was deleted before its day was rolled up: not counted
                {
                    "room_id": room,
                    "author_id": author,
                    "text": "x",
                    "created_at": at,
                    "deleted": gone,
                }
                for author, at, gone in (
                    (ani.id, now - 2 * DAY, False),
                    (ani.id, now - 2 * DAY, False),
                    (budi.id, now, False),
                    (budi.id, now, True),
                )
            ],
        )
        event = (
            await conn.execute(
                insert(events)
                .values(
                    room_id=room,
                    title="Rapat",
                    kind="meeting",
                    starts_at=now - DAY,
                    ends_at=now - DAY + 3_600_000,
                    timezone="Asia/Jakarta",
                    created_by=ani.id,
                    created_at=now - 3 * DAY,
                )
                .returning(events.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(rsvps).values(
                event_id=event, user_id=budi.id, response="going", updated_at=now - DAY
            )
        )
        await conn.execute(  # budi was in the meeting for 45 minutes
            insert(meeting_attendance).values(
                room_id=room,
                event_id=event,
                user_id=budi.id,
                joined_at=now - DAY,
                left_at=now - DAY + 45 * 60_000,
            )
        )


async def test_a_refresh_rolls_up_messages_rsvps_meetings_and_questions(
    community: Community, clock: Clock
) -> None:
    room, ani, budi = await room_with(community, "ani", "budi")
    now = int(clock() * 1000)
    today = now // DAY
    await a_few_days_of_activity(community, room, ani, budi, now)
    assert await refresh(community, now) == today - 2  # the first refresh: from the first day
    # (day, room, member, messages, rsvps, going, seconds in meetings)
    assert await table(community, activity_days, activity_days.c.day, activity_days.c.user_id) == [
        (today - 2, room, ani.id, 2, 0, 0, 0),
        (today - 1, room, budi.id, 0, 1, 1, 2700),
        (today, room, budi.id, 1, 0, 0, 0),
    ]
    assert await table(community, room_days, room_days.c.day) == [
        (today - 2, room, 2, 0, 0, 0),
        (today - 1, room, 0, 1, 0, 2700),
        (today, room, 1, 0, 0, 0),
    ]
    assert await table(community, first_activity, first_activity.c.user_id) == [
        (ani.id, room, now - 2 * DAY),
        (budi.id, room, now - DAY),  # his RSVP, before the meeting (which counts when left)
    ]
    # The windows end yesterday (the mark): ani's and budi's days all lie within 28 of it.
    assert await table(community, member_windows, member_windows.c.user_id) == [
        (ani.id, 1, 0, today - 2, 2, 0, 0),
        (budi.id, 1, 0, today - 1, 0, 0, 1),
    ]


async def test_final_days_stay_and_today_is_rebuilt(community: Community, clock: Clock) -> None:
    room, ani = await room_with(community, "ani")
    now = int(clock() * 1000)
    today = now // DAY
    async with community.db.write() as conn:
        ids = (
            await conn.execute(
                insert(messages).returning(messages.c.id),
                [
                    {"room_id": room, "author_id": ani.id, "text": "x", "created_at": at}
                    for at in (now - 3 * DAY, now)
                ],
            )
        ).scalars()
        old, new = list(ids)
    await refresh(community, now)
    async with community.db.write() as conn:  # both deleted after the refresh
        await conn.execute(update(messages).values(deleted=True))
    # Later the same day: today is rebuilt (its message is gone); three days ago is final (a
    # message deleted after its day was rolled up still counts: ani did post that day).
    assert await refresh(community, now + 60_000) == today
    assert await table(community, activity_days.c.day, activity_days.c.day) == [(today - 3,)]
    assert (old, new) != (None, None)


async def test_an_account_deleted_leaves_no_rolled_up_row(
    community: Community, clock: Clock
) -> None:
    room, ani = await room_with(community, "ani")
    gone = await register(community, "gone")
    invite = await community.directory.create_invite(ani, room, None, None)
    await community.directory.accept_invite(gone, invite["code"])
    now = int(clock() * 1000)
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages).values(room_id=room, author_id=gone.id, text="x", created_at=now)
        )
    await refresh(community, now)
    assert len(await table(community, activity_days, activity_days.c.day)) == 1
    async with community.db.write() as conn:
        await conn.execute(delete(messages).where(messages.c.author_id == gone.id))
        await conn.execute(delete(users).where(users.c.id == gone.id))
    for derived in (activity_days, first_activity, member_windows):
        assert await table(community, derived, derived.c.user_id) == []


async def test_catching_up_a_long_history_goes_a_few_days_at_a_time(
    community: Community, clock: Clock
) -> None:
    room, ani = await room_with(community, "ani")
    now = int(clock() * 1000)
    today = now // DAY
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages),
            [
                {"room_id": room, "author_id": ani.id, "text": "x", "created_at": now - d * DAY}
                for d in (20, 9, 0)
            ],
        )
    # From 20 days ago, 7 days at a time: days -20..-14, -13..-7, -6..0 (the last includes
    # today, which stays open).
    assert await rollup.catch_up(community.db, now, days=7) == 3
    assert await table(community, activity_days.c.day, activity_days.c.day) == [
        (today - 20,),
        (today - 9,),
        (today,),
    ]
    assert await rollup.catch_up(community.db, now, days=7) == 1  # nothing left but today
