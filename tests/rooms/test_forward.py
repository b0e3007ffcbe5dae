"""Forwarding on SQLite and PostgreSQL: text and photos (by reference) reach another room of
the forwarder's, marked forwarded; its readers open the photo without joining the first room;
deleting the first message takes the photo from every forward; only members forward, only
into rooms they may post in, within the chat's rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.community import Community
from rooms.errors import Forbidden, Invalid, NotFound, RateLimited
from tests.rooms.conftest import register
from tests.rooms.test_store import chunks_of, png, room_with


async def two_rooms(community: Community) -> tuple[int, int, list[Any]]:
    """Siti and Budi share room A; Siti and Asep share room B."""
    room_a, siti, budi = await room_with(community, "siti", "budi")
    asep = await register(community, "asep")
    room_b = (await community.directory.create(siti, "Koperasi", "work", "", "invite"))["id"]
    invite = await community.directory.create_invite(siti, room_b, None, None)
    await community.directory.accept_invite(asep, invite["code"])
    return room_a, room_b, [siti, budi, asep]


async def test_a_photo_and_text_are_forwarded_by_reference(community: Community) -> None:
    room_a, room_b, (siti, budi, asep) = await two_rooms(community)
    photo = await community.attachments.save(budi, room_a, "spanduk.png", chunks_of(png()))
    original = await community.chat.post(
        budi, room_a, "Spanduk sudah jadi", attachment_ids=[photo["id"]]
    )
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"room:{room_b}", lambda _text, event: seen.append(event))
    copy = await community.forwarding.forward(siti, original["id"], room_b)
    assert copy["room_id"] == room_b and copy["forwarded"] is True
    assert copy["text"] == "Spanduk sudah jadi" and copy["author"]["id"] == siti.id
    assert [a["id"] for a in copy["attachments"]] == [photo["id"]]
    assert original["forwarded"] is False
    assert [event["type"] for event in seen] == ["chat_message"]
    # Asep is not in room A, and opens the photo through the forward all the same.
    path, _mime = await community.attachments.open(asep, photo["id"], thumbnail=False)
    assert path.exists()
    found, _ = await community.search.messages(asep, "spanduk")
    assert [r["message"]["id"] for r in found] == [copy["id"]]
    # A forward of the forward shows the same file.
    again = await community.forwarding.forward(siti, copy["id"], room_a)
    assert [a["id"] for a in again["attachments"]] == [photo["id"]]
    with pytest.raises(Invalid) as refused:
        await community.chat.edit(siti, copy["id"], "diubah")
    assert refused.value.reason == "forwarded_not_editable"
    # Deleting the first message takes its photo from every forward.
    await community.chat.delete(budi, original["id"])
    page, _ = await community.chat.history(asep, room_b, None)
    assert page[-1]["attachments"] == [] and page[-1]["text"] == "Spanduk sudah jadi"
    with pytest.raises(NotFound):
        await community.attachments.open(asep, photo["id"], thumbnail=False)


async def test_only_members_forward_into_rooms_they_may_post_in(community: Community) -> None:
    room_a, room_b, (siti, budi, asep) = await two_rooms(community)
    message = await community.chat.post(budi, room_a, "Iuran naik")
    with pytest.raises(NotFound):  # Asep cannot see room A
        await community.forwarding.forward(asep, message["id"], room_b)
    with pytest.raises(NotFound):  # Budi is not in room B
        await community.forwarding.forward(budi, message["id"], room_b)
    with pytest.raises(NotFound) as missing:
        await community.forwarding.forward(siti, 999_999, room_b)
    assert missing.value.reason == "message_not_found"
    public = await community.directory.create(siti, "Umum", "work", "", "public")
    outside = await community.chat.post(siti, public["id"], "Terbuka")
    with pytest.raises(Forbidden):
        await community.forwarding.forward(asep, outside["id"], room_b)
    await community.chat.delete(budi, message["id"])
    with pytest.raises(Invalid) as gone:
        await community.forwarding.forward(siti, message["id"], room_b)
    assert gone.value.reason == "forward_deleted"


async def test_forwarding_spends_the_chat_allowance_and_retries_are_one_message(
    community: Community,
) -> None:
    room_a, room_b, (siti, _budi, _asep) = await two_rooms(community)
    message = await community.chat.post(siti, room_a, "Kabar")
    first = await community.forwarding.forward(siti, message["id"], room_b, "fwd-00000001")
    again = await community.forwarding.forward(siti, message["id"], room_b, "fwd-00000001")
    assert first["id"] == again["id"]
    with pytest.raises(RateLimited) as limited:
        for n in range(30):
            await community.forwarding.forward(siti, message["id"], room_b, f"fwd-{n:08d}x")
    assert limited.value.reason == "chat_too_fast"
