"""The marketplace on SQLite and PostgreSQL: who sees a listing, search, regions, photos,
reports, moderation, rate limits and the conversation with the seller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.community.regions.data import regions
from rooms.errors import Forbidden, Invalid, NotFound, RateLimited, UnsupportedMedia
from rooms.market.listings import LISTING_BURST, Search, region_label
from rooms.market.market import Market, open_market
from rooms.market.rules import DAY_MS, ListingForm
from tests.rooms.conftest import Clock, register
from tests.rooms.test_store import chunks_of, png, room_with


@pytest.fixture
async def market(community: Community, tmp_path: Path, clock: Clock) -> Market:
    return open_market(community, tmp_path, clock)


def form(rooms: list[int], title: str = "Nasi goreng", **changes: Any) -> ListingForm:
    values: dict[str, Any] = {
        "title": title,
        "description": "Pedas, dibungkus daun pisang",
        "pricing": "fixed",
        "price": 15_000,
        "category": "food",
        "condition": "none",
        "region": "32.73.01",
        "scope": "rooms",
        "rooms": rooms,
        "photos": [],
    }
    return ListingForm(**{**values, **changes})


def titles(listings: list[dict[str, Any]]) -> list[str]:
    return [listing["title"] for listing in listings]


async def test_a_listing_is_seen_in_its_rooms_and_not_outside_them(
    community: Community, market: Market
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    stranger = await register(community, "asep")
    listing = await market.listings.create(siti, form([room_id]))
    assert listing["seller"]["id"] == siti.id and listing["status"] == "available"
    assert listing["rooms"] == [{"id": room_id, "name": "Serikat"}]
    assert titles(await market.listings.browse(budi, Search())) == ["Nasi goreng"]
    assert await market.listings.browse(stranger, Search()) == []
    with pytest.raises(NotFound):
        await market.listings.get(stranger, listing["id"])


async def test_an_organisation_wide_listing_is_seen_by_everyone_on_the_server(
    community: Community, market: Market
) -> None:
    siti = await register(community, "siti")
    stranger = await register(community, "asep")
    await market.listings.create(siti, form([], "Kaos serikat", scope="organisation"))
    [seen] = await market.listings.browse(stranger, Search())
    assert seen["title"] == "Kaos serikat" and seen["rooms"] == []


async def test_a_seller_must_be_able_to_post_in_every_room_named(
    community: Community, market: Market
) -> None:
    room_id, siti = await room_with(community, "siti")
    other_room, _budi = await room_with(community, "budi")
    with pytest.raises(NotFound):
        await market.listings.create(siti, form([room_id, other_room]))
    assert await market.listings.browse(siti, Search(seller_id=siti.id)) == []


async def test_search_by_words_category_and_region(community: Community, market: Market) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    await market.listings.create(siti, form([room_id], "Nasi goreng", region="32.73.01"))
    await market.listings.create(
        budi,
        form(
            [room_id],
            "Sepeda bekas",
            description="Roda 26",
            category="secondhand",
            condition="used",
            region="32.04",
        ),
    )
    await market.listings.create(budi, form([room_id], "Nasi uduk 100%", region="31.71"))
    assert titles(await market.listings.browse(siti, Search(q="NASI"))) == [
        "Nasi uduk 100%",
        "Nasi goreng",
    ]
    assert titles(await market.listings.browse(siti, Search(q="nasi goreng"))) == ["Nasi goreng"]
    assert titles(await market.listings.browse(siti, Search(q="100%"))) == ["Nasi uduk 100%"]
    assert titles(await market.listings.browse(siti, Search(q="roda"))) == ["Sepeda bekas"]
    assert titles(await market.listings.browse(siti, Search(category="secondhand"))) == [
        "Sepeda bekas"
    ]
    # "32" is the province: both listings in it, none of Jakarta's (31)
    assert titles(await market.listings.browse(siti, Search(region="32"))) == [
        "Sepeda bekas",
        "Nasi goreng",
    ]
    assert titles(await market.listings.browse(siti, Search(region="32.04"))) == ["Sepeda bekas"]
    with pytest.raises(Invalid):
        await market.listings.browse(siti, Search(region="Bandung"))


async def test_a_listing_names_its_region_from_the_village_up(
    community: Community, market: Market
) -> None:
    room_id, siti = await room_with(community, "siti")
    await market.listings.create(siti, form([room_id], "Nasi goreng", region="32.73.01.1001"))
    await market.listings.create(siti, form([room_id], "Sepeda", region="32.04"))
    shown = {row["title"]: row for row in await market.listings.browse(siti, Search())}
    assert shown["Nasi goreng"]["region"] == "32.73.01.1001"
    assert shown["Nasi goreng"]["region_label"] == "Sukarasa, Sukasari, Kota Bandung, Jawa Barat"
    assert shown["Sepeda"]["region_label"] == "Kabupaten Bandung, Jawa Barat"


def test_a_code_the_region_data_no_longer_has_is_shown_as_it_is() -> None:
    index = regions()
    assert region_label(index, "32.73") == "Kota Bandung, Jawa Barat"
    assert region_label(index, "32.99") == "32.99"  # a renumbered regency: no name to give
    assert region_label(index, "") == ""


async def test_near_sorts_by_closeness_in_the_region_hierarchy(
    community: Community, market: Market
) -> None:
    room_id, siti = await room_with(community, "siti")
    for title, region in [
        ("Kecamatan sama", "32.73.01"),
        ("Provinsi lain", "31.71"),
        ("Kota sama", "32.73.05"),
        ("Desa sama", "32.73.01.1001"),
        ("Provinsi sama", "32.04"),
    ]:
        await market.listings.create(siti, form([room_id], title, region=region))
    near = await market.listings.browse(siti, Search(near="32.73.01.1001"))
    assert titles(near) == [
        "Desa sama",
        "Kecamatan sama",
        "Kota sama",
        "Provinsi sama",
        "Provinsi lain",
    ]


async def test_status_expiry_and_a_sellers_own_page(
    community: Community, market: Market, clock: Clock
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    sold = await market.listings.create(siti, form([room_id], "Terjual"))
    await market.listings.create(siti, form([room_id], "Seminggu", expires_in_days=7))
    kept = await market.listings.create(siti, form([room_id], "Dipesan"))
    await market.listings.update(siti, sold["id"], {"status": "sold"})
    changed = await market.listings.update(
        siti, kept["id"], {"status": "reserved", "price": 12_000}
    )
    assert (changed["status"], changed["price"], changed["pricing"]) == (
        "reserved",
        12_000,
        "fixed",
    )
    clock.now += 8 * DAY_MS / 1000
    assert titles(await market.listings.browse(budi, Search())) == ["Dipesan"]
    assert titles(await market.listings.browse(budi, Search(status="sold"))) == ["Terjual"]
    # the seller's own page keeps everything, the expired listing included
    own = await market.listings.browse(siti, Search(seller_id=siti.id))
    assert titles(own) == ["Dipesan", "Seminggu", "Terjual"]
    assert [listing["expired"] for listing in own] == [False, True, False]
    with pytest.raises(Forbidden):
        await market.listings.update(budi, kept["id"], {"status": "sold"})
    with pytest.raises(Invalid) as refused:
        await market.listings.update(siti, kept["id"], {"pricing": "free", "price": 5})
    assert refused.value.field == "price"


async def test_a_photo_follows_the_chat_rules_and_is_seen_with_its_listing(
    community: Community, market: Market, tmp_path: Path
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    stranger = await register(community, "asep")
    photo = await market.listings.photos.save(siti, chunks_of(png(800, 600)))
    assert (photo["width"], photo["height"]) == (800, 600)
    with pytest.raises(NotFound):  # not in a listing yet: only its uploader sees it
        await market.listings.photo(budi, photo["id"], thumbnail=False)
    listing = await market.listings.create(siti, form([room_id], photos=[photo["id"]]))
    assert [p["id"] for p in listing["photos"]] == [photo["id"]]
    path, mime = await market.listings.photo(budi, photo["id"], thumbnail=True)
    assert mime == "image/jpeg"
    with Image.open(path) as thumb:
        assert max(thumb.size) == 320
    with pytest.raises(NotFound):
        await market.listings.photo(stranger, photo["id"], thumbnail=False)
    with pytest.raises(Invalid):  # already in a listing
        await market.listings.create(siti, form([room_id], photos=[photo["id"]]))


async def test_videos_and_other_files_are_not_listing_photos(
    market: Market, community: Community
) -> None:
    siti = await register(community, "siti")
    with pytest.raises(UnsupportedMedia):
        await market.listings.photos.save(siti, chunks_of(b"\x00\x00\x00\x18ftypmp42" + bytes(100)))
    with pytest.raises(UnsupportedMedia):
        await market.listings.photos.save(siti, chunks_of(b"%PDF-1.7" + bytes(100)))


async def test_abandoned_photos_expire_and_claimed_ones_stay(
    community: Community, market: Market, clock: Clock
) -> None:
    room_id, siti = await room_with(community, "siti")
    kept = await market.listings.photos.save(siti, chunks_of(png()))
    await market.listings.photos.save(siti, chunks_of(png()))
    await market.listings.create(siti, form([room_id], photos=[kept["id"]]))
    assert await market.listings.photos.expire_orphans(int(clock() * 1000) + 25 * 3_600_000) == 1
    await market.listings.photo(siti, kept["id"], thumbnail=False)


async def test_sellers_are_rate_limited(community: Community, market: Market) -> None:
    room_id, siti = await room_with(community, "siti")
    for n in range(LISTING_BURST):
        await market.listings.create(siti, form([room_id], f"Barang {n}"))
    with pytest.raises(RateLimited) as limited:
        await market.listings.create(siti, form([room_id], "Satu lagi"))
    assert limited.value.retry_after is not None and limited.value.retry_after > 60


async def promote(community: Community, owner: User, room_id: int, member: User) -> None:
    await community.directory.set_role(owner, room_id, member.id, "moderator")


async def test_a_report_reaches_the_rooms_moderators_who_hide_the_listing(
    community: Community, market: Market
) -> None:
    room_id, owner, siti, budi = await room_with(community, "ketua", "siti", "budi")
    listing = await market.listings.create(siti, form([room_id], "Obat kuat"))
    await market.moderation.report(budi, listing["id"], "Penipuan")
    await market.moderation.report(budi, listing["id"], "Penipuan lagi")  # once per member
    with pytest.raises(Invalid):
        await market.moderation.report(siti, listing["id"], "sendiri")
    assert await market.moderation.reported(budi) == []
    with pytest.raises(Forbidden):
        await market.moderation.set_hidden(budi, listing["id"], True)
    [reported] = await market.moderation.reported(owner)
    assert reported["reports"] == ["Penipuan"]
    hidden = await market.moderation.set_hidden(owner, listing["id"], True)
    assert hidden["hidden"] is True
    assert await market.listings.browse(budi, Search()) == []
    with pytest.raises(NotFound):
        await market.listings.get(budi, listing["id"])
    assert (await market.listings.get(siti, listing["id"]))["hidden"] is True  # the seller sees why


async def test_chat_with_the_seller_is_their_direct_conversation_quoting_the_listing(
    community: Community, market: Market
) -> None:
    room_id, siti, budi = await room_with(community, "siti", "budi")
    listing = await market.listings.create(siti, form([room_id]))
    other = await market.listings.create(
        siti, form([room_id], "Es teh", pricing="free", price=None)
    )
    seen: list[dict[str, Any]] = []
    community.bus.subscribe(f"user:{siti.id}", lambda _text, event: seen.append(event))
    room = await market.chats.open(budi, listing["id"])
    assert (
        room["name"] == "Siti" and room["kind"] == "direct" and room["listing_id"] == listing["id"]
    )
    assert room["member_count"] == 2 and room["my_role"] == "member"
    assert [event["type"] for event in seen] == ["room_member"]  # the seller's feed follows it
    again = await market.chats.open(budi, listing["id"])
    assert again["id"] == room["id"]
    assert (await community.direct.open(siti, budi.id))["id"] == room["id"]  # one per pair
    about_other = await market.chats.open(budi, other["id"])
    assert about_other["id"] == room["id"]
    page, _ = await community.chat.history(siti, room["id"], None)
    assert [m["text"] for m in page] == [
        f"🛒 Nasi goreng · Rp 15.000\n#/market/{listing['id']}",  # quoted once, not on asking again
        f"🛒 Es teh · Rp 0\n#/market/{other['id']}",
    ]
    assert all(m["author"]["id"] == budi.id for m in page)
    with pytest.raises(Invalid):
        await market.chats.open(siti, listing["id"])
    await community.direct.block(siti, budi.id)
    third = await market.listings.create(siti, form([room_id], "Kopi"))
    with pytest.raises(Forbidden):  # a block holds in the market too
        await market.chats.open(budi, third["id"])


async def test_a_refused_listing_changes_nothing(community: Community, market: Market) -> None:
    room_id, siti = await room_with(community, "siti")
    with pytest.raises(Invalid) as refused:
        await market.listings.create(siti, form([room_id], "  "))
    assert refused.value.field == "title"
    assert await market.listings.browse(siti, Search(seller_id=siti.id)) == []
