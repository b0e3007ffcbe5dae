"""An announcement's photos, video and event on SQLite and PostgreSQL: the same uploads appear in
every room's post, stored once; members of any of its rooms open them; bad uploads and events
are refused and change nothing; the public view and its photos exist only for a public
announcement; a room's moderators see the reach of their rooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.errors import Invalid, NotFound
from rooms.organising import Organising
from rooms.organising.announcements import Extras, Selection
from tests.rooms.conftest import register
from tests.rooms.test_store import EVENT, chunks_of, png
from tests.rooms.test_video_poster import mp4


async def three_rooms(community: Community) -> tuple[list[int], list[User]]:
    """Siti owns three rooms; Budi is a member of the second only, Ani of the third only."""
    siti, budi, ani = [await register(community, name) for name in ("siti", "budi", "ani")]
    ids = [
        (await community.directory.create(siti, name, "work", "", "invite"))["id"]
        for name in ("PUK A", "PUK B", "PUK C")
    ]
    for member, room_id in ((budi, ids[1]), (ani, ids[2])):
        invite = await community.directory.create_invite(siti, room_id, None, None)
        await community.directory.accept_invite(member, invite["code"])
    return ids, [siti, budi, ani]


async def photo(community: Community, user: User, room_id: int, name: str = "a.png") -> int:
    saved = await community.attachments.save(user, room_id, name, chunks_of(png(64, 48)))
    return int(saved["id"])


async def video(community: Community, user: User, room_id: int, tmp_path: Path) -> int:
    data = mp4(tmp_path / f"clip-{room_id}.mp4", 64, 48, frames=2)
    saved = await community.attachments.save(user, room_id, "clip.mp4", chunks_of(data))
    return int(saved["id"])


def stored_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "uploads").rglob("*") if p.is_file())


async def test_photos_a_video_and_an_event_reach_every_rooms_post_stored_once(
    organising: Organising, tmp_path: Path
) -> None:
    community = organising.community
    ids, (siti, budi, ani) = await three_rooms(community)
    files = [await photo(community, siti, ids[0], n) for n in ("1.png", "2.png")]
    files.append(await video(community, siti, ids[0], tmp_path))
    event = await community.agenda.create(siti, ids[0], **EVENT)
    on_disk = stored_files(tmp_path)
    assert len(on_disk) >= len(files)  # each file, and thumbnails
    published = await organising.announcements.publish(
        siti,
        "Aksi 1 Mei",
        "Kumpul jam 7.",
        Selection(room_ids=tuple(ids)),
        extras=Extras(attachment_ids=tuple(files), event_id=event["id"]),
    )
    assert [a["id"] for a in published["attachments"]] == files
    assert published["event"]["id"] == event["id"]
    assert stored_files(tmp_path) == on_disk  # no copy of the bytes per room
    for reader, room_id in ((siti, ids[0]), (budi, ids[1]), (ani, ids[2])):
        page, _ = await community.chat.history(reader, room_id, None)
        assert [a["id"] for a in page[-1]["attachments"]] == files
        [pinned] = await organising.announcements.for_room(reader, room_id)
        assert [a["id"] for a in pinned["attachments"]] == files
        assert (pinned["event"]["title"], pinned["event"]["starts_at"]) == (
            "Rapat anggota",
            "2026-11-18T18:21:40+07:00",
        )
        for file_id in files:  # Budi and Ani were never in the room the files went to
            path, _mime = await community.attachments.open(reader, file_id, thumbnail=False)
            assert path.exists()
    with pytest.raises(Invalid):  # sent with the announcement: not again in a chat message
        await community.chat.post(siti, ids[0], "lagi", attachment_ids=[files[0]])


async def refused(organising: Organising, user: User, room_ids: list[int], extras: Extras) -> str:
    with pytest.raises(Invalid) as caught:
        await organising.announcements.publish(
            user, "Judul", "Isi", Selection(room_ids=tuple(room_ids)), extras=extras
        )
    assert caught.value.field in ("attachment_ids", "event_id")
    return str(caught.value.reason)


async def test_bad_uploads_and_events_are_refused_and_change_nothing(
    organising: Organising, tmp_path: Path
) -> None:
    community = organising.community
    ids, (siti, budi, _ani) = await three_rooms(community)
    mine = await photo(community, siti, ids[0])
    elsewhere = (await community.directory.create(siti, "Lain", "work", "", "invite"))["id"]
    outside = await photo(community, siti, elsewhere)
    theirs = await photo(community, budi, ids[1])
    sent = await photo(community, siti, ids[0])
    await community.chat.post(siti, ids[0], "foto", attachment_ids=[sent])
    videos = [await video(community, siti, ids[0], tmp_path) for _ in range(2)]
    strange_room = (await community.directory.create(budi, "Rahasia", "work", "", "invite"))["id"]
    hidden_event = await community.agenda.create(budi, strange_room, **EVENT)
    cases: list[tuple[Extras, str]] = [
        (Extras(attachment_ids=tuple(range(1, 12))), "too_many_attachments"),
        (Extras(attachment_ids=(mine, outside)), "announcement_attachments"),
        (Extras(attachment_ids=(mine, theirs)), "announcement_attachments"),
        (Extras(attachment_ids=(sent,)), "announcement_attachments"),
        (Extras(attachment_ids=(999_999,)), "announcement_attachments"),
        (Extras(attachment_ids=tuple(videos)), "announcement_videos"),
        (Extras(attachment_ids=(mine,), event_id=999_999), "announcement_event"),
        (Extras(event_id=hidden_event["id"]), "announcement_event"),
    ]
    for extras, reason in cases:
        assert await refused(organising, siti, ids, extras) == reason
    for room_id in ids:
        assert await organising.announcements.for_room(siti, room_id) == []
    # Nothing was taken: the photo still goes with a chat message.
    posted = await community.chat.post(siti, ids[0], "foto", attachment_ids=[mine])
    assert [a["id"] for a in posted["attachments"]] == [mine]


async def test_only_a_public_announcement_shows_its_photos_and_event_to_anyone(
    organising: Organising, tmp_path: Path
) -> None:
    community = organising.community
    ids, (siti, _budi, _ani) = await three_rooms(community)
    announcements = organising.announcements
    event = await community.agenda.create(siti, ids[0], **EVENT)

    async def announce(public: bool) -> dict[str, Any]:
        files = (
            await photo(community, siti, ids[0]),
            await video(community, siti, ids[0], tmp_path),
        )
        return await announcements.publish(
            siti,
            "Aksi",
            "Ayo",
            Selection(room_ids=tuple(ids)),
            public=public,
            extras=Extras(attachment_ids=files, event_id=event["id"]),
        )

    private = await announce(public=False)
    for file in private["attachments"]:
        for thumbnail in (False, True):
            with pytest.raises(NotFound):
                await announcements.public_photo(private["id"], file["id"], thumbnail)
    public = await announce(public=True)
    shown_photo, shown_video = public["attachments"]
    view = await announcements.public_view(public["id"])
    assert [p["url"] for p in view["photos"]] == [f"/a/{public['id']}/photos/{shown_photo['id']}"]
    assert view["event"] == {
        "title": "Rapat anggota",
        "kind": "meeting",
        "location": "",
        "starts_at": "2026-11-18T18:21:40+07:00",
        "ends_at": "2026-11-18T20:00:00+07:00",
    }
    relative, mime = await announcements.public_photo(public["id"], shown_photo["id"], False)
    assert mime == "image/png" and community.attachments.stored(relative).is_file()
    with pytest.raises(NotFound):  # videos are for members
        await announcements.public_photo(public["id"], shown_video["id"], False)
    with pytest.raises(NotFound):  # a photo of another announcement, through this one's page
        await announcements.public_photo(public["id"], private["attachments"][0]["id"], False)


async def test_room_moderators_see_the_reach_of_their_rooms_members_none(
    organising: Organising,
) -> None:
    community = organising.community
    ids, (siti, budi, ani) = await three_rooms(community)
    published = await organising.announcements.publish(
        siti, "Aksi", "Ayo", Selection(room_ids=tuple(ids))
    )
    assert [r["room_name"] for r in published["reach"]["per_room"]] == ["PUK A", "PUK B", "PUK C"]
    [pinned] = await organising.announcements.for_room(siti, ids[1])
    assert (pinned["reach"]["recipients"], pinned["reach"]["read"]) == (5, 3)
    [seen] = await organising.announcements.for_room(budi, ids[1])
    assert "reach" not in seen
    await community.directory.set_role(siti, ids[1], budi.id, "moderator")
    [seen] = await organising.announcements.for_room(budi, ids[1])
    assert seen["reach"]["per_room"] == [
        {"room_id": ids[1], "room_name": "PUK B", "recipients": 2, "read": 1}
    ]
    await community.chat.mark_read(budi, ids[1], seen["message_id"])
    reach = (await organising.announcements.get(budi, published["id"]))["reach"]
    assert (reach["rooms"], reach["recipients"], reach["read"]) == (1, 2, 2)
    assert "reach" not in await organising.announcements.get(ani, published["id"])


async def test_deleting_one_rooms_post_leaves_the_files_to_the_others_until_the_last(
    organising: Organising,
) -> None:
    community = organising.community
    ids, (siti, budi, ani) = await three_rooms(community)
    file_id = await photo(community, siti, ids[0])
    published = await organising.announcements.publish(
        siti,
        "Aksi",
        "Ayo",
        Selection(room_ids=tuple(ids)),
        public=True,
        extras=Extras(attachment_ids=(file_id,)),
    )
    posts = {
        room_id: (await organising.announcements.for_room(siti, room_id))[0]["message_id"]
        for room_id in ids
    }
    # The post the photo was uploaded with goes first: a moderator clearing room A.
    await community.chat.delete(siti, posts[ids[0]])
    assert await community.attachments.purge(posts[ids[0]]) == 0
    for reader, room_id in ((budi, ids[1]), (ani, ids[2])):
        page, _ = await community.chat.history(reader, room_id, None)
        assert [a["id"] for a in page[-1]["attachments"]] == [file_id]
        path, _mime = await community.attachments.open(reader, file_id, thumbnail=False)
        assert path.is_file()
    relative, _ = await organising.announcements.public_photo(published["id"], file_id, False)
    assert community.attachments.stored(relative).is_file()
    await community.chat.delete(siti, posts[ids[1]])
    assert await community.attachments.purge(posts[ids[1]]) == 0
    page, _ = await community.chat.history(ani, ids[2], None)
    assert [a["id"] for a in page[-1]["attachments"]] == [file_id]
    # The last post takes the file with it.
    await community.chat.delete(siti, posts[ids[2]])
    assert await community.attachments.purge(posts[ids[2]]) == 2  # the photo and its thumbnail
    with pytest.raises(NotFound):
        await community.attachments.open(ani, file_id, thumbnail=False)
    with pytest.raises(NotFound):
        await organising.announcements.public_photo(published["id"], file_id, False)
