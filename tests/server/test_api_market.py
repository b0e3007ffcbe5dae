"""The marketplace over HTTP on SQLite and PostgreSQL: a listing with a photo, search, the
seller's conversation, reports and moderation, and clear refusals."""

from __future__ import annotations

import aiohttp

from tests.rooms.test_store import png
from tests.server.api_client import Api


async def upload_photo(api: Api, token: str, data: bytes, expect: int = 201) -> dict[str, object]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="foto.png", content_type="image/png")
    answer: dict[str, object] = await api.call(
        "POST", "/api/market/photos", token, data=form, expect=expect
    )
    return answer


async def test_a_listing_with_a_photo_is_found_and_opens_a_chat_with_the_seller(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    room = await api.room(siti)
    await api.join_by_invite(siti, budi, room["id"])
    photo = await upload_photo(api, siti, png())
    listing = await api.call(
        "POST",
        "/api/market/listings",
        siti,
        json={
            "title": "Keripik singkong",
            "pricing": "fixed",
            "price": 10_000,
            "category": "food",
            "region": "32.73",
            "rooms": [room["id"]],
            "photos": [photo["id"]],
        },
        expect=201,
    )
    found = await api.call("GET", "/api/market/listings?q=keripik&region=32", budi)
    assert [item["id"] for item in found["listings"]] == [listing["id"]]
    thumb = found["listings"][0]["photos"][0]["thumbnail_url"]
    assert (await api.client.get(thumb, headers={"Authorization": f"Bearer {budi}"})).status == 200
    chat = await api.call("POST", f"/api/market/listings/{listing['id']}/chat", budi)
    await api.call(
        "POST", f"/api/rooms/{chat['id']}/messages", budi, json={"text": "Masih?"}, expect=201
    )
    history = await api.call("GET", f"/api/rooms/{chat['id']}/messages", siti)
    assert [m["text"] for m in history["messages"]] == [  # the quote of the listing first
        f"🛒 Keripik singkong · Rp 10.000\n#/market/{listing['id']}",
        "Masih?",
    ]
    assert chat["kind"] == "direct" and chat["name"] == "Siti"
    sold = await api.call(
        "PATCH", f"/api/market/listings/{listing['id']}", siti, json={"status": "sold"}
    )
    assert sold["status"] == "sold"
    assert (await api.call("GET", "/api/market/listings", budi))["listings"] == []


async def test_a_reported_listing_is_hidden_by_a_room_moderator(api: Api) -> None:
    ketua, _ = await api.user("ketua")
    siti, _ = await api.user("siti")
    room = await api.room(ketua)
    await api.join_by_invite(ketua, siti, room["id"])
    body = {"title": "HP murah", "pricing": "nego", "category": "secondhand", "region": "31"}
    listing = await api.call(
        "POST", "/api/market/listings", siti, json={**body, "rooms": [room["id"]]}, expect=201
    )
    path = f"/api/market/listings/{listing['id']}"
    await api.call("POST", f"{path}/report", ketua, json={"reason": "Barang curian"}, expect=204)
    reports = await api.call("GET", "/api/market/reports", ketua)
    assert [item["reports"] for item in reports["listings"]] == [["Barang curian"]]
    refused = await api.call("POST", f"{path}/moderation", siti, json={"hidden": True}, expect=403)
    assert refused["error"]["code"] == "forbidden"
    await api.call("POST", f"{path}/moderation", ketua, json={"hidden": True})
    assert (await api.call("GET", path, siti))["hidden"] is True
    assert (await api.call("GET", "/api/market/listings", ketua))["listings"] == []


async def test_bad_listings_are_refused_naming_the_field(api: Api) -> None:
    siti, _ = await api.user("siti")
    base = {"title": "Kaos", "pricing": "fixed", "category": "merchandise", "scope": "organisation"}
    for extra, field in [
        ({"region": "Bandung", "price": 1}, "region"),
        ({"region": "32"}, "price"),
        ({"region": "32", "price": 1, "category": "senjata"}, "category"),
        ({"region": "32", "price": 1, "scope": "rooms"}, "rooms"),
    ]:
        refused = await api.call(
            "POST", "/api/market/listings", siti, json={**base, **extra}, expect=400
        )
        assert refused["error"]["field"] == field, extra
    await api.call("GET", "/api/market/listings", None, expect=401)
    refused = await upload_photo(api, siti, b"%PDF-1.7" + bytes(200), expect=415)
    assert refused["error"]["code"] == "unsupported_media_type"
