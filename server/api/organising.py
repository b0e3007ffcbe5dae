"""Organising endpoints (docs/api.md, docs/organising.md): one's referral link and its QR code,
registering through a referral, whom one recruited, campaigns and recruitment reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rooms.community.agenda import check_zone, parse_time
from rooms.community.regions.data import loaded_regions
from rooms.organising import Organising, open_organising
from rooms.organising.campaigns import MAX_NAME, MAX_ROOMS, MAX_TARGET
from rooms.organising.qr import qr_png, qr_svg
from rooms.organising.referrals import join_path
from rooms.organising.report import Scope
from server.api.accounts import REGISTRATION_FIELDS, registration, signed_in
from server.api.fields import Field
from server.api.limits import client_address, limit_registration
from server.api.routing import Call, Route, community_of, secret_of

DEVICE_HEADER = "X-Kamar-Device"  # the browser's own random id (localStorage), for fraud flags
MAX_DEVICE = 64
DEFAULT_ZONE = "Asia/Jakarta"


@dataclass
class _Holder:
    organising: Organising | None = field(default=None)


ORGANISING_KEY = web.AppKey("kamar_organising", _Holder)


def add_organising(app: web.Application) -> None:
    app[ORGANISING_KEY] = _Holder()


def organising_for(app: web.Application) -> Organising:
    """Built on first use: the community opens at start-up, after the app is assembled."""
    holder = app[ORGANISING_KEY]
    if holder.organising is None:
        holder.organising = open_organising(community_of(app), time.time, secret_of(app))
    return holder.organising


def organising_of(call: Call) -> Organising:
    return organising_for(call.request.app)


def device_of(request: web.Request) -> str:
    return request.headers.get(DEVICE_HEADER, "")[:MAX_DEVICE]


def _campaign_query(call: Call) -> int | None:
    campaign: int | None = call.query.get("campaign")
    return campaign


async def my_referral(call: Call) -> dict[str, Any]:
    code = await organising_of(call).recruitment.my_code(call.me)
    campaign = _campaign_query(call)
    suffix = f"?campaign={campaign}" if campaign is not None else ""
    return {
        "code": code,
        "url": join_path(code, campaign),
        "qr_png": f"/api/referrals/{code}/qr.png{suffix}",
        "qr_svg": f"/api/referrals/{code}/qr.svg{suffix}",
    }


async def referral_preview(call: Call) -> dict[str, Any]:
    code = call.request.match_info["code"]
    return await organising_of(call).recruitment.preview(code, _campaign_query(call))


async def _qr(call: Call, render: Any, content_type: str) -> web.Response:
    code = call.request.match_info["code"]
    await organising_of(call).recruitment.recruiter(code)  # 404 for a code that is no one's
    request = call.request
    # The address the member reached this server by: printed on a poster, it must be the
    # public one, which is what their browser used.
    link = f"{request.scheme}://{request.host}" + join_path(code, _campaign_query(call), "qr")
    return web.Response(
        body=render(link),
        content_type=content_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def referral_qr_png(call: Call) -> web.Response:
    return await _qr(call, qr_png, "image/png")


async def referral_qr_svg(call: Call) -> web.Response:
    return await _qr(call, qr_svg, "image/svg+xml")


async def join(call: Call) -> dict[str, Any]:
    """Register through a referral: the account, the credit and the campaign's rooms."""
    organising = organising_of(call)
    recruiter = await organising.recruitment.recruiter(call.request.match_info["code"])
    limit_registration(call.request)
    device = call.body["device"] or device_of(call.request)
    await organising.recruitment.check_device(device)
    user = await call.community.accounts.register(registration(call.body))
    recorded = await organising.recruitment.record(
        user,
        recruiter,
        call.body["via"] or "link",
        call.body["campaign_id"],
        client_address(call.request),
        device,
    )
    return {
        **signed_in(call, user),
        "rooms": recorded["rooms"],
        "campaign": recorded["campaign"],
    }


async def my_recruits(call: Call) -> dict[str, Any]:
    return await organising_of(call).recruitment.recruits(call.me)


async def create_campaign(call: Call) -> dict[str, Any]:
    body = call.body
    zone = check_zone(body["timezone"] or DEFAULT_ZONE)
    return await organising_of(call).campaigns.create(
        call.me,
        name=body["name"],
        room_ids=body["room_ids"],
        starts_at=parse_time(body["starts_at"], zone, "starts_at"),
        ends_at=parse_time(body["ends_at"], zone, "ends_at"),
        target=body["target"] or 0,
        region_code=body["region_code"] or "",
    )


