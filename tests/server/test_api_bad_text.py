"""Text the API cannot store or show (issue #13 item 4), on SQLite and PostgreSQL: a lone UTF-16
surrogate, a NUL, bytes that are not UTF-8, JSON that Python reads but RFC 8259 does not allow,
and event dates at the edges of the calendar. Each is a 400 in the API's error shape, before
any handler or database sees it, and nothing is stored. And the safety net: whatever else
goes wrong is still answered in that shape (500 `internal`), never with a plain-text page."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.directory import Directory
from tests.server.api_client import Api

SURROGATE = '"hi \\ud800"'  # the six characters \ud800 inside a JSON string: a lone surrogate
EVENT = '"kind": "meeting", "starts_at": "2030-01-06T19:00", "ends_at": "2030-01-06T21:00"'

# (method, path, raw JSON body with a lone surrogate in one string)
SURROGATE_BODIES = [
    (
        "POST",
        "/api/auth/register",
        f'{{"username": "budi", "password": "rahasia-123", "display_name": {SURROGATE}}}',
    ),
    ("POST", "/api/auth/register", f'{{"username": "budi", "password": {SURROGATE}}}'),
    ("POST", "/api/auth/login", f'{{"login": {SURROGATE}, "password": "rahasia-123"}}'),
    ("POST", "/api/auth/login", f'{{"login": "ani", "password": {SURROGATE}}}'),
    ("PATCH", "/api/me", f'{{"display_name": {SURROGATE}}}'),
    ("PATCH", "/api/me", f'{{"region": {{"city": {SURROGATE}}}}}'),
    ("POST", "/api/rooms", f'{{"name": {SURROGATE}, "kind": "work"}}'),
    ("POST", "/api/rooms/{room}/messages", f'{{"text": {SURROGATE}}}'),
    ("POST", "/api/rooms/{room}/events", f'{{"title": {SURROGATE}, {EVENT}}}'),
    ("POST", "/api/rooms/{room}/events", f'{{"title": "Rapat", {EVENT}, {SURROGATE}: 1}}'),
]


async def ani_and_her_room(api: Api) -> tuple[str, int]:
    token, _ = await api.user("ani")
    room = await api.room(token)
    return token, room["id"]


async def send_raw(api: Api, method: str, path: str, token: str, body: bytes) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = await api.client.request(method, path, headers=headers, data=body)
    assert response.content_type == "application/json", await response.text()
    return response.status, await response.json()


def assert_bad_request(status: int, answer: Any) -> dict[str, Any]:
    assert status == 400, answer
    assert set(answer) == {"error"}, answer
    error: dict[str, Any] = answer["error"]
    assert error["code"] == "bad_request" and error["message"], error
    return error


async def assert_nothing_stored(api: Api, token: str, room_id: int) -> None:
    me = await api.call("GET", "/api/me", token)
    assert me["display_name"] == "Ani" and me["region"]["city"] == ""
    assert [room["id"] for room in (await api.call("GET", "/api/rooms", token))["rooms"]] == [
        room_id
    ]
    assert (await api.call("GET", f"/api/rooms/{room_id}/messages", token))["messages"] == []
    assert (await api.call("GET", f"/api/rooms/{room_id}/events", token))["events"] == []
    await api.call(
        "POST", "/api/auth/login", json={"login": "budi", "password": "x" * 8}, expect=401
    )


@pytest.mark.parametrize(("method", "path", "body"), SURROGATE_BODIES)
async def test_a_lone_surrogate_in_any_string_is_a_400_in_the_error_shape(
    api: Api, method: str, path: str, body: str
) -> None:
    token, room_id = await ani_and_her_room(api)
    status, answer = await send_raw(
        api, method, path.format(room=room_id), token, body.encode("ascii")
    )
    error = assert_bad_request(status, answer)
    assert "surrogate" in error["message"]
    await assert_nothing_stored(api, token, room_id)


# Bodies that are not what RFC 8259 calls JSON text, or text no field can hold.
BAD_BODIES = [
    (b'{"name": "a\\u0000b", "kind": "work"}', "NUL"),
    (b'{"name": "a\xed\xa0\x80b", "kind": "work"}', "UTF-8"),  # a surrogate encoded in UTF-8
    (b'{"name": "\xff", "kind": "work"}', "UTF-8"),
    ('{"name": "ruang", "kind": "work"}'.encode("utf-16"), "UTF-8"),
    (b'\xef\xbb\xbf{"name": "R", "kind": "work"}', "JSON"),  # a byte order mark
    (b'{"name": "R", "kind": "work", "max": NaN}', "JSON"),
    (b'{"name": "R", "kind": "work", "max": -Infinity}', "JSON"),
    (b'{"name": "R", "kind": "work", "max": 1e999}', "number"),
    (b'{"name": "R", "kind": "work", "max": ' + b"9" * 5000 + b"}", "number"),
    (b"[" * 5000 + b"]" * 5000, "nested"),
    (b'"just a string"', "object"),
    (b"null", "object"),
    (b'{"name": "R", "kind": "work"} {}', "JSON"),
]


@pytest.mark.parametrize(("body", "words"), BAD_BODIES)
async def test_a_body_that_is_not_json_text_or_holds_unstorable_text_is_a_400(
    api: Api, body: bytes, words: str
) -> None:
    token, room_id = await ani_and_her_room(api)
    status, answer = await send_raw(api, "POST", "/api/rooms", token, body)
    assert words in assert_bad_request(status, answer)["message"]
    await assert_nothing_stored(api, token, room_id)


@pytest.mark.parametrize(
    "path",
    [
        "/api/rooms/{room}/events?from=%ED%A0%80",  # a surrogate, percent-encoded UTF-8
        "/api/rooms/{room}/events?from=%FF",
        "/api/rooms/{room}/events?from=2030-01-01%00",
        "/api/rooms/{room}/events?fr%FFom=1",
        "/api/rooms?discover=%ED%A0%80",
        "/api/rooms/{room}/messages?limit=%FF",
    ],
)
async def test_a_query_string_that_is_not_text_is_a_400(api: Api, path: str) -> None:
    token, room_id = await ani_and_her_room(api)
    status, answer = await send_raw(api, "GET", path.format(room=room_id), token, b"")
    assert_bad_request(status, answer)


@pytest.mark.parametrize("code", ["%ED%A0%80", "%FF", "a%00b"])
async def test_a_path_parameter_that_is_not_text_is_a_400(api: Api, code: str) -> None:
    token, _ = await ani_and_her_room(api)
    status, answer = await send_raw(api, "POST", f"/api/invites/{code}/accept", token, b"")
    assert_bad_request(status, answer)


# Instants at the ends of what Python's datetime can show: each is within year 1..9999 as
# written, but not once converted to UTC or to the event's zone.
EDGE_DATES = [
    ("0001-01-01T00:00", "2030-01-06T21:00", "Asia/Jakarta", "starts_at"),
    ("0001-01-01T00:00+00:00", "0001-01-01T02:00+00:00", "America/New_York", "starts_at"),
    ("0001-01-01T03:00+07:00", "0001-01-01T05:00+07:00", "UTC", "starts_at"),
    ("9999-12-31T20:00", "9999-12-31T23:00", "America/New_York", "starts_at"),
    ("9999-12-31T20:00-05:00", "9999-12-31T23:00-05:00", "Asia/Jakarta", "starts_at"),
    ("9999-12-31T20:00", "9999-12-31T23:30", "Asia/Jakarta", "starts_at"),
    ("2030-01-06T19:00", "9999-12-31T23:59:59.999999-23:59", "UTC", "ends_at"),
]


@pytest.mark.parametrize(("starts_at", "ends_at", "zone", "field"), EDGE_DATES)
async def test_an_event_at_the_edge_of_the_calendar_is_a_400(
    api: Api, starts_at: str, ends_at: str, zone: str, field: str
) -> None:
    token, room_id = await ani_and_her_room(api)
    body = {
        "title": "Rapat",
        "kind": "meeting",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": zone,
    }
    answer = await api.call("POST", f"/api/rooms/{room_id}/events", token, json=body, expect=400)
    assert answer["error"]["field"] == field, answer
    assert "year" in answer["error"]["message"]
    await assert_nothing_stored(api, token, room_id)


@pytest.mark.parametrize("since", ["0001-01-01T00:00-05:00", "9999-12-31T23:00-05:00"])
async def test_listing_events_from_the_edge_of_the_calendar_is_a_400(api: Api, since: str) -> None:
    token, room_id = await ani_and_her_room(api)
    path = f"/api/rooms/{room_id}/events"
    answer = await api.call("GET", path, token, params={"from": since}, expect=400)
    assert answer["error"]["field"] == "from"


async def test_an_unexpected_exception_is_logged_and_answered_500_in_the_error_shape(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token, _ = await api.user("ani")

    async def broken(*_args: Any) -> Any:
        raise RuntimeError("connection string postgresql://kamar:hunter2@db")

    monkeypatch.setattr(Directory, "list_mine", broken)
    response = await api.client.get("/api/rooms", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 500 and response.content_type == "application/json"
    answer = await response.json()
    assert answer["error"]["code"] == "internal", answer
    assert "hunter2" not in await response.text()  # nothing of the exception is told
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "hunter2" in str(logged[-1].exc_info[1])  # but the log has it all


async def test_openapi_tells_of_the_500_and_its_code(api: Api) -> None:
    document = await api.call("GET", "/api/openapi.json")
    error = document["components"]["responses"]["Error"]
    codes = error["content"]["application/json"]["schema"]["properties"]["error"]
    assert {"internal", "rate_limited", "busy"} <= set(codes["properties"]["code"]["enum"])
    assert "Retry-After" in error["headers"]
    for path in document["paths"].values():
        for operation in path.values():
            assert operation["responses"]["5XX"] == {"$ref": "#/components/responses/Error"}
