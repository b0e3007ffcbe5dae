"""Meeting attendance: the pure pairing of arrivals and departures, the rows written on SQLite
and PostgreSQL (with the event a room's meeting belonged to), and the seam that carries a
live meeting's arrivals to the record (server/wiring.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from rooms.community.attendance import OpenStays, Stay
from rooms.community.community import Community
from rooms.community.schema.agenda import events, meeting_attendance
from rooms.meeting.meeting import ParticipantId
from rooms.meeting.meeting_access import attendee
from server.wiring import single_node
from tests.rooms.conftest import Clock
from tests.rooms.test_meeting import person
from tests.rooms.test_store import room_with

MINUTE = 60_000


def test_a_stay_runs_from_the_first_arrival_to_the_last_departure() -> None:
    stays = OpenStays()
    key = (7, 3, None)
    stays.joined(key, 1_000)
    stays.joined(key, 5_000)  # a second device: the same stay
    assert stays.left(key, 9_000) is None
    assert stays.left(key, 12_000) == Stay(7, 3, None, joined_at=1_000, left_at=12_000)
    assert stays.left(key, 13_000) is None  # already over: nothing twice


def test_shutting_down_ends_every_open_stay() -> None:
    stays = OpenStays()
    stays.joined((1, 2, 9), 100)
    assert stays.close_all(700) == [Stay(1, 2, 9, 100, 700)]
    assert stays.close_all(800) == []


@pytest.mark.parametrize(
    ("meeting", "identity", "expected"),
    [
        ("kamar-12", "user-7", (7, 12, None)),
        ("kamar-12-e40", "user-7", (7, 12, 40)),
        ("kamar-12", "siti", None),  # a guest's join link
        ("rapat", "user-7", None),  # a meeting of no community room
        ("kamar-12-x", "user-7", None),
    ],
)
def test_only_members_in_community_rooms_meetings_are_attendees(
    meeting: str, identity: str, expected: tuple[int, int, int | None] | None
) -> None:
    assert attendee(meeting, identity) == expected


async def rows(community: Community) -> list[tuple[int, int | None, int, int, int]]:
    async with community.db.read() as conn:
        found = await conn.execute(
            select(
                meeting_attendance.c.room_id,
                meeting_attendance.c.event_id,
                meeting_attendance.c.user_id,
                meeting_attendance.c.joined_at,
                meeting_attendance.c.left_at,
            ).order_by(meeting_attendance.c.joined_at)
        )
        return [tuple(row) for row in found]  # type: ignore[misc]


async def test_a_stay_in_a_rooms_meeting_counts_for_the_event_going_on(
    community: Community, clock: Clock
) -> None:
    room, ani = await room_with(community, "ani")
    now = int(clock() * 1000)
    async with community.db.write() as conn:
        event = (
            await conn.execute(
                insert(events)
                .values(
                    room_id=room,
                    title="Rapat",
                    kind="meeting",
                    starts_at=now + 10 * MINUTE,  # ani comes 10 minutes early
                    ends_at=now + 70 * MINUTE,
                    timezone="Asia/Jakarta",
                    created_by=ani.id,
                    created_at=now,
                )
                .returning(events.c.id)
            )
        ).scalar_one()
    record = community.attendance
    record.joined(ani.id, room, None)
    clock.now += 50 * 60
    record.left(ani.id, room, None)
    clock.now += 25 * 60
    record.joined(ani.id, room, None)  # back after the event ended: no event
    clock.now += 15 * 60
    await record.close()  # the server stops: her second stay ends now
    assert await rows(community) == [
        (room, event, ani.id, now, now + 50 * MINUTE),
        (room, None, ani.id, now + 75 * MINUTE, now + 90 * MINUTE),
    ]


async def test_the_wiring_records_members_of_a_rooms_meeting_and_not_guests(
    community: Community,
) -> None:
    room, ani = await room_with(community, "ani")
    seams = single_node()
    seams.attendance.community = community
    meeting = seams.meetings.open(f"kamar-{room}")
    member, _ = person("p1", identity=f"user-{ani.id}")
    guest, _ = person("p2", identity="tamu")
    meeting.join(member)
    meeting.join(guest)
    seams.meetings.leave(meeting.name, ParticipantId("p2"), "left")
    seams.meetings.leave(meeting.name, ParticipantId("p1"), "left")
    await community.attendance.written()  # written in the background
    [(room_id, event_id, user_id, joined_at, left_at)] = await rows(community)
    assert (room_id, event_id, user_id) == (room, None, ani.id) and left_at >= joined_at
