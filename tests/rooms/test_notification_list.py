"""The in-app notification list on SQLite and PostgreSQL: mentions of oneself by name in
one's rooms (not one's own, not deleted, not in rooms one is not in), and events starting
soon in one's rooms that one has not declined, and announcements to one's rooms by others."""

from __future__ import annotations

from rooms.community.community import Community
from rooms.organising import open_organising
from rooms.organising.announcements import Selection
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import EVENT, room_with


async def test_mentions_and_soon_events_are_listed(community: Community) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    elsewhere = await register(community, "asep")
    other = await community.directory.create(elsewhere, "Lain", "work", "", "invite")
    await community.chat.post(elsewhere, other["id"], "@Budi di kamar lain")
    await community.chat.post(siti, room, "Tanpa sebutan")
    first = await community.chat.post(siti, room, "@budi tolong cek 100% ya")
    gone = await community.chat.post(siti, room, "@Budi salah kirim")
    await community.chat.delete(siti, gone["id"])
    await community.chat.post(budi, room, "@Budi menyebut diri sendiri")
    event = await community.agenda.create(siti, room, **EVENT)
    listed = await community.notifications.of(budi)
    assert [m["message"]["id"] for m in listed["mentions"]] == [first["id"]]
    assert listed["mentions"][0]["room"]["name"] == "Serikat"
    assert [e["id"] for e in listed["events"]] == [event["id"]]
    await community.agenda.rsvp(budi, event["id"], "no")
    assert (await community.notifications.of(budi))["events"] == []
    assert (await community.notifications.of(siti))["mentions"] == []


async def test_announcements_to_ones_rooms_by_others_are_listed(
    community: Community, clock: Clock
) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    outsider = await register(community, "asep")
    other = await community.directory.create(outsider, "Lain", "work", "", "invite")
    organising = open_organising(community, clock, "test-secret")
    publish = organising.announcements.publish
    await publish(outsider, "Di kamar lain", "Bukan untuk Budi", Selection(room_ids=(other["id"],)))
    posted = await publish(siti, "Mogok 1 Mei", "Kumpul jam 7", Selection(room_ids=(room,)))
    await community.chat.post(siti, room, "Pesan biasa")
    listed = await community.notifications.of(budi)
    [entry] = listed["announcements"]
    assert entry["room"]["name"] == "Serikat"
    assert entry["message"]["text"] == "Mogok 1 Mei\n\nKumpul jam 7"
    assert posted["id"]
    assert (await community.notifications.of(siti))["announcements"] == []  # one's own
