"""Announcement endpoints and the public page, on SQLite and PostgreSQL: publishing to rooms by
kind, comments gathered from two rooms, reach for the author only, and a public page whose
Open Graph tags are right and which shows nothing private."""

from __future__ import annotations

import re

from tests.server.api_client import Api


async def test_an_announcement_to_three_rooms_gathers_comments_from_two(api: Api) -> None:
    siti, _ = await api.user("siti", phone="081234567890")
    rooms = [
        await api.room(siti, name, kind="region", region_code=code)
        for name, code in (("Sukarasa", "32.73.01.1001"), ("Gegerkalong", "32.73.01.1002"))
    ]
    rooms.append(await api.room(siti, "PUK Pabrik Rahasia"))
    budi, _ = await api.user("budi")
    ani, _ = await api.user("ani")
    await api.join_by_invite(siti, budi, rooms[0]["id"])
    await api.join_by_invite(siti, ani, rooms[2]["id"])
    published = await api.call(
        "POST",
        "/api/announcements",
        siti,
        json={
            "title": "Aksi 1 Mei",
            "text": "Kumpul jam 7 di alun-alun.\n\nBawa bendera.",
            "room_ids": [room["id"] for room in rooms],
            "public": True,
        },
        expect=201,
    )
    assert published["reach"]["rooms"] == 3 and published["public_url"] == f"/a/{published['id']}"
    for token, room in ((budi, rooms[0]), (ani, rooms[2])):
        pinned = await api.call("GET", f"/api/rooms/{room['id']}/announcements", token)
        assert pinned["announcements"][0]["id"] == published["id"]
        await api.call(
            "POST",
            f"/api/announcements/{published['id']}/comments",
            token,
            json={"room_id": room["id"], "text": f"Siap dari {room['name']}"},
            expect=201,
        )
    thread = await api.call("GET", f"/api/announcements/{published['id']}", budi)
    assert [c["room_name"] for c in thread["comments"]] == ["Sukarasa", "PUK Pabrik Rahasia"]
    assert "reach" not in thread
    reach = (await api.call("GET", f"/api/announcements/{published['id']}", siti))["reach"]
    assert reach["recipients"] == 5
    for body, field in [
        ({"title": "x", "text": "y"}, "rooms"),
        ({"title": "x", "text": "y", "kinds": ["planet"]}, "kinds"),
        ({"title": "", "text": "y", "kinds": ["work"]}, "title"),
    ]:
        refused = await api.call("POST", "/api/announcements", siti, json=body, expect=400)
        assert refused["error"]["field"] == field
    outsider, _ = await api.user("dedi")
    await api.call("GET", f"/api/announcements/{published['id']}", outsider, expect=404)
    await api.call(
        "POST",
        "/api/announcements",
        outsider,
        json={"title": "x", "text": "y", "kinds": ["work"]},
        expect=403,
    )
    await public_page_shows_only_the_announcement(api, published["id"])


async def public_page_shows_only_the_announcement(api: Api, announcement_id: int) -> None:
    """The public page's tags describe the announcement, and nothing private is on it."""
    page = await api.client.get(f"/a/{announcement_id}?ref=abcd1234")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    meta = dict(re.findall(r'<meta (?:property|name)="([a-z:]+)" content="([^"]*)"', html))
    base = f"http://{api.client.host}:{api.client.port}"
    assert meta["og:title"] == meta["twitter:title"] == "Aksi 1 Mei"
    assert meta["og:description"] == "Kumpul jam 7 di alun-alun. Bawa bendera."
    assert meta["og:url"] == f"{base}/a/{announcement_id}?ref=abcd1234"
    assert meta["twitter:card"] == "summary" and meta["og:type"] == "article"
    assert 'href="/#/join/abcd1234"' in html
    assert "https://wa.me/?text=" in html and "https://t.me/share/url?url=" in html
    for private in ("Rahasia", "Sukarasa", "Budi", "Ani", "Siap", "6281234567890", "siti"):
        assert private not in html, private
    assert (
        "Content-Security-Policy" in page.headers
        and "script-src 'self'" in page.headers["Content-Security-Policy"]
    )


async def test_a_private_or_missing_announcement_has_no_public_page(api: Api) -> None:
    siti, _ = await api.user("siti")
    room = await api.room(siti)
    private = await api.call(
        "POST",
        "/api/announcements",
        siti,
        json={"title": "Internal", "text": "Hanya pengurus", "room_ids": [room["id"]]},
        expect=201,
    )
    assert private["public_url"] is None
    for path in (f"/a/{private['id']}", "/a/999999"):
        response = await api.client.get(path)
        assert response.status == 404
        assert "Internal" not in await response.text()


async def test_reactions_from_two_rooms_are_gathered_on_the_announcement(api: Api) -> None:
    siti, _ = await api.user("siti")
    rooms = [await api.room(siti, name) for name in ("PUK A", "PUK B")]
    budi, _ = await api.user("budi")
    ani, _ = await api.user("ani")
    await api.join_by_invite(siti, budi, rooms[0]["id"])
    await api.join_by_invite(siti, ani, rooms[1]["id"])
    body = {"title": "Mogok", "text": "Jumat.", "room_ids": [room["id"] for room in rooms]}
    published = await api.call("POST", "/api/announcements", siti, json=body, expect=201)
    path = f"/api/announcements/{published['id']}/reactions"
    for token, room in ((budi, rooms[0]), (ani, rooms[1])):
        answer = await api.call(
            "PUT", path, token, json={"room_id": room["id"], "emoji": "✊", "on": True}
        )
        assert answer["my_reactions"] == ["✊"]
    for token, room in ((budi, rooms[0]), (ani, rooms[1]), (siti, rooms[1])):
        listed = await api.call("GET", f"/api/rooms/{room['id']}/announcements", token)
        [pinned] = listed["announcements"]
        assert {r["emoji"]: r["count"] for r in pinned["reactions"]}["✊"] == 2
    for json, status, field in [
        ({"room_id": rooms[0]["id"], "emoji": "🍕", "on": True}, 400, "emoji"),
        ({"room_id": rooms[0]["id"], "emoji": "✊"}, 400, "on"),
        ({"room_id": rooms[1]["id"], "emoji": "✊", "on": True}, 404, "room_id"),
    ]:
        refused = await api.call("PUT", path, budi, json=json, expect=status)
        assert refused["error"]["field"] == field


async def test_saved_room_lists_are_made_listed_and_deleted(api: Api) -> None:
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    rooms = [await api.room(siti, name) for name in ("PUK A", "PUK B")]
    body = {"name": "Bekasi", "room_ids": [room["id"] for room in rooms]}
    saved = await api.call("POST", "/api/room-lists", siti, json=body, expect=201)
    assert saved["room_ids"] == sorted(room["id"] for room in rooms)
    assert [m["id"] for m in (await api.call("GET", "/api/room-lists", siti))["lists"]] == [
        saved["id"]
    ]
    refused = await api.call("POST", "/api/room-lists", budi, json=body, expect=400)
    assert refused["error"]["reason"] == "room_list_not_yours"
    await api.call("DELETE", f"/api/room-lists/{saved['id']}", budi, expect=404)
    await api.call("DELETE", f"/api/room-lists/{saved['id']}", siti, expect=204)
    assert (await api.call("GET", "/api/room-lists", siti))["lists"] == []
