"""Polls on SQLite and PostgreSQL: live results over the bus, single and multiple choice,
anonymous ones, closing (announced once by the sweep every node runs, with an injected
clock), members only, and a clear refusal of every bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rooms.community.community import Community
from rooms.community.polls import (
    CLOSE_ANNOUNCE_WINDOW_MS,
    MAX_OPEN_MS,
    PollForm,
    Polls,
    check_choices,
    check_poll,
)
from rooms.errors import Conflict, Forbidden, Invalid, NotFound
from tests.rooms.conftest import START, Clock, register
from tests.rooms.test_store import room_with

NOW = int(START * 1000)
HOUR = 3_600_000


def form(**changes: Any) -> PollForm:
    values: dict[str, Any] = {
        "question": "Rapat hari apa?",
        "options": ["Sabtu", "Minggu"],
        "closes_at": NOW + HOUR,
    }
    return PollForm(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"question": "  "}, "poll_question"),
        ({"question": "?" * 301}, "poll_question"),
        ({"options": ["Sabtu"]}, "poll_options"),
        ({"options": [str(i) for i in range(11)]}, "poll_options"),
        ({"options": ["Sabtu", " "]}, "poll_option_length"),
        ({"options": ["Sabtu", "x" * 101]}, "poll_option_length"),
        ({"options": ["Sabtu", " sabtu"]}, "poll_option_twice"),
        ({"closes_at": NOW + 59_000}, "poll_closes_soon"),
        ({"closes_at": NOW + MAX_OPEN_MS + 1}, "poll_closes_late"),
    ],
)
def test_a_bad_poll_is_refused_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_poll(form(**changes), NOW)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("choices", "multiple", "result"),
    [
        ([1], False, [1]),
        ([2, 0, 2], True, [0, 2]),
        ([], True, "poll_no_choice"),
        ([0, 1], False, "poll_one_choice"),
        ([3], True, "poll_no_option"),
        ([-1], False, "poll_no_option"),
    ],
)
def test_choices_are_checked_against_the_poll(
    choices: list[int], multiple: bool, result: list[int] | str
) -> None:
    if isinstance(result, list):
        assert check_choices(choices, 3, multiple) == result
        return
    with pytest.raises(Invalid) as refused:
        check_choices(choices, 3, multiple)
    assert refused.value.reason == result


async def test_votes_are_counted_live_and_can_be_changed_until_the_poll_closes(
    community: Community, clock: Clock
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"room:{room_id}", lambda _text, event: seen.append(event))
    poll = await community.polls.create(siti, room_id, form())
    assert poll["my_choices"] == [] and poll["closed"] is False
    await community.polls.vote(siti, poll["id"], [0])
    mine = await community.polls.vote(budi, poll["id"], [0])
    assert mine["my_choices"] == [0] and mine["voter_count"] == 2
    changed = await community.polls.vote(budi, poll["id"], [1])
    assert [o["votes"] for o in changed["options"]] == [1, 1]
    assert changed["options"][1]["voters"] == [{"id": budi.id, "display_name": "Budi"}]
    assert [event["type"] for event in seen] == ["poll"] * 4
    assert seen[-1]["poll"]["options"] == changed["options"]  # everyone sees the same results
    clock.now += 3600
    with pytest.raises(Conflict) as late:
        await community.polls.vote(siti, poll["id"], [1])
    assert late.value.reason == "poll_closed"
    [listed] = await community.polls.in_room(siti, room_id)
    assert listed["closed"] is True and listed["my_choices"] == [0]
    assert [o["votes"] for o in listed["options"]] == [1, 1]  # the late vote changed nothing


async def test_an_anonymous_multiple_choice_poll_shows_counts_but_never_who(
    community: Community,
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    poll = await community.polls.create(
        siti, room_id, form(options=["Teh", "Kopi", "Air"], multiple=True, anonymous=True)
    )
    answer = await community.polls.vote(budi, poll["id"], [0, 2])
    assert [o["votes"] for o in answer["options"]] == [1, 0, 1]
    assert all("voters" not in option for option in answer["options"])
    assert answer["my_choices"] == [0, 2]


async def test_only_members_vote_and_only_the_author_or_a_moderator_closes(
    community: Community,
) -> None:
    room_id, siti, budi, ani = await room_with(community, "siti", "budi", "ani")
    asep = await register(community, "asep")
    poll = await community.polls.create(budi, room_id, form())
    with pytest.raises(NotFound):
        await community.polls.vote(asep, poll["id"], [0])
    with pytest.raises(NotFound):
        await community.polls.create(asep, room_id, form())
    with pytest.raises(NotFound):
        await community.polls.vote(siti, 99_999, [0])
    with pytest.raises(Forbidden):
        await community.polls.close(ani, poll["id"])
    closed = await community.polls.close(siti, poll["id"])  # the room's owner
    assert closed["closed"] is True
    with pytest.raises(Conflict):
        await community.polls.vote(ani, poll["id"], [0])


async def test_a_blocked_member_cannot_ask_or_vote_in_the_conversation(
    community: Community,
) -> None:
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    card = await community.direct.open(siti, budi.id)
    poll = await community.polls.create(siti, card["id"], form())
    await community.direct.block(siti, budi.id)
    with pytest.raises(Forbidden):
        await community.polls.vote(budi, poll["id"], [0])
    with pytest.raises(Forbidden):
        await community.polls.create(budi, card["id"], form())


async def test_a_poll_names_only_its_first_voters_but_counts_them_all(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rooms.community.polls.VOTERS_SHOWN", 2)
    room_id, siti, *others = await room_with(community, "siti", "budi", "ani", "asep")
    poll = await community.polls.create(siti, room_id, form())
    for member in others:
        await community.polls.vote(member, poll["id"], [0])
    [listed] = await community.polls.in_room(siti, room_id)
    assert listed["options"][0]["votes"] == 3 and listed["voter_count"] == 3
    assert [v["display_name"] for v in listed["options"][0]["voters"]] == ["Budi", "Ani"]


async def test_a_polls_closing_is_announced_once_by_the_sweep_and_late_votes_are_refused(
    community: Community, clock: Clock
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"room:{room_id}", lambda _text, event: seen.append(event))
    first = await community.polls.create(siti, room_id, form())
    second = await community.polls.create(siti, room_id, form(closes_at=NOW + 2 * HOUR))
    await community.polls.vote(budi, first["id"], [1])
    assert await community.polls.announce_closed() == 0  # nothing has closed yet
    seen.clear()

    clock.now += 3600  # the first poll's closing time, to the millisecond
    # Two nodes sweep at once: each poll is claimed by one of them.
    other_node = Polls(community.db, community.bus, clock)
    counts = await asyncio.gather(community.polls.announce_closed(), other_node.announce_closed())
    assert sorted(counts) == [0, 1]
    [closing] = seen
    assert closing["type"] == "poll" and closing["poll"]["id"] == first["id"]
    assert closing["poll"]["closed"] is True
    assert [o["votes"] for o in closing["poll"]["options"]] == [0, 1]
    assert await community.polls.announce_closed() == 0  # announced once
    with pytest.raises(Conflict) as late:
        await community.polls.vote(budi, first["id"], [0])
    assert late.value.reason == "poll_closed"

    # Closed early by its author: that answer was the announcement, the sweep adds none.
    await community.polls.close(siti, second["id"])
    clock.now += 2 * 3600
    assert await community.polls.announce_closed() == 0
    assert [event["poll"]["id"] for event in seen] == [first["id"], second["id"]]


async def test_polls_closed_long_before_the_sweep_are_not_announced(
    community: Community, clock: Clock
) -> None:
    room_id, siti, _budi = await room_with(community, "siti", "budi")
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"room:{room_id}", lambda _text, event: seen.append(event))
    await community.polls.create(siti, room_id, form())
    seen.clear()
    clock.now += 3600 + CLOSE_ANNOUNCE_WINDOW_MS / 1000  # a cluster down for a day and more
    assert await community.polls.announce_closed() == 0
    assert seen == []
    clock.now += 3600
    assert await community.polls.announce_closed() == 0  # claimed: never announced late
