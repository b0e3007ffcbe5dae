"""The organising endpoints on SQLite and PostgreSQL: one's link and QR codes (the PNG decoded
by ZXing), registering through a referral into a campaign's rooms, whom one recruited,
room invitations as recruitment, campaigns and their reports."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import zxingcpp
from PIL import Image

from tests.server.api_client import Api


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def decode_qr(png: bytes) -> str:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(code.text)


async def test_a_referral_qr_leads_to_registration_into_the_campaign_rooms(api: Api) -> None:
    siti_token, _ = await api.user("siti")
    room = await api.room(siti_token, "Warga Sukarasa", region_code="32.73.01.1001")
    campaign = await api.call(
        "POST",
        "/api/campaigns",
        siti_token,
        json={
            "name": "CFD Dago",
            "room_ids": [room["id"]],
            "starts_at": iso(-1),
            "ends_at": iso(7),
            "target": 50,
            "region_code": "32.73",
        },
        expect=201,
    )
    assert campaign["running"] and campaign["rooms"] == [{"id": room["id"], "name": room["name"]}]
    link = await api.call("GET", f"/api/me/referral?campaign={campaign['id']}", siti_token)
    code = link["code"]
    assert link["url"] == f"/#/join/{code}?campaign={campaign['id']}"

    await qr_codes_lead_to_the_join_link(api, link, campaign["id"])

    preview = await api.call("GET", f"/api/referrals/{code}?campaign={campaign['id']}")
    assert preview["recruiter"] == {"display_name": "Siti"}
    assert preview["campaign"]["name"] == "CFD Dago"

    joined = await api.call(
        "POST",
        f"/api/join/{code}",
        json={
            "username": "budi",
            "password": "rahasia-123",
            "display_name": "Budi",
            "via": "qr",
            "campaign_id": campaign["id"],
            "device": "budi-phone",
            "region": {"code": "32.73.01.1001", "rt_rw": "5/2"},
        },
        expect=201,
    )
    assert joined["rooms"] == [room["id"]] and joined["campaign"]["id"] == campaign["id"]
    budi_rooms = await api.call("GET", "/api/rooms", joined["token"])
    assert [r["id"] for r in budi_rooms["rooms"]] == [room["id"]]

    await the_recruiter_sees_budi_counted(api, siti_token, campaign["id"])
    listed = await api.call("GET", "/api/campaigns", joined["token"])
    assert [c["id"] for c in listed["campaigns"]] == [campaign["id"]]
    forbidden = await api.call(
        "GET", f"/api/campaigns/{campaign['id']}/report", joined["token"], expect=403
    )
    assert forbidden["error"]["code"] == "forbidden"


async def the_recruiter_sees_budi_counted(api: Api, token: str, campaign_id: int) -> None:
    """Budi among the recruiter's recruits, by QR, and in the campaign's report by region."""
    recruits = await api.call("GET", "/api/me/recruits", token)
    assert recruits["count"] == 1
    assert recruits["recruits"][0]["channel"] == "qr"
    assert recruits["recruits"][0]["user"]["display_name"] == "Budi"
    report = await api.call("GET", f"/api/campaigns/{campaign_id}/report", token)
    assert (report["signups"], report["target"], report["progress"]) == (1, 50, 0.02)
    assert report["by_region"] == [
        {"code": "32.73", "name": "Kota Bandung", "signups": 1, "active_7d": 0}
    ]


async def qr_codes_lead_to_the_join_link(api: Api, link: dict[str, str], campaign_id: int) -> None:
    """The referral's QR code, as PNG (read back) and as SVG, opens its join link with via=qr."""
    response = await api.client.get(link["qr_png"])
    assert response.content_type == "image/png"
    png = await response.read()
    target = decode_qr(png)
    host = f"http://{api.client.host}:{api.client.port}"
    assert target == f"{host}/#/join/{link['code']}?via=qr&campaign={campaign_id}"
    svg = await api.client.get(link["qr_svg"])
    assert svg.content_type == "image/svg+xml"
    assert (await svg.text()).lstrip().startswith("<?xml")


async def test_bad_referrals_are_refused_by_field(api: Api) -> None:
    token, _ = await api.user("siti")
    code = (await api.call("GET", "/api/me/referral", token))["code"]
    for method, path, body, status, field in [
        ("GET", "/api/referrals/nobody00", None, 404, "code"),
        ("GET", "/api/referrals/nobody00/qr.png", None, 404, "code"),
        ("POST", "/api/join/nobody00", {"password": "x" * 8, "display_name": "X"}, 404, "code"),
        (
            "POST",
            f"/api/join/{code}",
            {"username": "b", "password": "x" * 8, "display_name": "X"},
            400,
            "username",
        ),
        (
            "POST",
            f"/api/join/{code}",
            {"username": "budi", "password": "x" * 8, "display_name": "X", "via": "fax"},
            400,
            "via",
        ),
        (
            "POST",
            "/api/campaigns",
            {"name": "X", "room_ids": [], "starts_at": iso(0), "ends_at": iso(1)},
            400,
            "room_ids",
        ),
        (
            "POST",
            "/api/campaigns",
            {"name": "X", "room_ids": [1], "starts_at": "besok", "ends_at": iso(1)},
            400,
            "starts_at",
        ),
        ("GET", "/api/recruitment/report?region=32.99", None, 404, "region"),
        ("GET", "/api/recruitment/report?leaderboard_offset=-1", None, 400, "leaderboard_offset"),
        ("GET", "/api/campaigns/1/report?leaderboard_offset=x", None, 400, "leaderboard_offset"),
    ]:
        refused = await api.call(method, path, token, json=body, expect=status)
        assert refused["error"]["field"] == field, path


async def test_accepting_a_room_invitation_right_after_registering_credits_its_maker(
    api: Api,
) -> None:
    siti, _ = await api.user("siti")
    room = await api.room(siti)
    budi, _ = await api.user("budi")
    await api.join_by_invite(siti, budi, room["id"])
    recruits = await api.call("GET", "/api/me/recruits", siti)
    assert [(r["user"]["display_name"], r["channel"]) for r in recruits["recruits"]] == [
        ("Budi", "room_invite")
    ]
    own = await api.call("GET", "/api/recruitment/report", siti)
    assert own["signups"] == 1
