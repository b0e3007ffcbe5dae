"""A calendar link can be replaced: the old one (own feed and room feeds) answers 404, the new
one works, and every place that shows the link shows the new one."""

from __future__ import annotations

from tests.server.api_client import Api


async def authed_calendar_url(api: Api, token: str) -> str:
    ws = await api.client.ws_connect("/ws")
    try:
        await ws.send_json({"type": "auth", "token": token})
        authed = await ws.receive_json(timeout=5)
        assert authed["type"] == "authed", authed
        url: str = authed["user"]["calendar_url"]
        return url
    finally:
        await ws.close()


def room_feed(room_id: int, link: str) -> str:
    return f"/api/rooms/{room_id}/calendar.ics?{link.split('?')[1]}"


async def test_a_new_calendar_link_revokes_the_old_one(api: Api) -> None:
    ani, _ = await api.user("ani")
    room_id = (await api.room(ani))["id"]
    old = (await api.call("GET", "/api/me", ani))["calendar_url"]
    for path in (old, room_feed(room_id, old)):
        await api.call("GET", path)
    new = (await api.call("POST", "/api/me/calendar/rotate", ani))["calendar_url"]
    assert new != old and new.startswith("/api/me/calendar.ics?token=")
    for path in (old, room_feed(room_id, old)):
        answer = await api.call("GET", path, expect=404)
        assert answer["error"] == {
            "code": "not_found",
            "message": "this calendar link was replaced by a new one",
            "field": "token",
            "reason": "calendar_link_replaced",
        }
    for path in (new, room_feed(room_id, new)):
        await api.call("GET", path)
    assert (await api.call("GET", "/api/me", ani))["calendar_url"] == new
    assert await authed_calendar_url(api, ani) == new
    login = {"login": "ani", "password": "rahasia-123"}
    assert (await api.call("POST", "/api/auth/login", json=login))["user"]["calendar_url"] == new
    newer = (await api.call("POST", "/api/me/calendar/rotate", ani))["calendar_url"]
    await api.call("GET", new, expect=404)
    await api.call("GET", newer)


async def test_only_a_session_may_make_a_new_link_and_only_its_own(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    link = (await api.call("GET", "/api/me", ani))["calendar_url"]
    calendar_token = link.split("token=")[1]
    await api.call("POST", "/api/me/calendar/rotate", None, expect=401)
    await api.call("POST", "/api/me/calendar/rotate", calendar_token, expect=401)
    await api.call("POST", f"/api/me/calendar/rotate?token={calendar_token}", expect=401)
    await api.call("POST", "/api/me/calendar/rotate", budi)  # budi's, not ani's
    await api.call("GET", link)
