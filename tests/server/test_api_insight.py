"""Member insight over HTTP on SQLite and PostgreSQL: who may read it, CSV exports, grants and
the audit log, and a meeting's attendance recorded from a real websocket session."""

from __future__ import annotations

import asyncio
import csv
import io
import time

from server.api.insight import VIEWS, as_csv
from signalling.ws import SERVICES_KEY
from tests.server.api_client import Api
from tests.signalling.test_member_tokens import hello, member_room


async def test_a_member_is_refused_and_an_organiser_reads_every_view(api: Api) -> None:
    ketua, _ = await api.user("ketua")
    ani, _ = await api.user("ani")
    room = await api.room(ketua)
    await api.join_by_invite(ketua, ani, room["id"])
    await api.call(
        "POST", f"/api/rooms/{room['id']}/messages", ani, json={"text": "Hadir"}, expect=201
    )
    refused = await api.call("GET", "/api/insight/rooms", ani, expect=403)
    assert refused["error"]["code"] == "forbidden"
    for view in VIEWS:
        answer = await api.call("GET", f"/api/insight/{view}", ketua)
        assert answer["scope"] == f"rooms {room['id']}", view
    # two members: a small group, shown as a count only
    [row] = (await api.call("GET", "/api/insight/rooms", ketua))["rows"]
    assert (row["members"], row["small_group"], row["messages"]) == (2, True, None)
    bad = await api.call("GET", "/api/insight/participation?period=year", ketua, expect=400)
    assert bad["error"]["field"] == "period"


async def test_each_view_downloads_as_csv(api: Api) -> None:
    ketua, _ = await api.user("ketua")
    room = await api.room(ketua)
    response = await api.client.get(
        f"/api/insight/participation?room_id={room['id']}&period=day&count=3&format=csv",
        headers={"Authorization": f"Bearer {ketua}"},
    )
    assert response.status == 200 and response.content_type == "text/csv"
    assert "kamar-participation.csv" in response.headers["Content-Disposition"]
    assert await response.text() == ""  # one member: a small group has no rows to export
    rooms = await api.client.get(
        "/api/insight/rooms?format=csv", headers={"Authorization": f"Bearer {ketua}"}
    )
    table = list(csv.DictReader(io.StringIO(await rooms.text())))
    assert [(r["name"], r["members"], r["small_group"]) for r in table] == [
        ("Serikat", "1", "True")
    ]


def test_csv_quotes_what_needs_quoting() -> None:
    text = as_csv([{"name": 'Serikat "Maju", Bekasi', "members": 7}])
    assert text == 'name,members\r\n"Serikat ""Maju"", Bekasi",7\r\n'
    assert as_csv([]) == ""


async def test_grants_are_for_administrators_and_the_log_shows_every_view(api: Api) -> None:
    ani, ani_user = await api.user("ani")
    await api.call(
        "POST",
        "/api/insight/grants",
        ani,
        json={"user_id": ani_user["id"], "granted": True},
        expect=403,
    )
    await api.call("GET", "/api/insight/audit", ani, expect=403)
    mine = await api.call("GET", "/api/insight/me", ani)
    assert mine["kept"]["messages"] == 0 and mine["profile"]["id"] == ani_user["id"]


async def test_a_csv_download_and_a_regions_view_are_in_the_audit_log(api: Api) -> None:
    boss, boss_user = await api.user("pengurus")
    await api.client.server.app[SERVICES_KEY].community.accounts.set_admin(boss_user["id"], True)
    await api.call("GET", "/api/insight/slipping?format=csv", boss)  # names: personal data
    await api.call("GET", "/api/insight/participation?region=32.73", boss)
    unknown = await api.call("GET", "/api/insight/participation?region=32.99", boss, expect=404)
    assert unknown["error"]["field"] == "region"
    log = (await api.call("GET", "/api/insight/audit", boss))["rows"]
    assert [(row["viewer"], row["view"], row["scope"]) for row in log] == [
        ("Pengurus", "participation", "organisation region 32.73"),
        ("Pengurus", "slipping", "organisation"),
    ]


async def test_a_member_who_was_in_the_rooms_meeting_sees_it_counted(api: Api) -> None:
    """End to end: the meeting's departure goes through server/wiring.py to the community's
    attendance record; the member's own view counts it, and so does the organiser's."""
    ani, budi, _budi_user, room_id = await member_room(api)
    token = (await api.call("POST", f"/api/rooms/{room_id}/meeting", budi))["token"]
    ws, answer = await hello(api, token)
    assert answer["type"] == "welcome", answer
    await ws.close()  # the session ends: budi leaves the meeting
    deadline = time.monotonic() + 10
    while (await api.call("GET", "/api/insight/me", budi))["kept"]["meetings_attended"] == 0:
        assert time.monotonic() < deadline, "the stay was never recorded"
        await asyncio.sleep(0.05)
    view = await api.call("GET", "/api/insight/participation?period=day&count=1", ani)
    assert view["small_group"] is True  # two members: counts only, no breakdown
