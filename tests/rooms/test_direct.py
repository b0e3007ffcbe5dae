"""Direct messages on SQLite and PostgreSQL: a conversation is a two-member room made once,
only between members who share a room; blocks stop it both ways; reports reach administrators."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.account_rules import Registration
from rooms.community.community import Community
from rooms.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from tests.rooms.conftest import register
from tests.rooms.test_store import room_with


async def test_a_conversation_is_a_two_member_room_made_once_and_named_after_the_other(
    community: Community,
) -> None:
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"user:{budi.id}", lambda _text, event: seen.append(event))
    card = await community.direct.open(siti, budi.id)
    assert card["name"] == "Budi" and card["kind"] == "direct"
    assert card["direct_with"]["id"] == budi.id and card["member_count"] == 2
    assert [event["type"] for event in seen] == ["room_member"]  # Budi's feed follows it
    again = await community.direct.open(budi, siti.id)
    assert again["id"] == card["id"] and again["name"] == "Siti"
    message = await community.chat.post(siti, card["id"], "Besok rapat?")
    page, _ = await community.chat.history(budi, card["id"], None)
    assert [m["id"] for m in page] == [message["id"]]
    mine = {room["id"]: room for room in await community.directory.list_mine(budi)}
    assert mine[card["id"]]["unread"] == 1 and mine[card["id"]]["direct_with"]["id"] == siti.id
    with pytest.raises(Forbidden):  # plain members: nobody invites a third
        await community.directory.create_invite(siti, card["id"], None, None)
    with pytest.raises(Conflict) as leaving:
        await community.directory.remove(siti, card["id"], siti.id)
    assert leaving.value.reason == "dm_cannot_leave"


async def test_only_members_who_share_a_room_can_start_one(community: Community) -> None:
    _room_id, siti = await room_with(community, "siti")
    asep = await register(community, "asep")
    with pytest.raises(Forbidden) as refused:
        await community.direct.open(siti, asep.id)
    assert refused.value.reason == "dm_no_shared_room"
    with pytest.raises(Invalid):
        await community.direct.open(siti, siti.id)
    with pytest.raises(NotFound):
        await community.direct.open(siti, 99_999)
    assert [room["kind"] for room in await community.directory.list_mine(siti)] == ["work"]


async def test_a_blocked_member_can_neither_start_nor_continue_and_the_blocker_sees_nothing(
    community: Community,
) -> None:
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    card = await community.direct.open(budi, siti.id)
    await community.chat.post(budi, card["id"], "Halo", client_id="halo-0001")
    await community.direct.block(siti, budi.id)
    await community.direct.block(siti, budi.id)  # again: nothing changes
    with pytest.raises(Forbidden) as refused:
        await community.chat.post(budi, card["id"], "Kok diam?")
    assert refused.value.reason == "dm_blocked"
    with pytest.raises(Forbidden):
        await community.direct.open(budi, siti.id)
    with pytest.raises(Forbidden) as own:  # the blocker must lift the block to write
        await community.chat.post(siti, card["id"], "Jangan hubungi saya")
    assert own.value.reason == "dm_you_blocked"
    # a retry of a message stored before the block is still answered, not refused
    retry = await community.chat.post(budi, card["id"], "Halo", client_id="halo-0001")
    assert retry["text"] == "Halo"
    assert card["id"] not in [room["id"] for room in await community.directory.list_mine(siti)]
    assert [user["id"] for user in await community.direct.blocked(siti)] == [budi.id]
    await community.direct.unblock(siti, budi.id)
    assert await community.direct.blocked(siti) == []
    await community.chat.post(budi, card["id"], "Maaf")
    assert card["id"] in [room["id"] for room in await community.directory.list_mine(siti)]


async def test_a_report_is_stored_once_and_only_administrators_see_it(
    community: Community,
) -> None:
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    form = Registration(password="rahasia-123", display_name="Admin", username="admin")
    admin = await community.accounts.register(form, is_admin=True)
    card = await community.direct.open(budi, siti.id)
    rude = await community.chat.post(budi, card["id"], "Kata kasar")
    await community.direct.report(siti, card["id"], "Kasar", rude["id"])
    await community.direct.report(siti, card["id"], "Lagi")  # once per member: kept as it was
    [report] = await community.direct.reports(admin)
    assert report["reason"] == "Kasar" and report["message"]["text"] == "Kata kasar"
    assert report["reporter"]["id"] == siti.id and report["reported"]["id"] == budi.id
    with pytest.raises(Forbidden):
        await community.direct.reports(siti)
    with pytest.raises(Invalid) as empty:
        await community.direct.report(siti, card["id"], "  ")
    assert empty.value.reason == "report_reason"
    outsider = await register(community, "asep")
    with pytest.raises(NotFound):
        await community.direct.report(outsider, card["id"], "Kasar")
    with pytest.raises(NotFound):  # only direct conversations are reported here
        await community.direct.report(siti, _room_id, "Kasar")


async def test_new_conversations_are_rate_limited(community: Community) -> None:
    names = ["siti", *[f"anggota{i}" for i in range(11)]]
    room_id, siti, *others = await room_with(community, *names)
    assert room_id
    for other in others[:10]:
        await community.direct.open(siti, other.id)
    with pytest.raises(RateLimited) as limited:
        await community.direct.open(siti, others[10].id)
    assert limited.value.reason == "dm_too_many"
    await community.direct.open(siti, others[0].id)  # an existing one opens freely


async def test_across_a_block_reading_moves_the_marker_but_tells_nobody(
    community: Community,
) -> None:
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    card = await community.direct.open(siti, budi.id)
    message = await community.chat.post(siti, card["id"], "Halo")
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"room:{card['id']}", lambda _text, event: seen.append(event))
    await community.direct.block(siti, budi.id)
    assert await community.chat.mark_read(budi, card["id"], message["id"]) == 0
    assert seen == []
