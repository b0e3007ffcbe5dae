"""The HTTP API of docs/api.md end to end, on SQLite and PostgreSQL: status codes, the error
shape naming the field, who may call what, uploads, calendar feeds, OpenAPI, meeting tokens."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace
from typing import Any, cast

import icalendar
from aiohttp import FormData, web
from PIL import Image

from rooms.meeting import grants
from server.api import openapi_document
from server.api.routing import MAX_JSON_BODY, _read_json
from signalling.ws import SERVICES_KEY
from tests.server.api_client import Api

EVENT = {
    "title": "Rapat",
    "kind": "meeting",
    "starts_at": "2030-01-06T19:00",
    "ends_at": "2030-01-06T21:00",
}


def field_of(answer: dict[str, Any]) -> str | None:
    assert set(answer) == {"error"} and {"code", "message"} <= set(answer["error"]), answer
    field: str | None = answer["error"].get("field")
    return field


async def upload(api: Api, token: str, room_id: int, data: bytes, expect: int = 201) -> Any:
    form = FormData()
    form.add_field("file", data, filename="foto.png", content_type="text/plain")
    return await api.call(
        "POST", f"/api/rooms/{room_id}/attachments", token, data=form, expect=expect
    )


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


# (method, path, body, status, field): bad requests to register and create a room
BAD_REQUESTS: list[tuple[str, str, Any, int, str | None]] = [
    (
        "POST",
        "/api/auth/register",
        {"username": 5, "password": "rahasia-123", "display_name": "A"},
        400,
        "username",
    ),
    ("POST", "/api/auth/register", {"username": "abc", "display_name": "A"}, 400, "password"),
    (
        "POST",
        "/api/auth/register",
        {"username": "abc", "password": "short", "display_name": "A"},
        400,
        "password",
    ),
    (
        "POST",
        "/api/auth/register",
        {"username": "abc", "password": "rahasia-123", "display_name": "A", "admin": True},
        400,
        "admin",
    ),
    (
        "POST",
        "/api/auth/register",
        {"password": "rahasia-123", "display_name": "A"},
        400,
        "username",
    ),
    (
        "POST",
        "/api/auth/register",
        {"phone": "12", "password": "rahasia-123", "display_name": "A"},
        400,
        "phone",
    ),
    (
        "POST",
        "/api/auth/register",
        {"username": "ani", "password": "rahasia-123", "display_name": "A"},
        409,
        "username",
    ),
    ("POST", "/api/auth/register", [1, 2], 400, None),
    ("POST", "/api/auth/login", {"login": "ani", "password": "wrong-pass"}, 401, "password"),
    ("POST", "/api/auth/login", {"login": "ani"}, 400, "password"),
    ("POST", "/api/rooms", {"name": "", "kind": "work"}, 400, "name"),
    ("POST", "/api/rooms", {"name": "R", "kind": "party"}, 400, "kind"),
    ("POST", "/api/rooms", {"name": "R", "kind": "work", "visibility": True}, 400, "visibility"),
    ("POST", "/api/rooms", {"name": ["R"], "kind": "work"}, 400, "name"),
    ("GET", "/api/rooms?discover=maybe", None, 400, "discover"),
    ("GET", "/api/rooms/abc", None, 404, "room_id"),
    ("GET", "/api/rooms/-1", None, 404, "room_id"),
    ("GET", "/api/rooms/\u00b2", None, 404, "room_id"),
    ("GET", "/api/rooms/99999", None, 404, "room_id"),
    ("GET", "/api/events/abc", None, 404, "event_id"),
    ("PATCH", "/api/messages/abc", {"text": "x"}, 404, "message_id"),
    ("POST", "/api/invites/nothing/accept", None, 404, "code"),
]


async def test_bad_input_is_refused_with_an_error_naming_the_field(api: Api) -> None:
    token, _ = await api.user("ani")
    for method, path, body, status, field in BAD_REQUESTS:
        answer = await api.call(method, path, token, expect=status, json=body)
        assert field_of(answer) == field, (method, path, body)
    assert (await api.call("GET", "/api/rooms", token))["rooms"] == []  # nothing was created


async def test_errors_a_member_meets_carry_a_reason_and_nothing_technical(api: Api) -> None:
    token, _ = await api.user("ani")
    wrong = await api.call(
        "POST", "/api/auth/login", None, expect=401, json={"login": "ani", "password": "x" * 9}
    )
    assert wrong["error"]["reason"] == "wrong_login"
    missing = await api.call("GET", "/api/rooms/99999", token, expect=404)
    assert missing["error"]["reason"] == "room_not_found"
    # A damaged session token: the answer says to sign in again, not what the decoder said.
    broken = await api.call("GET", "/api/me", token[:-3] + "abc", expect=401)
    assert broken["error"] == {
        "code": "unauthorized",
        "message": "sign in again",
        "reason": "session_expired",
    }


async def test_a_body_that_is_not_json_or_too_big_is_refused(api: Api) -> None:
    token, _ = await api.user("ani")
    for data in (b"not json", b"{", b"\xff\xfe"):
        answer = await api.call("POST", "/api/rooms", token, expect=400, data=data)
        assert "JSON" in answer["error"]["message"]
    # No body at all counts as {}: the missing required field is named.
    answer = await api.call("POST", "/api/rooms", token, expect=400, data=b"")
    assert field_of(answer) == "name"
    huge = {"name": "R", "kind": "work", "description": "x" * (MAX_JSON_BODY + 10)}
    answer = await api.call("POST", "/api/rooms", token, expect=413, json=huge)
    assert answer["error"]["code"] == "too_large"


class _Trickle:
    """A request body that arrives a few bytes at a time, as StreamReader.read(n) may give it."""

    def __init__(self, data: bytes) -> None:
        self._pieces = [data[i : i + 7] for i in range(0, len(data), 7)]

    async def read(self, n: int = -1) -> bytes:
        return self._pieces.pop(0)[:n] if self._pieces else b""


async def test_a_json_body_that_arrives_in_pieces_is_read_whole() -> None:
    body = b'{"name": "Serikat buruh", "kind": "work"}'
    request = SimpleNamespace(content_length=None, content=_Trickle(body))
    assert await _read_json(cast(web.Request, request)) == {"name": "Serikat buruh", "kind": "work"}


async def test_accounts_sign_in_and_see_themselves(api: Api) -> None:
    token, user = await api.user("ani", phone="0812 3456 7890", region={"city": "Bandung"})
    assert (user["username"], user["phone"], user["is_admin"]) == ("ani", "+6281234567890", False)
    assert user["region"] == {"code": "", "province": "", "city": "Bandung", "rt_rw": ""}
    for login in ("ani", "081234567890"):
        answer = await api.call(
            "POST", "/api/auth/login", json={"login": login, "password": "rahasia-123"}
        )
        assert answer["user"]["id"] == user["id"]
    me = await api.call("GET", "/api/me", answer["token"])
    assert me == user
    for bad in (None, "nonsense", token[:-3] + "abc"):
        answer = await api.call("GET", "/api/me", bad, expect=401)
        assert answer["error"]["code"] == "unauthorized"
    calendar_token = me["calendar_url"].split("token=")[1]
    await api.call("GET", "/api/me", calendar_token, expect=401)  # a feed link signs no one in


async def test_rooms_are_created_listed_discovered_and_joined(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    public = await api.room(ani, "Terbuka", visibility="public", description="semua boleh")
    private = await api.room(ani, "Tertutup")
    assert (private["visibility"], private["my_role"], private["unread"]) == ("invite", "owner", 0)
    mine = await api.call("GET", "/api/rooms", ani)
    assert [r["id"] for r in mine["rooms"]] == [private["id"], public["id"]]
    found = await api.call("GET", "/api/rooms?discover=1", budi)
    assert [(r["id"], r["my_role"]) for r in found["rooms"]] == [(public["id"], None)]
    await api.call("GET", f"/api/rooms/{private['id']}", budi, expect=404)
    await api.call("POST", f"/api/rooms/{private['id']}/join", budi, expect=404)
    seen = await api.call("GET", f"/api/rooms/{public['id']}", budi)
    assert [m["role"] for m in seen["members"]] == ["owner"]
    await api.call("GET", f"/api/rooms/{public['id']}/messages", budi, expect=403)
    joined = await api.call("POST", f"/api/rooms/{public['id']}/join", budi)
    assert (joined["my_role"], joined["member_count"]) == ("member", 2)
    room = await api.call("GET", f"/api/rooms/{public['id']}", budi)
    assert room["members"][1] == {
        "user": {k: budi_user[k] for k in ("id", "display_name", "organisation", "region")},
        "role": "member",
        "last_read_message_id": 0,
    }


async def test_invites_roles_and_leaving(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    cici, cici_user = await api.user("cici")
    room_id = (await api.room(ani))["id"]
    invite = await api.call(
        "POST",
        f"/api/rooms/{room_id}/invites",
        ani,
        json={"max_uses": 2, "expires_in_hours": 24},
        expect=201,
    )
    assert (invite["max_uses"], invite["url"]) == (2, f"/#/invite/{invite['code']}")
    for token in (budi, budi, cici):
        room = await api.call("POST", f"/api/invites/{invite['code']}/accept", token)
        assert room["id"] == room_id
    await api.call("POST", f"/api/rooms/{room_id}/invites", budi, json={}, expect=403)
    members = f"/api/rooms/{room_id}/members"
    await api.call(
        "PATCH", f"{members}/{cici_user['id']}", budi, json={"role": "moderator"}, expect=403
    )
    answer = await api.call(
        "PATCH", f"{members}/{budi_user['id']}", ani, json={"role": "admin"}, expect=400
    )
    assert field_of(answer) == "role"
    promoted = await api.call(
        "PATCH", f"{members}/{budi_user['id']}", ani, json={"role": "moderator"}
    )
    assert promoted["role"] == "moderator"
    owner_id = (await api.call("GET", "/api/me", ani))["id"]
    await api.call("DELETE", f"{members}/{owner_id}", budi, expect=403)
    await api.call("DELETE", f"{members}/{owner_id}", ani, expect=409)
    await api.call("DELETE", f"{members}/{cici_user['id']}", budi, expect=204)
    await api.call("GET", f"/api/rooms/{room_id}", cici, expect=404)
    await api.call("DELETE", f"{members}/{budi_user['id']}", budi, expect=204)


async def test_chat_posts_pages_edits_deletes_and_reads(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani))["id"]
    await api.join_by_invite(ani, budi, room_id)
    path = f"/api/rooms/{room_id}/messages"
    sent = [await api.call("POST", path, ani, json={"text": f"m{i}"}, expect=201) for i in range(5)]
    read = f"/api/rooms/{room_id}/read"
    assert await api.call("POST", read, budi, json={"message_id": sent[2]["id"]}) == {"unread": 2}
    assert await api.call("POST", read, budi, json={"message_id": sent[0]["id"]}) == {"unread": 2}
    assert (
        field_of(await api.call("POST", read, budi, json={"message_id": "1"}, expect=400))
        == "message_id"
    )
    assert (
        field_of(await api.call("POST", read, budi, json={"message_id": 10**9}, expect=404))
        == "message_id"
    )
    assert sent[0]["created_at"].endswith("Z") and sent[0]["author"]["display_name"] == "Ani"
    reply = await api.call(
        "POST", path, budi, json={"text": "ya", "reply_to": sent[0]["id"]}, expect=201
    )
    assert reply["reply_to"] == {"id": sent[0]["id"], "author_name": "Ani", "text": "m0"}
    page = await api.call("GET", f"{path}?limit=4", budi)
    assert [m["text"] for m in page["messages"]] == ["m2", "m3", "m4", "ya"]
    older = await api.call("GET", f"{path}?limit=4&before={page['next_before']}", budi)
    assert ([m["text"] for m in older["messages"]], older["next_before"]) == (["m0", "m1"], None)
    for query, field in [("limit=0", "limit"), ("limit=101", "limit"), ("before=x", "before")]:
        assert field_of(await api.call("GET", f"{path}?{query}", budi, expect=400)) == field
    for body, field in [
        ({}, "text"),
        ({"text": 5}, "text"),
        ({"text": "x", "attachments": [1.5]}, "attachments"),
        ({"text": "x", "reply_to": True}, "reply_to"),
    ]:
        assert field_of(await api.call("POST", path, budi, json=body, expect=400)) == field
    await api.call("GET", path, eve, expect=404)
    await api.call("POST", path, eve, json={"text": "hai"}, expect=404)
    await api.call("PATCH", f"/api/messages/{sent[1]['id']}", budi, json={"text": "no"}, expect=403)
    edited = await api.call("PATCH", f"/api/messages/{sent[1]['id']}", ani, json={"text": "m1!"})
    assert edited["text"] == "m1!" and edited["edited_at"] is not None
    await api.call("DELETE", f"/api/messages/{sent[1]['id']}", budi, expect=403)
    gone = await api.call("DELETE", f"/api/messages/{sent[1]['id']}", ani)
    assert (gone["text"], gone["attachments"], gone["deleted"]) == ("", [], True)


async def test_photos_upload_download_and_thumbnail_as_what_they_are(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani))["id"]
    await api.join_by_invite(ani, budi, room_id)
    data = png()
    saved = await upload(api, ani, room_id, data)
    assert (saved["mime"], saved["width"], saved["height"], saved["name"]) == (
        "image/png",
        800,
        400,
        "foto.png",
    )
    await api.call(
        "POST",
        f"/api/rooms/{room_id}/messages",
        ani,
        json={"attachments": [saved["id"]]},
        expect=201,
    )
    for path, mime in [(saved["url"], "image/png"), (saved["thumbnail_url"], "image/jpeg")]:
        response = await api.client.get(path, headers={"Authorization": f"Bearer {budi}"})
        body = await response.read()
        assert (response.status, response.headers["Content-Type"]) == (200, mime)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        with Image.open(io.BytesIO(body)) as image:
            assert image.format == mime.split("/")[1].upper()
        await api.call("GET", path, eve, expect=404)
        await api.call("GET", path, None, expect=401)
    for content in (b"<html><script>alert(1)</script></html>", b"plain text " * 20):
        assert field_of(await upload(api, ani, room_id, content, expect=415)) == "file"
    await upload(api, eve, room_id, data, expect=404)
    answer = await api.call(
        "POST", f"/api/rooms/{room_id}/attachments", ani, json={"file": "x"}, expect=415
    )
    assert field_of(answer) == "file"
    await api.call("GET", "/api/attachments/abc", ani, expect=404)


async def test_events_rsvps_and_calendar_feeds(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, budi_user = await api.user("budi")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani, "Serikat"))["id"]
    await api.join_by_invite(ani, budi, room_id)
    events = f"/api/rooms/{room_id}/events"
    event = await api.call("POST", events, ani, json={**EVENT, "location": "Balai"}, expect=201)
    assert (event["starts_at"], event["timezone"]) == ("2030-01-06T19:00:00+07:00", "Asia/Jakarta")
    offline = await api.call(
        "POST",
        events,
        ani,
        json={
            **EVENT,
            "title": "Aksi",
            "kind": "offline",
            "starts_at": "2030-01-07T10:00+08:00",
            "ends_at": "2030-01-07T12:00+08:00",
        },
        expect=201,
    )
    assert (offline["starts_at"], offline["meeting_url"]) == ("2030-01-07T09:00:00+07:00", None)
    await api.call("POST", events, budi, json=EVENT, expect=403)
    await api.call("POST", events, eve, json=EVENT, expect=404)
    bad_events: list[tuple[dict[str, Any], str]] = [
        ({"ends_at": "2030-01-06T18:00"}, "ends_at"),
        ({"timezone": "Asia"}, "timezone"),
        ({"kind": "party"}, "kind"),
        ({"starts_at": 5}, "starts_at"),
    ]
    for change, field in bad_events:
        assert (
            field_of(await api.call("POST", events, ani, json={**EVENT, **change}, expect=400))
            == field
        )
    listed = await api.call("GET", events, budi)
    assert [e["id"] for e in listed["events"]] == [event["id"], offline["id"]]
    later = await api.call("GET", f"{events}?from=2030-01-07T00:00", budi)
    assert [e["id"] for e in later["events"]] == [offline["id"]]
    assert field_of(await api.call("GET", f"{events}?from=soon", budi, expect=400)) == "from"
    answered = await api.call(
        "POST", f"/api/events/{event['id']}/rsvp", budi, json={"response": "going"}
    )
    assert (answered["rsvp"], answered["my_rsvp"]) == ({"going": 1, "maybe": 0, "no": 0}, "going")
    assert (
        field_of(
            await api.call(
                "POST", f"/api/events/{event['id']}/rsvp", budi, json={"response": "ya"}, expect=400
            )
        )
        == "response"
    )
    assert (await api.call("GET", f"/api/events/{event['id']}", ani))["rsvp"]["going"] == 1
    await api.call("GET", f"/api/events/{event['id']}", eve, expect=404)
    await calendar_feeds_list_the_meeting(api, room_id, budi, budi_user["id"], eve)


async def calendar_feeds_list_the_meeting(
    api: Api, room_id: int, member: str, member_id: int, outsider: str
) -> None:
    """The member's own feed and the room's, by the member's calendar token; none for a
    stranger or a forged token."""
    me = await api.call("GET", "/api/me", member)
    assert me["id"] == member_id
    for path in (
        me["calendar_url"],
        f"/api/rooms/{room_id}/calendar.ics?{me['calendar_url'].split('?')[1]}",
    ):
        response = await api.client.get(path)
        assert (response.status, response.content_type) == (200, "text/calendar")
        feed = icalendar.Calendar.from_ical(await response.read())
        found = {str(e["summary"]): e for e in feed.walk("VEVENT")}
        assert found["Rapat"]["dtstart"].params["TZID"] == "Asia/Jakarta"
        assert str(found["Rapat"]["url"]).endswith(f"/r/kamar-{room_id}")
    await api.call("GET", "/api/me/calendar.ics", None, expect=401)
    await api.call("GET", "/api/me/calendar.ics?token=forged", None, expect=401)
    await api.call("GET", f"/api/rooms/{room_id}/calendar.ics", outsider, expect=404)
    await api.call("GET", f"/api/rooms/{room_id}/calendar.ics", member)


async def test_a_member_gets_a_join_token_for_the_rooms_meeting(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    eve, _ = await api.user("eve")
    room_id = (await api.room(ani))["id"]
    answer = await api.call("POST", f"/api/rooms/{room_id}/meeting", ani)
    assert (answer["room"], answer["url"]) == (f"kamar-{room_id}", f"/r/kamar-{room_id}")
    secret = api.client.app[SERVICES_KEY].secret
    grant = grants.verify(answer["token"], secret, int(time.time()))
    assert (grant.meeting, grant.identity, grant.name) == (
        f"kamar-{room_id}",
        f"user-{ani_user['id']}",
        "Ani",
    )
    await api.call("POST", f"/api/rooms/{room_id}/meeting", eve, expect=404)
    await api.call("POST", f"/api/rooms/{room_id}/meeting", None, expect=401)


def _served(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    # HEAD is left out on both sides: aiohttp adds one beside each GET (documented or not).
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "head"
    }


async def test_openapi_documents_every_community_route_with_its_request(api: Api) -> None:
    document = await api.call("GET", "/api/openapi.json")
    assert document == openapi_document() and document["openapi"] == "3.1.0"
    assert _documented(document) == _served(api.client.app)
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len({op["operationId"] for op in operations}) == len(operations)
    register = document["paths"]["/api/auth/register"]["post"]["requestBody"]
    schema = register["content"]["application/json"]["schema"]
    assert (schema["required"], schema["additionalProperties"]) == (
        ["password", "display_name"],
        False,
    )
    upload_body = document["paths"]["/api/rooms/{room_id}/attachments"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]


async def test_openapi_documents_every_route_the_app_serves_under_api(api: Api) -> None:
    document = await api.call("GET", "/api/openapi.json")
    assert _documented(document) == _served(api.client.app)


async def test_a_session_token_does_not_open_a_calendar_feed_from_the_address(api: Api) -> None:
    ani, _ = await api.user("ani")
    await api.call("GET", f"/api/me/calendar.ics?token={ani}", None, expect=401)
    await api.call("GET", "/api/me/calendar.ics", ani)  # in the header it is fine


async def test_an_owner_hands_the_room_on_and_then_may_leave(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    budi, budi_user = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    members = f"/api/rooms/{room['id']}/members"
    refused = await api.call("DELETE", f"{members}/{ani_user['id']}", ani, expect=409)
    assert refused["error"]["field"] == "user_id"
    answer = await api.call("PATCH", f"{members}/{budi_user['id']}", ani, json={"role": "owner"})
    assert answer["role"] == "owner"
    await api.call("DELETE", f"{members}/{ani_user['id']}", ani, expect=204)
    mine = await api.call("GET", "/api/rooms", budi)
    assert [(r["id"], r["my_role"], r["member_count"]) for r in mine["rooms"]] == [
        (room["id"], "owner", 1)
    ]


async def test_an_invite_needs_no_body_and_unknown_api_paths_answer_json(api: Api) -> None:
    ani, _ = await api.user("ani")
    room = await api.room(ani)
    invite = await api.call("POST", f"/api/rooms/{room['id']}/invites", ani, expect=201)
    assert invite["max_uses"] is None
    missing = await api.call("GET", "/api/nothing-here", ani, expect=404)
    assert missing["error"]["code"] == "not_found"
    wrong = await api.call("PUT", "/api/rooms", ani, expect=405)
    assert wrong["error"]["code"] == "method_not_allowed"


async def test_a_retried_post_with_the_same_client_id_is_stored_once(api: Api) -> None:
    ani, _ = await api.user("ani")
    room = await api.room(ani)
    other = await api.room(ani, name="Lain")
    path = f"/api/rooms/{room['id']}/messages"
    body = {"text": "rapat jam 7", "client_id": "c-7f3a9b21d4"}
    first = await api.call("POST", path, ani, json=body, expect=201)
    again = await api.call("POST", path, ani, json=body, expect=201)
    assert again == first
    page = await api.call("GET", path, ani)
    assert [m["id"] for m in page["messages"]] == [first["id"]]
    elsewhere = await api.call(
        "POST", f"/api/rooms/{other['id']}/messages", ani, json=body, expect=409
    )
    assert elsewhere["error"]["field"] == "client_id"
    bad = await api.call(
        "POST", path, ani, json={"text": "x", "client_id": "no spaces!"}, expect=400
    )
    assert bad["error"]["field"] == "client_id"


async def test_moderators_rename_a_room_and_members_hear_of_it(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani, description="lama")
    await api.join_by_invite(ani, budi, room["id"])
    path = f"/api/rooms/{room['id']}"
    await api.call("PATCH", path, budi, json={"name": "Bukan"}, expect=403)
    ws = await api.client.ws_connect("/ws")
    await ws.send_json({"type": "auth", "token": budi})
    assert (await ws.receive_json(timeout=5))["type"] == "authed"
    edited = await api.call(
        "PATCH", path, ani, json={"name": " Serikat Baru ", "visibility": "public"}
    )
    assert (edited["name"], edited["description"], edited["visibility"]) == (
        "Serikat Baru",
        "lama",
        "public",
    )
    event = await ws.receive_json(timeout=5)
    assert event["type"] == "room_updated" and event["room"]["name"] == "Serikat Baru"
    await ws.close()
    refused = await api.call("PATCH", path, ani, json={"name": "  "}, expect=400)
    assert refused["error"]["field"] == "name"
    assert (await api.call("GET", path, budi))["name"] == "Serikat Baru"
