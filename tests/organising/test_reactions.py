"""Reactions to an announcement on SQLite and PostgreSQL: gathered across its rooms (members of
two rooms react, both rooms see the same counts), each member's own set, idempotent retries,
events to every room only on a change, and clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.accounts import User
from rooms.errors import Invalid, NotFound, RateLimited
from rooms.meeting.stage import REACTIONS as MEETING_REACTIONS
from rooms.organising import Organising
from rooms.organising.announcements import Selection
from rooms.organising.reactions import REACT_BURST, REACTIONS
from tests.rooms.conftest import Clock, register


def counts(answer: dict[str, Any]) -> dict[str, int]:
    return {entry["emoji"]: entry["count"] for entry in answer["reactions"] if entry["count"]}


async def three_rooms(organising: Organising) -> tuple[User, User, User, list[int], int]:
    """Siti announces to three rooms; Budi is in the first, Ani in the second."""
    community = organising.community
    siti, budi, ani = [await register(community, name) for name in ("siti", "budi", "ani")]
    rooms = [
        (await community.directory.create(siti, name, "region"))["id"]
        for name in ("Sukarasa", "Gegerkalong", "Ciumbuleuit")
    ]
    for person, room in ((budi, rooms[0]), (ani, rooms[1])):
        invite = await community.directory.create_invite(siti, room, None, None)
        await community.directory.accept_invite(person, invite["code"])
    published = await organising.announcements.publish(
        siti, "Aksi 1 Mei", "Kumpul jam 7.", Selection(room_ids=tuple(rooms))
    )
    return siti, budi, ani, rooms, published["id"]


def test_the_announcement_reactions_are_the_meetings_set() -> None:
    assert REACTIONS == MEETING_REACTIONS


async def test_reactions_from_two_rooms_are_counted_once_for_every_room(
    organising: Organising,
) -> None:
    siti, budi, ani, rooms, announcement = await three_rooms(organising)
    seen: list[dict[str, Any]] = []
    for room in rooms:
        organising.community.bus.subscribe(f"room:{room}", lambda _t, event: seen.append(event))
    reactions = organising.reactions

    answer = await reactions.react(budi, announcement, rooms[0], "👍", True)
    assert counts(answer) == {"👍": 1} and answer["my_reactions"] == ["👍"]
    await reactions.react(ani, announcement, rooms[1], "👍", True)
    answer = await reactions.react(ani, announcement, rooms[1], "✊", True)
    assert counts(answer) == {"👍": 2, "✊": 1} and answer["my_reactions"] == ["👍", "✊"]
    assert [entry["emoji"] for entry in answer["reactions"]] == list(REACTIONS)

    events = [event for event in seen if event["type"] == "announcement_reactions"]
    assert len(events) == 3 * 3  # three changes, each to each of the three rooms
    last = {event["room_id"]: event for event in events[-3:]}
    assert sorted(last) == sorted(rooms)
    assert all(counts(event) == {"👍": 2, "✊": 1} for event in last.values())
    assert all(event["announcement_id"] == announcement for event in last.values())

    # What every room's pinned post shows: the same counts; each member's own set.
    for person, room, mine in ((budi, rooms[0], ["👍"]), (ani, rooms[1], ["👍", "✊"])):
        [pinned] = await organising.announcements.for_room(person, room)
        assert counts(pinned) == {"👍": 2, "✊": 1} and pinned["my_reactions"] == mine
    [author_view] = await organising.announcements.for_room(siti, rooms[2])
    assert counts(author_view) == {"👍": 2, "✊": 1} and author_view["my_reactions"] == []
    full = await organising.announcements.get(budi, announcement)
    assert counts(full) == {"👍": 2, "✊": 1} and full["my_reactions"] == ["👍"]

    # A retry changes nothing and sends nothing; taking one back does, everywhere.
    before = len(seen)
    await reactions.react(budi, announcement, rooms[0], "👍", True)
    await reactions.react(siti, announcement, rooms[2], "😮", False)
    assert len(seen) == before
    answer = await reactions.react(budi, announcement, rooms[0], "👍", False)
    assert counts(answer) == {"👍": 1, "✊": 1} and answer["my_reactions"] == []
    assert [event["room_id"] for event in seen[before:]] == rooms


async def test_a_reaction_is_refused_from_outside_or_with_an_unknown_emoji(
    organising: Organising,
) -> None:
    _siti, budi, _ani, rooms, announcement = await three_rooms(organising)
    reactions = organising.reactions
    with pytest.raises(NotFound) as outside:
        await reactions.react(budi, announcement, rooms[1], "👍", True)  # not his room
    assert outside.value.field == "room_id"
    with pytest.raises(NotFound) as missing:
        await reactions.react(budi, announcement + 1, rooms[0], "👍", True)
    assert missing.value.field == "announcement_id"
    for emoji in ("🍕", "", "👍👍"):
        with pytest.raises(Invalid) as refused:
            await reactions.react(budi, announcement, rooms[0], emoji, True)
        assert (refused.value.field, refused.value.reason) == ("emoji", "reaction_emoji")
    [pinned] = await organising.announcements.for_room(budi, rooms[0])
    assert counts(pinned) == {}


async def test_reactions_are_rate_limited_per_member(organising: Organising, clock: Clock) -> None:
    _siti, budi, _ani, rooms, announcement = await three_rooms(organising)
    reactions = organising.reactions
    for tap in range(REACT_BURST):
        await reactions.react(budi, announcement, rooms[0], "👍", tap % 2 == 0)
    with pytest.raises(RateLimited) as limited:
        await reactions.react(budi, announcement, rooms[0], "👏", True)
    assert limited.value.reason == "reaction_too_fast" and limited.value.retry_after
    clock.now += limited.value.retry_after
    answer = await reactions.react(budi, announcement, rooms[0], "👏", True)
    assert answer["my_reactions"] == ["👏"]
