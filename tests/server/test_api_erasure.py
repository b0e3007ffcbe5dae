"""Deleting an account over HTTP on SQLite and PostgreSQL (docs/api.md "Deleting an account"):
the member with their password, an administrator with an audit row; afterwards no sign-in,
no session, no open feed socket, and the messages stay in the room under an empty name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import FormData

from signalling.ws import SERVICES_KEY
from tests.rooms.test_photo_metadata import photo
from tests.server.api_client import Api
from tests.server.test_api_resumable import start


def file_names(data_dir: Path) -> set[str]:
    """Every file in the data directory (a few, in a test): the test reads it between calls."""
    return {path.name for path in data_dir.rglob("*") if path.is_file()}


async def make_admin(api: Api, user: dict[str, Any]) -> None:
    await api.client.app[SERVICES_KEY].community.accounts.set_admin(user["id"], True)


async def open_feed(api: Api, token: str) -> Any:
    feed = await api.client.ws_connect("/ws")
    await feed.send_json({"type": "auth", "token": token})
    assert (await feed.receive_json(timeout=5))["type"] == "authed"
    return feed


async def test_a_member_deletes_their_account_with_their_password(api: Api) -> None:
    ketua, _ = await api.user("ketua")
    ani, ani_user = await api.user("ani")
    room = await api.room(ketua)
    await api.join_by_invite(ketua, ani, room["id"])
    path = f"/api/rooms/{room['id']}/messages"
    await api.call("POST", path, ani, json={"text": "Salam dari Ani"}, expect=201)
    feed = await open_feed(api, ani)
    wrong = await api.call(
        "POST", "/api/me/delete", ani, json={"password": "salah-123"}, expect=401
    )
    assert (wrong["error"]["reason"], wrong["error"]["field"]) == (
        "wrong_current_password",
        "password",
    )
    await api.call("GET", "/api/me", ani)  # nothing changed
    await api.call("POST", "/api/me/delete", ani, json={"password": "rahasia-123"}, expect=204)

    told = await feed.receive_json(timeout=5)
    assert (told["type"], told["code"]) == ("error", "unauthorized")
    closing = await feed.receive(timeout=5)
    assert closing.type.name in ("CLOSE", "CLOSING", "CLOSED")
    await api.call("GET", "/api/me", ani, expect=401)
    login = {"login": "ani", "password": "rahasia-123"}
    await api.call("POST", "/api/auth/login", json=login, expect=401)
    history = await api.call("GET", path, ketua)
    [kept] = [m for m in history["messages"] if m["text"] == "Salam dari Ani"]
    assert kept["author"]["id"] == ani_user["id"] and kept["author"]["display_name"] == ""
    members = (await api.call("GET", f"/api/rooms/{room['id']}", ketua))["members"]
    assert ani_user["id"] not in {member["user"]["id"] for member in members}
    # the username is free again
    await api.user("ani")


async def test_an_administrator_deletes_a_member_and_the_audit_log_says_so(api: Api) -> None:
    admin, admin_user = await api.user("admin")
    await make_admin(api, admin_user)
    budi, budi_user = await api.user("budi")
    await api.call("DELETE", f"/api/users/{admin_user['id']}", budi, expect=403)
    await api.call("GET", "/api/admin/audit", budi, expect=403)
    own = await api.call("DELETE", f"/api/users/{admin_user['id']}", admin, expect=400)
    assert own["error"]["reason"] == "delete_self_here"
    feed = await open_feed(api, budi)
    await api.call("DELETE", f"/api/users/{budi_user['id']}", admin, expect=204)
    assert (await feed.receive_json(timeout=5))["code"] == "unauthorized"
    await api.call("GET", "/api/me", budi, expect=401)
    again = await api.call("DELETE", f"/api/users/{budi_user['id']}", admin, expect=404)
    assert again["error"]["reason"] == "account_gone"
    [row] = (await api.call("GET", "/api/admin/audit", admin))["rows"]
    assert (row["admin_id"], row["action"], row["target_id"]) == (
        admin_user["id"],
        "delete_account",
        budi_user["id"],
    )
    last = await api.call(
        "POST", "/api/me/delete", admin, json={"password": "rahasia-123"}, expect=409
    )
    assert last["error"]["reason"] == "last_admin"


async def test_the_members_files_go_with_the_account(api: Api, tmp_path: Path) -> None:
    """Profile photo, a listing's photo and an unfinished upload's partial file; the photo
    they sent in the room stays with the message."""
    ketua, _ = await api.user("ketua")
    ani, ani_user = await api.user("ani")
    room = await api.room(ketua)
    await api.join_by_invite(ketua, ani, room["id"])
    avatar = FormData()
    avatar.add_field("file", photo("JPEG"), filename="aku.jpg", content_type="image/jpeg")
    await api.call("PUT", "/api/me/avatar", ani, data=avatar, expect=204)
    listing_photo = FormData()
    listing_photo.add_field("file", photo("JPEG"), filename="kue.jpg", content_type="image/jpeg")
    await api.call("POST", "/api/market/photos", ani, data=listing_photo, expect=201)
    await start(api, ani, room["id"], 10_000)
    files = file_names(tmp_path)
    assert f"{ani_user['id']}.jpg" in files and any(name.endswith(".part") for name in files)
    before = len(files)
    await api.call("POST", "/api/me/delete", ani, json={"password": "rahasia-123"}, expect=204)
    after = file_names(tmp_path)
    assert f"{ani_user['id']}.jpg" not in after
    assert not any(name.endswith(".part") for name in after)
    assert before - len(after) == 4  # avatar, listing photo and its thumbnail, partial upload
    await api.call("GET", f"/api/users/{ani_user['id']}/avatar", ketua, expect=404)
