"""Forgot password over HTTP, on SQLite and PostgreSQL: an organiser makes a code, the member
uses it from another client, every older session ends; who may not, and the tries limit."""

from __future__ import annotations

from typing import Any

from rooms.community.password_reset import new_code
from server.api.limits import LIMITS_KEY, RESET_BURST
from server.api.routing import community_of
from tests.server.api_client import Api

NEW_PASSWORD = "sandi-baru-123"


async def _room(api: Api) -> tuple[str, str, dict[str, Any], int]:
    """An owner and a member, ani, in one room: the owner's token, ani's token and user."""
    owner, _ = await api.user("owner")
    ani, ani_user = await api.user("ani")
    room = await api.room(owner)
    await api.join_by_invite(owner, ani, room["id"])
    return owner, ani, ani_user, room["id"]


async def test_an_organiser_makes_a_code_and_the_member_is_signed_in_with_it(api: Api) -> None:
    owner, ani, ani_user, _ = await _room(api)
    issued = await api.call(
        "POST", f"/api/users/{ani_user['id']}/password-reset", owner, expect=201
    )
    assert issued["user_id"] == ani_user["id"] and len(issued["code"]) == 14
    assert issued["link"].endswith(f"/#/reset/{issued['code']}")
    short = await api.call(
        "POST",
        "/api/auth/password-reset",
        json={"code": issued["code"], "new_password": "pendek"},
        expect=400,
    )
    assert short["error"]["reason"] == "password_length"
    answer = await api.call(
        "POST",
        "/api/auth/password-reset",
        json={"code": issued["code"].lower(), "new_password": NEW_PASSWORD},
    )
    assert answer["user"]["id"] == ani_user["id"]
    gone = await api.call("GET", "/api/me", ani, expect=401)  # the old phone is signed out
    assert "signed out" in gone["error"]["message"]
    assert (await api.call("GET", "/api/me", answer["token"]))["username"] == "ani"
    await api.call("POST", "/api/auth/login", json={"login": "ani", "password": NEW_PASSWORD})
    again = await api.call(
        "POST",
        "/api/auth/password-reset",
        json={"code": issued["code"], "new_password": "lagi-lagi-123"},
        expect=401,
    )
    assert (again["error"]["reason"], again["error"]["field"]) == ("reset_code_used", "code")


async def test_members_cannot_reset_others_and_organisers_not_administrators(api: Api) -> None:
    owner, ani, ani_user, room_id = await _room(api)
    budi, budi_user = await api.user("budi")
    await api.join_by_invite(owner, budi, room_id)
    root, root_user = await api.user("root")
    await api.join_by_invite(owner, root, room_id)
    await community_of(api.client.app).accounts.set_admin(root_user["id"], True)
    refused = await api.call(
        "POST", f"/api/users/{budi_user['id']}/password-reset", ani, expect=403
    )
    assert refused["error"]["reason"] == "reset_not_allowed"
    refused = await api.call(
        "POST", f"/api/users/{root_user['id']}/password-reset", owner, expect=403
    )
    assert refused["error"]["reason"] == "reset_admin"
    await api.call("GET", "/api/admin/password-resets", owner, expect=403)
    await api.call("POST", f"/api/users/{budi_user['id']}/password-reset", root, expect=201)
    log = await api.call("GET", "/api/admin/password-resets", root)
    assert [(row["action"], row["actor"]["id"], row["target"]["id"]) for row in log["rows"]] == [
        ("issued", root_user["id"], budi_user["id"])
    ]
    await api.call("GET", "/api/me", ani)  # nothing signed anyone out


async def test_wrong_codes_from_one_address_are_limited(api: Api) -> None:
    api.client.app[LIMITS_KEY].clock = lambda: 1000.0  # no refill while the test runs
    for _ in range(RESET_BURST):
        wrong = await api.call(
            "POST",
            "/api/auth/password-reset",
            json={"code": new_code(), "new_password": NEW_PASSWORD},
            expect=401,
        )
        assert wrong["error"]["reason"] == "reset_code_wrong"
    limited = await api.call(
        "POST",
        "/api/auth/password-reset",
        json={"code": new_code(), "new_password": NEW_PASSWORD},
        expect=429,
    )
    assert limited["error"]["reason"] == "too_many_reset_tries"


async def test_asking_for_a_reset_says_the_same_for_any_login(api: Api) -> None:
    owner, _ani, ani_user, _ = await _room(api)
    answers = [
        await api.call(
            "POST", "/api/auth/password-reset/request", json={"login": login}, expect=202
        )
        for login in ("ani", "tidak-ada", "+6281234567890")
    ]
    assert answers[0] == answers[1] == answers[2] == {"received": True}
    asked = await api.call("GET", "/api/password-resets/requests", owner)
    assert [row["user"]["id"] for row in asked["requests"]] == [ani_user["id"]]
    await api.call("POST", f"/api/users/{ani_user['id']}/password-reset", owner, expect=201)
    assert (await api.call("GET", "/api/password-resets/requests", owner))["requests"] == []
