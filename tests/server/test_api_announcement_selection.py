"""Which rooms an announcement's selection names, asked before posting (on SQLite and
PostgreSQL): the web form uploads photos to one of them, so a selection by region or kind
alone carries photos too; the rooms one does not run are left out, and a bad selection is
refused by field as posting refuses it."""

from __future__ import annotations

from tests.rooms.test_store import png
from tests.server.api_client import Api
from tests.server.test_api_announcement_media import announce
from tests.server.test_api_uploads import upload


async def test_a_region_alone_names_the_rooms_a_photo_may_go_to(api: Api) -> None:
    siti, _ = await api.user("siti")
    ani, _ = await api.user("ani")
    sukarasa = await api.room(siti, "Sukarasa", kind="region", region_code="32.73.01.1001")
    gegerkalong = await api.room(siti, "Gegerkalong", kind="region", region_code="32.73.01.1002")
    await api.room(siti, "Surabaya", kind="region", region_code="35.78")
    await api.room(ani, "Ani's", kind="region", region_code="32.73.01.1001")  # not Siti's
    resolved = await api.call(
        "POST", "/api/announcements/selection", siti, json={"region_code": "32.73"}
    )
    assert resolved == {"count": 2, "room_ids": [sukarasa["id"], gegerkalong["id"]]}

    photo = await upload(api, siti, resolved["room_ids"][0], png(), "aksi.png", 201)
    posted = await announce(api, siti, {"region_code": "32.73", "attachment_ids": [photo["id"]]})
    assert posted["reach"]["rooms"] == 2
    pinned = await api.call("GET", f"/api/rooms/{gegerkalong['id']}/announcements", siti)
    assert [a["id"] for a in pinned["announcements"][0]["attachments"]] == [photo["id"]]

    # A region and a list together: only the ticked rooms inside the region.
    both = {"region_code": "32.73", "room_ids": [gegerkalong["id"]]}
    resolved = await api.call("POST", "/api/announcements/selection", siti, json=both)
    assert resolved["room_ids"] == [gegerkalong["id"]]


async def test_a_bad_selection_is_refused_as_posting_refuses_it(api: Api) -> None:
    siti, _ = await api.user("siti")
    await api.room(siti, "PUK")
    for body, status, field in [
        ({}, 400, "rooms"),
        ({"kinds": ["planet"]}, 400, "kinds"),
        ({"region_code": "xx"}, 400, "region"),
    ]:
        refused = await api.call(
            "POST", "/api/announcements/selection", siti, json=body, expect=status
        )
        assert refused["error"]["field"] == field, body
    nobody, _ = await api.user("dedi")
    refused = await api.call(
        "POST", "/api/announcements/selection", nobody, json={"kinds": ["work"]}, expect=403
    )
    assert refused["error"]["code"] == "forbidden"
