"""An agenda event's `public` flag and its public page (/e/<id>), on SQLite and PostgreSQL: the
flag is stored, changed and shown; a bad value is refused; the page's Open Graph tags describe
the event with its text escaped, its share and join links keep the sharer's code, nothing
private is on it, and a private or missing event is the same 404."""

from __future__ import annotations

import html
import re

from tests.server.api_client import Api

EVENT = {
    "title": "Rapat <b>akbar</b> & diskusi",
    "kind": "town_hall",
    "starts_at": "2026-12-20T19:00",
    "ends_at": "2026-12-20T21:00",
    "timezone": "Asia/Makassar",
    "location": "Balai warga",
    "description": 'Bawa "KTP".\n\nGratis.',
}


async def test_the_public_flag_is_stored_changed_and_checked(api: Api) -> None:
    siti, _ = await api.user("siti")
    room = await api.room(siti, "PUK Pabrik Rahasia")
    path = f"/api/rooms/{room['id']}/events"
    private = await api.call("POST", path, siti, json=EVENT, expect=201)
    assert private["public"] is False
    public = await api.call("POST", path, siti, json={**EVENT, "public": True}, expect=201)
    assert public["public"] is True
    assert (await api.call("GET", f"/api/events/{public['id']}", siti))["public"] is True
    changed = await api.call("PATCH", f"/api/events/{private['id']}", siti, json={"public": True})
    assert changed["public"] is True
    listed = (await api.call("GET", path, siti))["events"]
    assert [event["public"] for event in listed] == [True, True]
    for body in ({**EVENT, "public": "true"}, {**EVENT, "public": 1}):
        refused = await api.call("POST", path, siti, json=body, expect=400)
        assert refused["error"]["field"] == "public"
    refused = await api.call(
        "PATCH", f"/api/events/{public['id']}", siti, json={"public": "no"}, expect=400
    )
    assert refused["error"]["field"] == "public"
    budi, _ = await api.user("budi")
    await api.join_by_invite(siti, budi, room["id"])
    await api.call("PATCH", f"/api/events/{public['id']}", budi, json={"public": False}, expect=403)
    await api.call("PATCH", "/api/events/999999", siti, json={"public": True}, expect=404)


async def test_a_public_event_has_a_page_showing_nothing_private(api: Api) -> None:
    siti, _ = await api.user("siti", phone="081234567890")
    room = await api.room(siti, "PUK Pabrik Rahasia")
    event = await api.call(
        "POST", f"/api/rooms/{room['id']}/events", siti, json={**EVENT, "public": True}, expect=201
    )
    page = await api.client.get(f"/e/{event['id']}?ref=abcd1234")
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    meta = dict(re.findall(r'<meta (?:property|name)="([a-z:]+)" content="([^"]*)"', text))
    base = f"http://{api.client.host}:{api.client.port}"
    assert html.unescape(meta["og:title"]) == html.unescape(meta["twitter:title"]) == EVENT["title"]
    assert "<b>" not in text and "&lt;b&gt;akbar&lt;/b&gt; &amp; diskusi" in text
    description = html.unescape(meta["og:description"])
    assert description == '2026-12-20 19:00–21:00 WITA · Pertemuan akbar. Bawa "KTP". Gratis.'
    assert meta["og:url"] == f"{base}/e/{event['id']}?ref=abcd1234"
    assert meta["og:type"] == "website" and meta["twitter:card"] == "summary"
    assert 'href="/#/join/abcd1234"' in text and "Balai warga" in text
    for share in ("https://wa.me/?text=", "facebook.com/sharer", "twitter.com/intent", "t.me/"):
        assert share in text, share
    assert text.count("%3Fref%3Dabcd1234") == 4  # each platform's link carries the code
    assert 'id="web-share"' in text and 'data-url="' + meta["og:url"] + '"' in text
    for private in ("Rahasia", "siti", "6281234567890", "kamar-", "meeting_url", "/r/"):
        assert private not in text, private


async def test_a_private_or_missing_event_is_the_same_404(api: Api) -> None:
    siti, _ = await api.user("siti")
    room = await api.room(siti)
    private = await api.call(
        "POST", f"/api/rooms/{room['id']}/events", siti, json=EVENT, expect=201
    )
    answers = []
    for path in (f"/e/{private['id']}", "/e/999999"):
        response = await api.client.get(path)
        answers.append((response.status, await response.text()))
    assert answers[0] == answers[1] == (404, "not found")
    shown = await api.call("PATCH", f"/api/events/{private['id']}", siti, json={"public": True})
    response = await api.client.get(f"/e/{shown['id']}?ref=<x>")
    assert response.status == 200
    page = await response.text()
    # A malformed code is dropped, not echoed: plain join link, no code in any share link.
    assert 'href="/#/register"' in page and "?ref=" not in page and "%3Fref" not in page
    await api.call("PATCH", f"/api/events/{private['id']}", siti, json={"public": False})
    assert (await api.client.get(f"/e/{private['id']}")).status == 404
