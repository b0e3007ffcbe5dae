"""Who met whom, and who recruited whom, for the relation graph (rooms/insight/relations.py):
those recorded in an agenda event's meeting, or for an event held offline (no stay recorded)
those who said "going"; members whose stays in a room's meeting without an event overlapped;
no pairs from a crowd; a recruiter and their recruit. Counted by hand on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from rooms.community.community import Community
from rooms.community.schema.agenda import events, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.organising import referrals
from rooms.insight.access import Scope
from rooms.insight.relations import MAX_EVENT_CROWD, RECRUITED, edges
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import room_with

HOUR_MS = 3_600_000


async def test_members_who_were_at_a_meeting_together_are_related(
    community: Community, clock: Clock
) -> None:
    names = ["ketua", "ani", "budi", "cici", "dedi", "euis", "fajar"]
    room_id, *people = await room_with(community, *names)
    ids = {user.username: user.id for user in people}
    now = int(clock() * 1000)

    def stay(name: str, begins_h: float, ends_h: float, event: int | None) -> dict[str, Any]:
        return {
            "room_id": room_id,
            "event_id": event,
            "user_id": ids[name],
            "joined_at": now + int(begins_h * HOUR_MS),
            "left_at": now + int(ends_h * HOUR_MS),
        }

    async with community.db.write() as conn:
        rapat = await new_event(conn, room_id, ids["ketua"], now)
        aksi = await new_event(conn, room_id, ids["ketua"], now)  # a demonstration: offline
        # Rapat was held in Kamar: ani said "going" and did not come (she met nobody there);
        # budi came without answering; cici did both, with a reload between; dedi said "no".
        # Aksi has no recorded stay: those who said "going" met there, ani, dedi and euis.
        answers = [(rapat, "ani", "going"), (rapat, "cici", "going"), (rapat, "dedi", "no")]
        answers += [(aksi, name, "going") for name in ("ani", "dedi", "euis")]
        await conn.execute(
            insert(rsvps),
            [
                {"event_id": event, "user_id": ids[name], "response": answer, "updated_at": now}
                for event, name, answer in answers
            ],
        )
        await conn.execute(
            insert(meeting_attendance),
            [
                stay("budi", 0, 1, rapat),
                stay("cici", 0, 0.5, rapat),
                stay("cici", 0.6, 1, rapat),  # a reload: still one meeting together
                # The room's meeting with no event: dedi from 2 to 3, euis from 2.5 to 4 and
                # ketua from 2 to 2.2 (with dedi; euis came after he left), fajar from 4 (as
                # euis left: not together). Nobody pairs with their own second stay.
                stay("dedi", 2, 3, None),
                stay("euis", 2.5, 4, None),
                stay("ketua", 2, 2.2, None),
                stay("fajar", 4, 5, None),
                stay("fajar", 4.5, 5.5, None),
            ],
        )
    async with community.db.read() as conn:
        found = await edges(conn, Scope(people[0], None))
    together = {("budi", "cici"): 1, ("ani", "dedi"): 1, ("ani", "euis"): 1}
    together |= {("dedi", "euis"): 2, ("dedi", "ketua"): 1}  # at aksi, and in the room
    expected = {frozenset((ids[a], ids[b])): n for (a, b), n in together.items()}
    assert {frozenset(key): weight for key, weight in found.items()} == expected
    assert all(a < b for a, b in found)  # each pair once, the smaller id first


async def test_a_crowd_at_an_event_adds_no_pairs(community: Community, clock: Clock) -> None:
    room_id, ketua = await room_with(community, "ketua")
    crowd = [await register(community, f"warga{n}") for n in range(MAX_EVENT_CROWD + 1)]
    now = int(clock() * 1000)

    def came(event: int, people: list[Any]) -> list[dict[str, Any]]:
        return [
            {"room_id": room_id, "event_id": event, "user_id": person.id, "joined_at": now,
             "left_at": now + HOUR_MS}
            for person in people
        ]  # fmt: skip

    def going(event: int, people: list[Any]) -> list[dict[str, Any]]:
        return [
            {"event_id": event, "user_id": person.id, "response": "going", "updated_at": now}
            for person in people
        ]

    async with community.db.write() as conn:
        # A congress in a hall (101 going), one online (101 came), and a meeting that 101 said
        # they would come to and 3 did: only those 3 met.
        hall, online, few = [await new_event(conn, room_id, ketua.id, now) for _ in range(3)]
        await conn.execute(insert(rsvps), going(hall, crowd) + going(few, crowd))
        await conn.execute(insert(meeting_attendance), came(online, crowd) + came(few, crowd[:3]))
    async with community.db.read() as conn:
        found = await edges(conn, Scope(ketua, None))
    first = sorted(person.id for person in crowd[:3])
    assert found == {(first[0], first[1]): 1, (first[0], first[2]): 1, (first[1], first[2]): 1}


async def test_recruiting_someone_is_a_tie_of_three_replies(
    community: Community, clock: Clock
) -> None:
    room_id, ani, budi, cici = await room_with(community, "ani", "budi", "cici")
    now = int(clock() * 1000)
    async with community.db.write() as conn:
        # Ani brought budi in (weight 3); budi also answered ani once (1 more); cici brought
        # herself in through her own link (no tie).
        await conn.execute(
            insert(referrals),
            [
                {"user_id": budi.id, "recruiter_id": ani.id, "channel": "link", "created_at": now},
                {"user_id": cici.id, "recruiter_id": cici.id, "channel": "link", "created_at": now},
            ],
        )
        first = await conn.execute(
            insert(messages)
            .values(room_id=room_id, author_id=ani.id, text="?", created_at=now)
            .returning(messages.c.id)
        )
        await conn.execute(
            insert(messages).values(
                room_id=room_id, author_id=budi.id, text="!", reply_to=first.scalar_one(),
                created_at=now,
            )
        )  # fmt: skip
    async with community.db.read() as conn:
        found = await edges(conn, Scope(ani, None))
    assert found == {(min(ani.id, budi.id), max(ani.id, budi.id)): RECRUITED + 1}
    assert RECRUITED == 3


async def new_event(conn: Any, room_id: int, author: int, now: int) -> int:
    found = await conn.execute(
        insert(events)
        .values(
            room_id=room_id,
            title="Rapat",
            kind="meeting",
            starts_at=now,
            ends_at=now + HOUR_MS,
            timezone="Asia/Jakarta",
            created_by=author,
            created_at=now,
        )
        .returning(events.c.id)
    )
    return int(found.scalar_one())
