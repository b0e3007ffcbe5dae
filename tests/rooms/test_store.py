"""The community store on SQLite and PostgreSQL: accounts, rooms, invites, roles, chat,
attachments, agenda, bus events and the migrated schema."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from PIL import Image
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from rooms.community import attachments as attachment_module
from rooms.community.account_rules import Registration
from rooms.community.community import Community
from rooms.community.schema import metadata
from rooms.community.schema.chat import messages
from rooms.community.search import is_search_table
from rooms.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    Unauthorized,
    UnsupportedMedia,
)
from tests.rooms.conftest import Clock, register

HOUR = 3600.0


def collect(community: Community, topic: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(topic, lambda _text, event: seen.append(event))
    return seen


async def room_with(community: Community, *names: str, public: bool = False) -> tuple[Any, ...]:
    """Room id, then its owner (the first name) and members (the rest), in order."""
    people = [await register(community, name) for name in names]
    visibility = "public" if public else "invite"
    room = await community.directory.create(people[0], "Serikat", "work", "", visibility)
    for person in people[1:]:
        invite = await community.directory.create_invite(people[0], room["id"], None, None)
        await community.directory.accept_invite(person, invite["code"])
    return (room["id"], *people)


async def chunks_of(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def png(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# --- accounts -------------------------------------------------------------------------------


async def test_one_logs_in_by_username_or_phone_and_nothing_else(community: Community) -> None:
    ani = await register(community, "ani", phone="0812 3456 7890")
    assert ani.phone == "+6281234567890"
    for login in ("ani", "ANI", " ani ", "+6281234567890", "081234567890", "0812-3456-7890"):
        assert (await community.accounts.login(login, "rahasia-123")).id == ani.id, login
    for login, password in [("ani", "wrong-pass"), ("nobody", "rahasia-123"), ("08999", "x")]:
        with pytest.raises(Unauthorized):
            await community.accounts.login(login, password)


async def test_a_username_starting_with_a_zero_can_log_in(community: Community) -> None:
    agent = await register(community, "007_bond")
    assert (await community.accounts.login("007_bond", "rahasia-123")).id == agent.id


# first registration, second registration, the field the conflict names
CONFLICTS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"username": "ani"}, {"username": "ANI"}, "username"),
    (
        {"username": "budi", "phone": "0811111111"},
        {"username": "xyz", "phone": "+62811111111"},
        "phone",
    ),
    ({"phone": "0822222222"}, {"phone": "0822222222"}, "phone"),
    ({"phone": "0833333333"}, {"username": "cici", "phone": "0833333333"}, "phone"),
    (
        {"username": "dodi", "phone": "0844444444"},
        {"username": "dodi", "phone": "0855555555"},
        "username",
    ),
]


async def test_a_taken_username_or_phone_is_a_conflict_naming_it(community: Community) -> None:
    for first, second, field in CONFLICTS:
        await community.accounts.register(Registration("rahasia-123", "One", **first))
        with pytest.raises(Conflict) as caught:
            await community.accounts.register(Registration("rahasia-123", "Two", **second))
        assert caught.value.field == field, (first, second)


# --- rooms ----------------------------------------------------------------------------------


async def test_my_rooms_are_listed_newest_activity_first(
    community: Community, clock: Clock
) -> None:
    ani = await register(community, "ani")
    first = await community.directory.create(ani, "Pertama", "work")
    clock.now += HOUR
    second = await community.directory.create(ani, "Kedua", "school")
    assert [r["id"] for r in await community.directory.list_mine(ani)] == [
        second["id"],
        first["id"],
    ]
    clock.now += HOUR
    await community.chat.post(ani, first["id"], "halo")
    rooms = await community.directory.list_mine(ani)
    assert [r["id"] for r in rooms] == [first["id"], second["id"]]
    assert rooms[0]["last_message"]["text"] == "halo"
    assert (rooms[0]["my_role"], rooms[0]["member_count"]) == ("owner", 1)


async def test_discover_shows_only_public_rooms_one_is_not_in(community: Community) -> None:
    ani, budi = await register(community, "ani"), await register(community, "budi")
    public = await community.directory.create(ani, "Terbuka", "network", visibility="public")
    await community.directory.create(ani, "Tertutup", "network", visibility="invite")
    own = await community.directory.create(budi, "Punya Budi", "work", visibility="public")
    found = await community.directory.discover(budi)
    assert [r["id"] for r in found] == [public["id"]]
    assert found[0]["my_role"] is None
    joined = await community.directory.join_public(budi, public["id"])
    assert (joined["my_role"], joined["member_count"]) == ("member", 2)
    assert await community.directory.discover(budi) == []
    assert own["id"] not in [r["id"] for r in await community.directory.discover(budi)]


async def test_outsiders_see_no_last_message_of_a_public_room_members_do(
    community: Community,
) -> None:
    ani, budi = await register(community, "ani"), await register(community, "budi")
    public = await community.directory.create(ani, "Terbuka", "network", visibility="public")
    await community.chat.post(ani, public["id"], "rahasia rapat")
    [card] = await community.directory.discover(budi)
    assert card["last_message"] is None  # its history answers 403 to budi
    assert (await community.directory.get(budi, public["id"]))["last_message"] is None
    [own] = await community.directory.list_mine(ani)
    assert own["last_message"]["text"] == "rahasia rapat"
    joined = await community.directory.join_public(budi, public["id"])
    assert joined["last_message"]["text"] == "rahasia rapat"


async def test_an_invite_only_room_does_not_exist_for_outsiders(community: Community) -> None:
    room_id, _ani = await room_with(community, "ani")
    eve = await register(community, "eve")
    for attempt in (
        community.directory.get(eve, room_id),
        community.directory.join_public(eve, room_id),
        community.chat.history(eve, room_id, None),
        community.chat.post(eve, room_id, "halo"),
        community.agenda.upcoming(eve, room_id),
    ):
        with pytest.raises(NotFound):
            await attempt


async def test_a_public_room_shows_its_members_but_needs_joining_to_post(
    community: Community,
) -> None:
    room_id, ani = await room_with(community, "ani", public=True)
    budi = await register(community, "budi")
    room = await community.directory.get(budi, room_id)
    assert [(m["user"]["id"], m["role"]) for m in room["members"]] == [(ani.id, "owner")]
    with pytest.raises(Forbidden):
        await community.chat.post(budi, room_id, "halo")


async def test_an_invite_is_used_up_after_max_uses(community: Community) -> None:
    room_id, ani = await room_with(community, "ani")
    invite = await community.directory.create_invite(
        ani, room_id, max_uses=1, expires_in_hours=None
    )
    budi, cici = await register(community, "budi"), await register(community, "cici")
    await community.directory.accept_invite(budi, invite["code"])
    again = await community.directory.accept_invite(budi, invite["code"])  # harmless
    assert again["my_role"] == "member"
    with pytest.raises(Conflict, match="used up"):
        await community.directory.accept_invite(cici, invite["code"])


async def test_an_invite_expires(community: Community, clock: Clock) -> None:
    room_id, ani = await room_with(community, "ani")
    invite = await community.directory.create_invite(ani, room_id, None, expires_in_hours=2)
    assert invite["expires_at"] == "2026-11-18T13:06:40.000Z"
    clock.now += 2 * HOUR
    with pytest.raises(Conflict, match="expired"):
        await community.directory.accept_invite(await register(community, "budi"), invite["code"])
    with pytest.raises(NotFound):
        await community.directory.accept_invite(await register(community, "cici"), "no-such-code")


async def test_bad_invite_limits_name_their_field(community: Community) -> None:
    room_id, ani = await room_with(community, "ani")
    for max_uses, hours, field in [(0, None, "max_uses"), (None, 0, "expires_in_hours")]:
        with pytest.raises(Invalid) as caught:
            await community.directory.create_invite(ani, room_id, max_uses, hours)
        assert caught.value.field == field


async def test_roles_decide_who_invites_schedules_and_removes(community: Community) -> None:
    room_id, ani, budi, cici = await room_with(community, "ani", "budi", "cici")
    with pytest.raises(Forbidden):
        await community.directory.create_invite(budi, room_id, None, None)
    with pytest.raises(Forbidden):
        await community.agenda.create(budi, room_id, **EVENT)
    with pytest.raises(Forbidden):
        await community.directory.set_role(budi, room_id, cici.id, "moderator")
    promoted = await community.directory.set_role(ani, room_id, budi.id, "moderator")
    assert promoted == {"user": budi.public(), "role": "moderator"}
    await community.directory.create_invite(budi, room_id, None, None)
    with pytest.raises(Forbidden):
        await community.directory.remove(budi, room_id, ani.id)
    with pytest.raises(Forbidden):
        await community.directory.set_role(ani, room_id, ani.id, "member")
    await community.directory.remove(budi, room_id, cici.id)
    members = (await community.directory.get(ani, room_id))["members"]
    assert [(m["user"]["id"], m["role"]) for m in members] == [
        (ani.id, "owner"),
        (budi.id, "moderator"),
    ]
    with pytest.raises(NotFound):
        await community.chat.history(cici, room_id, None)


async def test_the_last_owner_cannot_leave_but_others_can(community: Community) -> None:
    room_id, ani, budi = await room_with(community, "ani", "budi")
    with pytest.raises(Conflict):
        await community.directory.remove(ani, room_id, ani.id)
    await community.directory.remove(budi, room_id, budi.id)
    assert [r["id"] for r in await community.directory.list_mine(budi)] == []


# --- chat -----------------------------------------------------------------------------------


async def test_a_reply_shows_what_it_answers(community: Community) -> None:
    room_id, ani, budi = await room_with(community, "ani", "budi")
    first = await community.chat.post(ani, room_id, "x" * 300)
    reply = await community.chat.post(budi, room_id, "setuju", reply_to=first["id"])
    assert reply["reply_to"] == {"id": first["id"], "author_name": "Ani", "text": "x" * 200}
    assert reply["author"] == budi.public()


async def test_a_reply_to_a_message_in_another_room_is_refused(community: Community) -> None:
    room_id, ani = await room_with(community, "ani")
    other_id = (await community.directory.create(ani, "Lain", "work"))["id"]
    elsewhere = await community.chat.post(ani, other_id, "di sana")
    with pytest.raises(Invalid) as caught:
        await community.chat.post(ani, room_id, "salah", reply_to=elsewhere["id"])
    assert caught.value.field == "reply_to"


async def test_history_comes_in_pages_of_fifty_back_to_the_start(community: Community) -> None:
    room_id, ani = await room_with(community, "ani")
    async with community.db.write() as conn:
        await conn.execute(
            insert(messages),
            [
                {"room_id": room_id, "author_id": ani.id, "text": f"m{i}", "created_at": i}
                for i in range(120)
            ],
        )
    texts: list[list[str]] = []
    before: int | None = None
    while True:
        page, next_before = await community.chat.history(ani, room_id, before)
        texts.append([m["text"] for m in page])
        if next_before is None:
            break
        assert next_before == page[0]["id"]
        before = next_before
    assert [len(t) for t in texts] == [50, 50, 20]
    assert [t for page in reversed(texts) for t in page] == [f"m{i}" for i in range(120)]
    with pytest.raises(Invalid):
        await community.chat.history(ani, room_id, None, limit=101)


async def test_only_the_author_edits_and_moderators_also_delete(community: Community) -> None:
    room_id, ani, budi, cici = await room_with(community, "ani", "budi", "cici")
    sent = await community.chat.post(budi, room_id, "typo")
    with pytest.raises(Forbidden):
        await community.chat.edit(ani, sent["id"], "fixed")
    edited = await community.chat.edit(budi, sent["id"], "fixed")
    assert (edited["text"], edited["edited_at"] is not None) == ("fixed", True)
    with pytest.raises(Forbidden):
        await community.chat.delete(cici, sent["id"])
    gone = await community.chat.delete(ani, sent["id"])
    assert (gone["id"], gone["text"], gone["deleted"]) == (sent["id"], "", True)
    assert gone["created_at"] == sent["created_at"]
    with pytest.raises(Invalid):
        await community.chat.edit(budi, sent["id"], "back")
    own = await community.chat.post(cici, room_id, "mine")
    assert (await community.chat.delete(cici, own["id"]))["deleted"] is True


async def test_unread_counts_follow_a_read_marker_that_never_moves_back(
    community: Community,
) -> None:
    room_id, ani, budi = await room_with(community, "ani", "budi")
    sent = [await community.chat.post(ani, room_id, f"m{i}") for i in range(4)]
    [room] = await community.directory.list_mine(budi)
    assert room["unread"] == 4
    assert (await community.directory.list_mine(ani))[0]["unread"] == 0  # one's own messages
    assert await community.chat.mark_read(budi, room_id, sent[2]["id"]) == 1
    assert await community.chat.mark_read(budi, room_id, sent[0]["id"]) == 1
    await community.chat.delete(ani, sent[3]["id"])
    assert (await community.directory.list_mine(budi))[0]["unread"] == 0
    with pytest.raises(NotFound):
        await community.chat.mark_read(budi, room_id, 10**9)


# --- attachments ----------------------------------------------------------------------------


async def test_a_photo_is_stored_with_its_size_and_a_thumbnail(community: Community) -> None:
    room_id, ani, budi = await room_with(community, "ani", "budi")
    data = png()
    saved = await community.attachments.save(ani, room_id, "../foto.png", chunks_of(data))
    assert (saved["kind"], saved["mime"], saved["size"]) == ("image", "image/png", len(data))
    assert (saved["name"], saved["width"], saved["height"]) == ("foto.png", 640, 480)
    path, mime = await community.attachments.open(ani, saved["id"], thumbnail=False)
    assert (path.read_bytes(), mime) == (data, "image/png")
    with pytest.raises(NotFound):  # not sent yet: only its uploader sees it
        await community.attachments.open(budi, saved["id"], thumbnail=False)
    with pytest.raises(Invalid):
        await community.chat.post(budi, room_id, "", attachment_ids=[saved["id"]])
    message = await community.chat.post(ani, room_id, "", attachment_ids=[saved["id"]])
    assert [a["id"] for a in message["attachments"]] == [saved["id"]]
    thumb, mime = await community.attachments.open(budi, saved["id"], thumbnail=True)
    with Image.open(thumb) as image:
        assert (image.format, mime, max(image.size)) == ("JPEG", "image/jpeg", 320)
    with pytest.raises(Invalid):  # an attachment goes with one message only
        await community.chat.post(ani, room_id, "again", attachment_ids=[saved["id"]])
    await community.chat.delete(ani, message["id"])
    for viewer in (ani, budi):
        with pytest.raises(NotFound):
            await community.attachments.open(viewer, saved["id"], thumbnail=False)


NOT_MEDIA: list[tuple[bytes, type[Exception]]] = [
    (b"just some text, not a photo" * 10, UnsupportedMedia),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", UnsupportedMedia),
    (b"", Invalid),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, UnsupportedMedia),  # a PNG in name only
]


async def test_files_that_are_not_media_are_refused_and_leave_nothing(
    community: Community,
) -> None:
    room_id, ani = await room_with(community, "ani")
    for data, error in NOT_MEDIA:
        with pytest.raises(error):
            await community.attachments.save(ani, room_id, "x.png", chunks_of(data))
    assert list((community.attachments._root / str(room_id)).iterdir()) == []


async def test_an_oversized_photo_is_refused(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachment_module, "MAX_IMAGE_BYTES", 5000)
    room_id, ani = await room_with(community, "ani")
    with pytest.raises(TooLarge):
        await community.attachments.save(ani, room_id, "big.png", chunks_of(png() + b"\x00" * 5000))
    assert list((community.attachments._root / str(room_id)).iterdir()) == []


# --- agenda ---------------------------------------------------------------------------------

EVENT = {
    "title": "Rapat anggota",
    "kind": "meeting",
    "starts_at": "2026-11-18T18:21:40",  # 15 minutes after the clock's start, in WIB
    "ends_at": "2026-11-18T20:00",
}


async def test_rsvps_are_counted_and_each_member_sees_their_own(community: Community) -> None:
    room_id, ani, budi, cici = await room_with(community, "ani", "budi", "cici")
    event = await community.agenda.create(ani, room_id, **EVENT)
    assert event["starts_at"] == "2026-11-18T18:21:40+07:00"
    assert event["meeting_url"] == f"/r/kamar-{room_id}"
    await community.agenda.rsvp(budi, event["id"], "maybe")
    await community.agenda.rsvp(budi, event["id"], "going")
    seen = await community.agenda.rsvp(cici, event["id"], "no")
    assert (seen["rsvp"], seen["my_rsvp"]) == ({"going": 1, "maybe": 0, "no": 1}, "no")
    assert (await community.agenda.get(budi, event["id"]))["my_rsvp"] == "going"
    assert (await community.agenda.get(ani, event["id"]))["my_rsvp"] is None
    assert [e["id"] for e in await community.agenda.upcoming(budi, room_id)] == [event["id"]]
    with pytest.raises(Invalid):
        await community.agenda.rsvp(budi, event["id"], "perhaps")


async def test_a_reminder_goes_out_once(community: Community, clock: Clock) -> None:
    room_id, ani = await room_with(community, "ani")
    seen = collect(community, f"room:{room_id}")
    event = await community.agenda.create(ani, room_id, **EVENT)
    later = await community.agenda.create(
        ani, room_id, **{**EVENT, "starts_at": "2026-11-18T19:00"}
    )
    assert await community.agenda.send_reminders() == 1
    assert await community.agenda.send_reminders() == 0
    clock.now += 60
    assert await community.agenda.send_reminders() == 0
    reminders = [e for e in seen if e["type"] == "event_reminder"]
    assert [(r["event"]["id"], r["minutes"]) for r in reminders] == [(event["id"], 15)]
    assert later["id"] != event["id"]


# --- bus events -----------------------------------------------------------------------------


async def test_every_change_is_announced_to_the_room(community: Community) -> None:
    room_id, ani, budi = await room_with(community, "ani", "budi")
    seen = collect(community, f"room:{room_id}")
    mine = collect(community, f"user:{budi.id}")
    sent = await community.chat.post(ani, room_id, "halo")
    await community.chat.edit(ani, sent["id"], "halo semua")
    await community.chat.mark_read(budi, room_id, sent["id"])
    await community.chat.mark_read(budi, room_id, sent["id"])  # no move, no receipt
    await community.chat.delete(ani, sent["id"])
    await community.directory.set_role(ani, room_id, budi.id, "moderator")
    event = await community.agenda.create(ani, room_id, **EVENT)
    await community.agenda.rsvp(budi, event["id"], "going")
    assert [e["type"] for e in seen] == [
        "chat_message",
        "chat_edited",
        "read_receipt",
        "chat_deleted",
        "room_member",
        "agenda_event",
        "rsvp_changed",
    ]
    assert seen[0]["message"]["id"] == seen[1]["message"]["id"] == sent["id"]
    assert seen[2] == {
        "type": "read_receipt",
        "room_id": room_id,
        "user_id": budi.id,
        "message_id": sent["id"],
    }
    assert seen[-1]["event"]["rsvp"]["going"] == 1
    assert seen[-1]["event"]["my_rsvp"] is None
    assert [(e["type"], e["role"]) for e in mine] == [("room_member", "moderator")]


# --- migrations -----------------------------------------------------------------------------


async def test_the_migrated_schema_is_the_declared_schema(community: Community) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: (
                    kind != "table" or not is_search_table(name)
                ),
            },
        )
        return list(compare_metadata(context, metadata))

    async with community.db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
