"""Who read a message, on SQLite and PostgreSQL: the members past it with the time their
marker reached it, never its author, only for members, hidden across a block."""

from __future__ import annotations

import pytest

from rooms.community.community import Community
from rooms.errors import Forbidden, NotFound
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import room_with


async def test_readers_are_listed_with_the_time_they_first_read(
    community: Community, clock: Clock
) -> None:
    room, siti, budi, asep, dewi = await room_with(community, "siti", "budi", "asep", "dewi")
    first = await community.chat.post(siti, room, "Rapat Sabtu")
    second = await community.chat.post(siti, room, "Jam 9")
    clock.now += 60
    await community.chat.mark_read(asep, room, second["id"])  # reading the newest covers both
    clock.now += 60
    await community.chat.mark_read(budi, room, first["id"])
    clock.now += 60
    await community.chat.mark_read(budi, room, second["id"])
    seen = await community.readers.of_message(siti, first["id"])
    assert [(r["user"]["display_name"], r["read_at"]) for r in seen["readers"]] == [
        ("Asep", "2026-11-18T11:07:40.000Z"),
        ("Budi", "2026-11-18T11:08:40.000Z"),
    ]
    assert seen["count"] == 2
    later = await community.readers.of_message(dewi, second["id"])
    assert [r["user"]["display_name"] for r in later["readers"]] == ["Asep", "Budi"]
    reply = await community.chat.post(budi, room, "Siap")  # posting reads what came before
    assert [
        r["user"]["display_name"]
        for r in (await community.readers.of_message(siti, second["id"]))["readers"]
    ] == ["Asep", "Budi"]
    assert (await community.readers.of_message(budi, reply["id"]))["readers"] == []


async def test_only_members_see_readers(community: Community) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    outsider = await register(community, "asep")
    public = await community.directory.create(siti, "Umum", "work", "", "public")
    message = await community.chat.post(siti, room, "Iuran")
    open_message = await community.chat.post(siti, public["id"], "Halo")
    with pytest.raises(NotFound):
        await community.readers.of_message(outsider, message["id"])
    with pytest.raises(Forbidden) as refused:
        await community.readers.of_message(outsider, open_message["id"])
    assert refused.value.reason == "join_room_first"
    with pytest.raises(NotFound) as missing:
        await community.readers.of_message(budi, 999_999)
    assert missing.value.reason == "message_not_found"


async def test_a_block_hides_reads_in_a_direct_conversation(community: Community) -> None:
    _room, siti, budi = await room_with(community, "siti", "budi")
    direct = await community.direct.open(siti, budi.id)
    message = await community.chat.post(siti, direct["id"], "Halo Budi")
    await community.chat.mark_read(budi, direct["id"], message["id"])
    assert (await community.readers.of_message(siti, message["id"]))["count"] == 1
    await community.direct.block(budi, siti.id)
    assert (await community.readers.of_message(siti, message["id"]))["readers"] == []
