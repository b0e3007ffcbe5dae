"""Saved lists of rooms to announce to, on SQLite and PostgreSQL: only rooms one owns or
moderates, one's own lists only, at most fifty, and clear refusals."""

from __future__ import annotations

import pytest

from rooms.errors import Invalid, NotFound
from rooms.organising import Organising
from rooms.organising.room_lists import MAX_LISTS
from tests.rooms.conftest import register


async def test_a_list_holds_rooms_one_moderates_and_is_ones_own(organising: Organising) -> None:
    community = organising.community
    siti, budi = await register(community, "siti"), await register(community, "budi")
    rooms = [
        (await community.directory.create(siti, name, "work"))["id"]
        for name in ("PUK A", "PUK B", "PUK C")
    ]
    budis = (await community.directory.create(budi, "Rumah Budi", "region"))["id"]
    lists = organising.room_lists
    saved = await lists.save(siti, "  Pabrik Bekasi ", [rooms[1], rooms[0], rooms[1]])
    assert (saved["name"], saved["room_ids"]) == ("Pabrik Bekasi", sorted(rooms[:2]))
    await lists.save(siti, "Semua PUK", rooms)
    assert [(m["name"], m["room_ids"]) for m in await lists.mine(siti)] == [
        ("Pabrik Bekasi", sorted(rooms[:2])),
        ("Semua PUK", rooms),
    ]
    assert await lists.mine(budi) == []
    for name, room_ids, field, reason in [
        ("", rooms, "name", "room_list_name"),
        ("x" * 81, rooms, "name", "room_list_name"),
        ("Kosong", [], "room_ids", "room_list_rooms"),
        ("Curi", [rooms[0], budis], "room_ids", "room_list_not_yours"),
    ]:
        with pytest.raises(Invalid) as refused:
            await lists.save(siti, name, room_ids)
        assert (refused.value.field, refused.value.reason) == (field, reason)
    with pytest.raises(NotFound):
        await lists.delete(budi, saved["id"])
    await lists.delete(siti, saved["id"])
    assert [m["name"] for m in await lists.mine(siti)] == ["Semua PUK"]


async def test_a_member_keeps_at_most_fifty_lists(organising: Organising) -> None:
    siti = await register(organising.community, "siti")
    room = (await organising.community.directory.create(siti, "PUK", "work"))["id"]
    for n in range(MAX_LISTS):
        await organising.room_lists.save(siti, f"Daftar {n}", [room])
    with pytest.raises(Invalid) as refused:
        await organising.room_lists.save(siti, "Satu lagi", [room])
    assert refused.value.reason == "room_list_too_many"
