"""The region picker's endpoints, and region codes through the profile and room endpoints."""

from __future__ import annotations

from tests.server.api_client import Api


async def test_the_picker_searches_and_drills_down_without_signing_in(api: Api) -> None:
    found = await api.call("GET", "/api/regions?q=kota%20bandung")
    first = found["regions"][0]
    assert (first["code"], first["level"], first["label"]) == (
        "32.73",
        "regency",
        "Kota Bandung, Jawa Barat",
    )
    villages = await api.call("GET", "/api/regions?q=sukarasa&level=village&within=32.73")
    assert [r["code"] for r in villages["regions"]] == ["32.73.01.1001"]
    provinces = await api.call("GET", "/api/regions")
    assert len(provinces["regions"]) == 38
    city = await api.call("GET", "/api/regions/32.73")
    assert city["path"][0]["name"] == "Jawa Barat"
    assert {"code": "32.73.01", "name": "Sukasari"} in city["children"]


async def test_the_picker_refuses_bad_input_by_field(api: Api) -> None:
    for path, status, field in [
        ("/api/regions?q=a", 400, "q"),
        ("/api/regions?q=bandung&level=planet", 400, "level"),
        ("/api/regions?q=bandung&within=32.99", 404, "region"),
        ("/api/regions/32.99", 404, "region"),
        ("/api/regions/jawa", 400, "region"),
    ]:
        refused = await api.call("GET", path, expect=status)
        assert refused["error"]["field"] == field, path


async def test_a_profile_and_a_room_take_a_region_code(api: Api) -> None:
    token, user = await api.user("siti", region={"code": "32.73.01.1001", "rt_rw": "5/2"})
    assert user["region"] == {
        "code": "32.73.01.1001",
        "province": "Jawa Barat",
        "city": "Kota Bandung",
        "rt_rw": "005/002",
    }
    refused = await api.call(
        "PATCH", "/api/me", token, json={"region": {"code": "32.99"}}, expect=404
    )
    assert refused["error"]["field"] == "region"
    room = await api.room(token, "Warga RW 02", region_code="32.73.01.1001", rt_rw="RT 5 RW 2")
    assert room["region"]["rt_rw"] == "005/002"
    refused = await api.call(
        "PATCH", f"/api/rooms/{room['id']}", token, json={"rt_rw": "dua"}, expect=400
    )
    assert refused["error"]["field"] == "rt_rw"
