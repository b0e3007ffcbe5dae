"""Acting on reports, on SQLite and PostgreSQL: an administrator hides a reported direct
message (deleted for both members) or dismisses a report, a room moderator hides a reported
listing or dismisses its reports; acted-on reports leave the lists, and only those allowed act."""

from __future__ import annotations

from typing import Any

from signalling.ws import SERVICES_KEY
from tests.server.api_client import Api


async def make_admin(api: Api, user: dict[str, Any]) -> None:
    community = api.client.server.app[SERVICES_KEY].community
    await community.accounts.set_admin(user["id"], True)


async def test_an_administrator_hides_a_reported_message_or_dismisses_a_report(api: Api) -> None:
    admin, admin_user = await api.user("admin")
    await make_admin(api, admin_user)
    siti, siti_user = await api.user("siti")
    budi, budi_user = await api.user("budi")
    ani, ani_user = await api.user("ani")
    room = await api.room(siti)
    for token in (budi, ani):
        await api.join_by_invite(siti, token, room["id"])
    card = await api.call("POST", "/api/direct", siti, json={"user_id": budi_user["id"]})
    messages = f"/api/rooms/{card['id']}/messages"
    rude = await api.call("POST", messages, budi, json={"text": "Kata kasar"}, expect=201)
    report = {"reason": "Kasar", "message_id": rude["id"]}
    await api.call("POST", f"/api/direct/{card['id']}/report", siti, json=report, expect=204)
    other = await api.call("POST", "/api/direct", ani, json={"user_id": budi_user["id"]})
    reason = {"reason": "Spam"}
    await api.call("POST", f"/api/direct/{other['id']}/report", ani, json=reason, expect=204)

    listed = (await api.call("GET", "/api/direct/reports", admin))["reports"]
    assert [(r["room_id"], r["reason"]) for r in listed] == [
        (other["id"], "Spam"),
        (card["id"], "Kasar"),
    ]
    act = f"/api/direct/reports/{card['id']}/{siti_user['id']}"
    await api.call("POST", act, siti, json={"action": "hide"}, expect=403)
    bad = await api.call("POST", act, admin, json={"action": "ban"}, expect=400)
    assert bad["error"]["field"] == "action"
    done = await api.call("POST", act, admin, json={"action": "hide"})
    assert done["outcome"] == "hidden"
    history = (await api.call("GET", messages, budi))["messages"]
    assert [(m["id"], m["deleted"], m["text"]) for m in history] == [(rude["id"], True, "")]
    again = await api.call("POST", act, admin, json={"action": "dismiss"}, expect=404)
    assert again["error"]["reason"] == "report_not_found"

    spam = f"/api/direct/reports/{other['id']}/{ani_user['id']}"
    no_message = await api.call("POST", spam, admin, json={"action": "hide"}, expect=400)
    assert no_message["error"]["reason"] == "report_no_message"
    await api.call("POST", spam, admin, json={"action": "dismiss"})
    assert (await api.call("GET", "/api/direct/reports", admin))["reports"] == []


async def test_a_room_moderator_dismisses_or_hides_a_reported_listing(api: Api) -> None:
    ketua, _ = await api.user("ketua")
    siti, _ = await api.user("siti")
    budi, _ = await api.user("budi")
    room = await api.room(ketua)
    for token in (siti, budi):
        await api.join_by_invite(ketua, token, room["id"])
    body = {"title": "HP murah", "pricing": "nego", "category": "secondhand", "region": "31"}
    listing = await api.call(
        "POST", "/api/market/listings", siti, json={**body, "rooms": [room["id"]]}, expect=201
    )
    path = f"/api/market/listings/{listing['id']}"
    act = f"/api/market/reports/{listing['id']}"
    await api.call("POST", f"{path}/report", budi, json={"reason": "Salah harga"}, expect=204)
    await api.call("POST", act, budi, json={"action": "dismiss"}, expect=403)
    dismissed = await api.call("POST", act, ketua, json={"action": "dismiss"})
    assert dismissed["outcome"] == "dismissed" and dismissed["hidden"] is False
    assert (await api.call("GET", "/api/market/reports", ketua))["listings"] == []
    none_open = await api.call("POST", act, ketua, json={"action": "hide"}, expect=404)
    assert none_open["error"]["reason"] == "report_not_found"

    await api.call("POST", f"{path}/report", ketua, json={"reason": "Barang curian"}, expect=204)
    reports = await api.call("GET", "/api/market/reports", ketua)
    assert [item["reports"] for item in reports["listings"]] == [["Barang curian"]]
    hidden = await api.call("POST", act, ketua, json={"action": "hide"})
    assert hidden["outcome"] == "hidden" and hidden["hidden"] is True
    assert (await api.call("GET", "/api/market/reports", ketua))["listings"] == []
    assert (await api.call("GET", path, siti))["hidden"] is True
