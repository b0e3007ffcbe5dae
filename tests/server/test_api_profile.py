"""One's own account: profile edits, password change and signing out everywhere."""

from __future__ import annotations

from tests.server.api_client import Api


async def test_a_profile_edit_changes_only_what_was_sent(api: Api) -> None:
    token, user = await api.user("siti", organisation="SPSI", region={"city": "Bekasi"})
    changed = await api.call("PATCH", "/api/me", token, json={"display_name": " Siti Aminah "})
    assert (changed["display_name"], changed["organisation"]) == ("Siti Aminah", "SPSI")
    assert changed["region"] == {"code": "", "province": "", "city": "Bekasi", "rt_rw": ""}
    changed = await api.call(
        "PATCH", "/api/me", token, json={"region": {"rt_rw": "003/005"}, "organisation": ""}
    )
    assert changed["region"] == {"code": "", "province": "", "city": "Bekasi", "rt_rw": "003/005"}
    assert changed["organisation"] == "" and changed["id"] == user["id"]
    for body, field in (
        ({"display_name": "   "}, "display_name"),
        ({"region": {"village": "x"}}, "region"),
        ({"region": {"city": 5}}, "region"),
        ({"username": "other"}, "username"),  # not editable here
    ):
        refused = await api.call("PATCH", "/api/me", token, json=body, expect=400)
        assert refused["error"]["field"] == field, body
    assert (await api.call("GET", "/api/me", token))["display_name"] == "Siti Aminah"


async def test_a_password_change_signs_out_every_other_session(api: Api) -> None:
    first, _ = await api.user("budi")
    second = (
        await api.call("POST", "/api/auth/login", json={"login": "budi", "password": "rahasia-123"})
    )["token"]
    wrong = await api.call(
        "POST",
        "/api/me/password",
        first,
        json={"current_password": "salah-sekali", "new_password": "baru-dan-panjang"},
        expect=401,
    )
    assert wrong["error"]["field"] == "current_password"
    await api.call("GET", "/api/me", second)  # a wrong attempt signs nobody out
    short = await api.call(
        "POST",
        "/api/me/password",
        first,
        json={"current_password": "rahasia-123", "new_password": "pendek"},
        expect=400,
    )
    assert short["error"]["field"] == "new_password"
    answer = await api.call(
        "POST",
        "/api/me/password",
        first,
        json={"current_password": "rahasia-123", "new_password": "baru-dan-panjang"},
    )
    for old in (first, second):
        gone = await api.call("GET", "/api/me", old, expect=401)
        assert "signed out" in gone["error"]["message"]
    await api.call("GET", "/api/me", answer["token"])
    await api.call(
        "POST",
        "/api/auth/login",
        json={"login": "budi", "password": "rahasia-123"},
        expect=401,
    )
    await api.call(
        "POST", "/api/auth/login", json={"login": "budi", "password": "baru-dan-panjang"}
    )


async def test_signing_out_everywhere_keeps_this_device_and_the_calendar_link(api: Api) -> None:
    token, _ = await api.user("cici")
    me = await api.call("GET", "/api/me", token)
    fresh = (await api.call("POST", "/api/me/sessions/revoke", token))["token"]
    await api.call("GET", "/api/me", token, expect=401)
    await api.call("GET", "/api/me", fresh)
    await api.call("GET", me["calendar_url"])  # a feed link is not a session
    ws = await api.client.ws_connect("/ws")
    await ws.send_json({"type": "auth", "token": token})
    refused = await ws.receive_json(timeout=5)
    assert refused["code"] == "unauthorized" and "signed out" in refused["message"]
    await ws.close()


async def test_open_feeds_of_older_sessions_close_when_the_password_changes(api: Api) -> None:
    token, _ = await api.user("dewi")
    old_feed = await api.client.ws_connect("/ws")
    await old_feed.send_json({"type": "auth", "token": token})
    assert (await old_feed.receive_json(timeout=5))["type"] == "authed"
    answer = await api.call(
        "POST",
        "/api/me/password",
        token,
        json={"current_password": "rahasia-123", "new_password": "baru-dan-panjang"},
    )
    new_feed = await api.client.ws_connect("/ws")
    await new_feed.send_json({"type": "auth", "token": answer["token"]})
    assert (await new_feed.receive_json(timeout=5))["type"] == "authed"
    told = await old_feed.receive_json(timeout=5)
    assert told["type"] == "error" and told["code"] == "unauthorized"
    closing = await old_feed.receive(timeout=5)
    assert closing.type.name in ("CLOSE", "CLOSING", "CLOSED")
    await api.call("POST", "/api/me/sessions/revoke", answer["token"])
    told = await new_feed.receive_json(timeout=5)  # this one too, now
    assert told["code"] == "unauthorized"
    await new_feed.close()