async def list_campaigns(call: Call) -> dict[str, Any]:
    return {"campaigns": await organising_of(call).campaigns.list_for(call.me)}


async def get_campaign(call: Call) -> dict[str, Any]:
    return await organising_of(call).campaigns.get(call.me, call.path["campaign_id"])


async def campaign_report(call: Call) -> dict[str, Any]:
    scope = Scope(campaign_id=call.path["campaign_id"])
    return await organising_of(call).report(call.me, scope, call.query["leaderboard_offset"] or 0)


async def recruitment_report(call: Call) -> dict[str, Any]:
    """Without filters an administrator sees everything and anyone else their own recruits."""
    query = call.query
    recruiter = query["recruiter_id"]
    if recruiter is None and query["region"] is None and not call.me.is_admin:
        recruiter = call.me.id
    if query["region"] is not None:
        (await loaded_regions()).get(query["region"])  # 400/404 for a code that is no region
    scope = Scope(region_code=query["region"], recruiter_id=recruiter)
    return await organising_of(call).report(call.me, scope, query["leaderboard_offset"] or 0)


REFERRAL_QUERY = (Field("campaign", kind=int, minimum=1, description="a campaign's id"),)
LEADERBOARD_PAGE = Field(
    "leaderboard_offset",
    kind=int,
    minimum=0,
    maximum=1_000_000,
    description="the leaderboard's page starts after this many recruiters (20 a page)",
)

ROUTES = [
    Route(
        "GET",
        "/api/me/referral",
        my_referral,
        "One's personal invitation link and its QR codes (with ?campaign=, for that campaign)",
        content="none",
        query=REFERRAL_QUERY,
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/me/recruits",
        my_recruits,
        "The members one recruited, newest first",
        content="none",
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/referrals/{code}",
        referral_preview,
        "Who invites, and to which running campaign: the join page's greeting",
        auth="none",
        content="none",
        query=REFERRAL_QUERY,
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/referrals/{code}/qr.png",
        referral_qr_png,
        "The invitation link as a QR code (PNG)",
        auth="none",
        content="none",
        query=REFERRAL_QUERY,
        produces="image/png",
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/referrals/{code}/qr.svg",
        referral_qr_svg,
        "The invitation link as a QR code (SVG, for print)",
        auth="none",
        content="none",
        query=REFERRAL_QUERY,
        produces="image/svg+xml",
        tags=("organising",),
    ),
    Route(
        "POST",
        "/api/join/{code}",
        join,
        "Register through a referral; joins the running campaign's rooms",
        auth="none",
        status=201,
        body=(
            *REGISTRATION_FIELDS,
            Field("via", choices=("link", "qr")),
            Field("campaign_id", kind=int, minimum=1),
            Field("device", max_length=MAX_DEVICE, description="the browser's random id"),
        ),
        tags=("organising",),
    ),
    Route(
        "POST",
        "/api/campaigns",
        create_campaign,
        "Start a recruitment campaign (organisers: moderators of each of its rooms)",
        status=201,
        body=(
            Field("name", required=True, max_length=MAX_NAME),
            Field("room_ids", kind=list, items=int, required=True, max_length=MAX_ROOMS),
            Field("starts_at", required=True, max_length=40),
            Field("ends_at", required=True, max_length=40),
            Field("timezone", max_length=64),
            Field("target", kind=int, minimum=0, maximum=MAX_TARGET),
            Field("region_code", max_length=13),
        ),
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/campaigns",
        list_campaigns,
        "Running and coming campaigns in one's rooms",
        content="none",
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/campaigns/{campaign_id}",
        get_campaign,
        "A campaign (members of its rooms and its organisers)",
        content="none",
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/campaigns/{campaign_id}/report",
        campaign_report,
        "A campaign's sign-ups, activity, leaderboard, regions and channels (its organisers)",
        content="none",
        query=(LEADERBOARD_PAGE,),
        tags=("organising",),
    ),
    Route(
        "GET",
        "/api/recruitment/report",
        recruitment_report,
        "Recruitment across campaigns, by region or recruiter (administrators; one's own)",
        content="none",
        query=(
            Field("region", max_length=13, description="new members in this region"),
            Field("recruiter_id", kind=int, minimum=1),
            LEADERBOARD_PAGE,
        ),
        tags=("organising",),
    ),
]
