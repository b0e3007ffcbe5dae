"""Announcements to many rooms on SQLite and PostgreSQL: choosing rooms by region, kind and
list (only rooms one moderates), one post per room published after commit, comments from every
room in one thread, reach from read receipts, and the public view's contents."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.accounts import User
from rooms.errors import Forbidden, Invalid, NotFound
from rooms.organising import Organising
from rooms.organising.announcements import Selection
from tests.rooms.conftest import register


async def branches(organising: Organising, owner: User) -> dict[str, int]:
    directory = organising.community.directory
    made = {}
    for name, kind, code in [
        ("Sukarasa", "region", "32.73.01.1001"),
        ("Kota Bandung", "region", "32.73"),
        ("PUK Pabrik", "work", "32.73.01"),
        ("Surabaya", "region", "35.78"),
    ]:
        made[name] = (await directory.create(owner, name, kind, region_code=code))["id"]
    return made


@pytest.mark.parametrize(
    ("selection", "names"),
    [
        (Selection(region_code="32.73"), ["Sukarasa", "Kota Bandung", "PUK Pabrik"]),
        (Selection(region_code="32.73", kinds=("region",)), ["Sukarasa", "Kota Bandung"]),
        (Selection(kinds=("work",)), ["PUK Pabrik"]),
        (Selection(region_code="35"), ["Surabaya"]),
    ],
)
async def test_rooms_are_chosen_by_region_kind_and_list(
    organising: Organising, selection: Selection, names: list[str]
) -> None:
    siti = await register(organising.community, "siti")
    made = await branches(organising, siti)
    assert await organising.announcements.target_rooms(siti, selection) == sorted(
        made[name] for name in names
    )


async def test_only_rooms_one_moderates_are_announced_to(organising: Organising) -> None:
    siti = await register(organising.community, "siti")
    budi = await register(organising.community, "budi")
    made = await branches(organising, siti)
    directory = organising.community.directory
    invite = await directory.create_invite(siti, made["Sukarasa"], None, None)
    await directory.accept_invite(budi, invite["code"])
    with pytest.raises(Forbidden):
        await organising.announcements.target_rooms(budi, Selection(region_code="32"))
    await directory.set_role(siti, made["Sukarasa"], budi.id, "moderator")
    rooms = await organising.announcements.target_rooms(budi, Selection(region_code="32"))
    assert rooms == [made["Sukarasa"]]
    for selection, field in [
        (Selection(), "rooms"),
        (Selection(kinds=("planet",)), "kinds"),
        (Selection(region_code="32-73"), "region"),
    ]:
        with pytest.raises(Invalid) as refused:
            await organising.announcements.target_rooms(siti, selection)
        assert refused.value.field == field


async def test_an_announcement_is_one_post_per_room_with_comments_gathered(
    organising: Organising,
) -> None:
    community = organising.community
    siti = await register(community, "siti")
    made = await branches(organising, siti)
    budi = await register(community, "budi")
    ani = await register(community, "ani")
    for person, room in ((budi, "Sukarasa"), (ani, "PUK Pabrik")):
        invite = await community.directory.create_invite(siti, made[room], None, None)
        await community.directory.accept_invite(person, invite["code"])
    seen: list[dict[str, Any]] = []
    for room_id in made.values():
        community.bus.subscribe(f"room:{room_id}", lambda _text, event: seen.append(event))

    published = await organising.announcements.publish(
        siti, "Aksi 1 Mei", "Kumpul jam 7 di alun-alun.", Selection(region_code="32.73")
    )
    posts = [event for event in seen if event["type"] == "chat_message"]
    assert sorted(event["room_id"] for event in posts) == sorted(
        made[name] for name in ("Sukarasa", "Kota Bandung", "PUK Pabrik")
    )
    assert {event["message"]["text"] for event in posts} == {
        "Aksi 1 Mei\n\nKumpul jam 7 di alun-alun."
    }
    assert published["reach"]["rooms"] == 3
    assert published["reach"]["recipients"] == 5  # Siti in 3 rooms, Budi and Ani in one each
    assert published["reach"]["read"] == 3  # the author has read her own posts
    history, _ = await community.chat.history(budi, made["Sukarasa"], None)
    assert history[-1]["text"].startswith("Aksi 1 Mei")

    # Budi and Ani comment from their own rooms; both comments are one thread, everywhere.
    await organising.announcements.comment(budi, published["id"], made["Sukarasa"], "Siap!")
    await organising.announcements.comment(ani, published["id"], made["PUK Pabrik"], "Hadir")
    with pytest.raises(NotFound):
        await organising.announcements.comment(ani, published["id"], made["Sukarasa"], "x")
    for person in (budi, ani):
        thread = await organising.announcements.get(person, published["id"])
        assert [(c["author"]["display_name"], c["room_name"]) for c in thread["comments"]] == [
            ("Budi", "Sukarasa"),
            ("Ani", "PUK Pabrik"),
        ]
        assert "reach" not in thread
    gathered = [e for e in seen if e["type"] == "announcement_comment"]
    assert len(gathered) == 2 * 3  # each comment to each of the three rooms

    # Budi reads the post: reach counts him.
    post = history[-1]["id"]
    await community.chat.mark_read(budi, made["Sukarasa"], post)
    reach = (await organising.announcements.get(siti, published["id"]))["reach"]
    assert (reach["recipients"], reach["read"]) == (5, 4)
    pinned = await organising.announcements.for_room(ani, made["PUK Pabrik"])
    assert [(a["id"], a["comment_count"]) for a in pinned] == [(published["id"], 2)]
    with pytest.raises(NotFound):
        await organising.announcements.for_room(ani, made["Sukarasa"])


async def test_only_a_public_announcement_has_a_public_view(organising: Organising) -> None:
    siti = await register(organising.community, "siti", phone="081234567890")
    made = await branches(organising, siti)
    private = await organising.announcements.publish(
        siti, "Rapat pengurus", "Internal.", Selection(room_ids=(made["Sukarasa"],))
    )
    with pytest.raises(NotFound):
        await organising.announcements.public_view(private["id"])
    public = await organising.announcements.publish(
        siti, "Aksi 1 Mei", "Ayo ikut!", Selection(room_ids=(made["Sukarasa"],)), public=True
    )
    view = await organising.announcements.public_view(public["id"])
    assert set(view) == {"id", "title", "text", "author", "created_at", "photos", "event"}
    assert (view["photos"], view["event"]) == ([], None)
    assert view["author"] == "Siti" and public["public_url"] == f"/a/{public['id']}"
    with pytest.raises(Invalid) as refused:
        await organising.announcements.publish(siti, " ", "x", Selection(kinds=("work",)))
    assert refused.value.field == "title"
