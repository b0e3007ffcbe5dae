"""Accounts endpoints: register, log in, who am I, my calendar."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from rooms.community import sessions
from rooms.community.account_rules import (
    MAX_DISPLAY_NAME,
    MAX_ORGANISATION,
    MAX_PASSWORD,
    Registration,
    login_key,
)
from rooms.community.accounts import User
from rooms.community.calendar import build_calendar
from rooms.community.calendar_links import calendar_url
from rooms.community.membership import room_ids_of
from server.api.fields import Field
from server.api.limits import check_password, limit_registration
from server.api.routing import Call, Route, secret_of

CALENDAR_LOOKBACK_MS = 30 * 24 * 3_600_000


def own_view(call: Call, user: User) -> dict[str, Any]:
    secret = secret_of(call.request.app)
    return {**user.own(), "calendar_url": calendar_url(user.id, secret, user.calendar_generation)}


def signed_in(call: Call, user: User) -> dict[str, Any]:
    token = sessions.mint_session(user.id, secret_of(call.request.app), time.time())
    return {"token": token, "user": own_view(call, user)}


def registration(body: dict[str, Any]) -> Registration:
    return Registration(
        password=body["password"],
        display_name=body["display_name"],
        username=body["username"],
        phone=body["phone"],
        organisation=body["organisation"] or "",
        region=body["region"],
    )


async def register(call: Call) -> dict[str, Any]:
    limit_registration(call.request)
    user = await call.community.accounts.register(registration(call.body))
    return signed_in(call, user)


async def login(call: Call) -> dict[str, Any]:
    login, password = call.body["login"], call.body["password"]
    account = ":".join(login_key(login))
    user = await check_password(
        call.request, account, "password", lambda: call.community.accounts.login(login, password)
    )
    return signed_in(call, user)


async def me(call: Call) -> dict[str, Any]:
    return own_view(call, call.me)


async def edit_me(call: Call) -> dict[str, Any]:
    body = call.body
    user = await call.community.accounts.update_profile(
        call.me, body["display_name"], body["organisation"], body["region"]
    )
    return own_view(call, user)


async def change_password(call: Call) -> dict[str, Any]:
    accounts = call.community.accounts
    # The same back-off as logging in: a stolen session must not become a password oracle.
    await check_password(
        call.request,
        f"id:{call.me.id}",
        "current_password",
        lambda: accounts.change_password(
            call.me, call.body["current_password"], call.body["new_password"]
        ),
    )
    return {"token": _fresh_session(call)}


async def revoke_sessions(call: Call) -> dict[str, Any]:
    await call.community.accounts.revoke_sessions(call.me)
    return {"token": _fresh_session(call)}


def _fresh_session(call: Call) -> str:
    """A session for this device issued after the revocation, so it goes on working."""
    return sessions.mint_session(call.me.id, secret_of(call.request.app), time.time())


async def new_calendar_link(call: Call) -> dict[str, Any]:
    """Revoke the account's calendar links (room feeds too) and answer the new one."""
    generation = await call.community.calendar_links.rotate(call.me)
    return {"calendar_url": calendar_url(call.me.id, secret_of(call.request.app), generation)}


async def my_calendar(call: Call) -> web.Response:
    community = call.community
    async with community.db.read() as conn:
        room_ids = await room_ids_of(conn, call.me.id)
    since = int(time.time() * 1000) - CALENDAR_LOOKBACK_MS
    rows = await community.agenda.for_rooms(room_ids, since)
    name = f"Kamar: {call.me.display_name}"
    return calendar_response(build_calendar(name, rows, base_url(call.request)))


def calendar_response(body: bytes) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


REGISTRATION_FIELDS = (
    Field("username", max_length=64, description="3-32 of a-z 0-9 _ ."),
    Field("phone", max_length=32, description="+62... or 08..."),
    Field("password", required=True, max_length=MAX_PASSWORD),
    Field("display_name", required=True, max_length=MAX_DISPLAY_NAME),
    Field("organisation", max_length=MAX_ORGANISATION),
    Field("region", kind=dict, description="{code, province, city, rt_rw}"),
)

ROUTES = [
    Route(
        "POST",
        "/api/auth/register",
        register,
        "Create an account and sign in",
        auth="none",
        status=201,
        body=REGISTRATION_FIELDS,
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/auth/login",
        login,
        "Sign in with a username or phone number",
        auth="none",
        body=(
            Field("login", required=True, max_length=64),
            Field("password", required=True, max_length=MAX_PASSWORD),
        ),
        tags=("accounts",),
    ),
    Route("GET", "/api/me", me, "The signed-in account", content="none", tags=("accounts",)),
    Route(
        "PATCH",
        "/api/me",
        edit_me,
        "Change one's display name, organisation or region",
        body=(
            Field("display_name", max_length=MAX_DISPLAY_NAME),
            Field("organisation", max_length=MAX_ORGANISATION),
            Field("region", kind=dict, description="{code, province, city, rt_rw}"),
        ),
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/me/password",
        change_password,
        "Change one's password; every other session is signed out",
        body=(
            Field("current_password", required=True, max_length=MAX_PASSWORD),
            Field("new_password", required=True, max_length=MAX_PASSWORD),
        ),
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/me/sessions/revoke",
        revoke_sessions,
        "Sign out everywhere; this device gets a new session",
        content="none",
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/me/calendar/rotate",
        new_calendar_link,
        "Replace one's calendar link: every older link (room feeds too) answers 404",
        content="none",
        tags=("agenda",),
    ),
    Route(
        "GET",
        "/api/me/calendar.ics",
        my_calendar,
        "iCalendar feed of every event in one's rooms",
        auth="calendar",
        content="none",
        produces="text/calendar",
        tags=("agenda",),
    ),
]
