"""Forgot password: organisers and administrators make one-time codes, members use them
(rooms/community/password_reset.py)."""

from __future__ import annotations

from typing import Any

from rooms.community.account_rules import MAX_PASSWORD
from server.api.accounts import signed_in
from server.api.fields import Field
from server.api.limits import limit_reset_attempt
from server.api.routing import Call, Route

CODE_FIELD_LENGTH = 40  # 14 characters with dashes; room for spaces a member typed


async def issue_code(call: Call) -> dict[str, Any]:
    issued = await call.community.password_resets.issue(call.me, call.path["user_id"])
    return {
        "code": issued.code,
        "user_id": issued.user_id,
        "expires_at": issued.expires_at_ms,
        # A fragment: the code never reaches a server log or a Referer header.
        "link": f"{call.request.scheme}://{call.request.host}/#/reset/{issued.code}",
    }


async def use_code(call: Call) -> dict[str, Any]:
    limit_reset_attempt(call.request)
    user = await call.community.password_resets.redeem(call.body["code"], call.body["new_password"])
    return signed_in(call, user)


async def ask_for_reset(call: Call) -> dict[str, Any]:
    limit_reset_attempt(call.request)
    await call.community.password_resets.request(call.body["login"])
    return {"received": True}  # the same whether the account exists or not


async def reset_requests(call: Call) -> dict[str, Any]:
    return {"requests": await call.community.password_resets.requests_for(call.me)}


async def reset_log(call: Call) -> dict[str, Any]:
    return {"rows": await call.community.password_resets.audit(call.me)}


ROUTES = [
    Route(
        "POST",
        "/api/users/{user_id}/password-reset",
        issue_code,
        "Make a one-time code (24 h) that lets a member choose a new password; shown once",
        content="none",
        status=201,
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/auth/password-reset",
        use_code,
        "Choose a new password with a reset code; every session is signed out, this one starts",
        auth="none",
        body=(
            Field("code", required=True, max_length=CODE_FIELD_LENGTH),
            Field("new_password", required=True, max_length=MAX_PASSWORD),
        ),
        tags=("accounts",),
    ),
    Route(
        "POST",
        "/api/auth/password-reset/request",
        ask_for_reset,
        "Ask the organisers of one's rooms for a reset code; the same answer for any login",
        auth="none",
        status=202,
        body=(Field("login", required=True, max_length=64),),
        tags=("accounts",),
    ),
    Route(
        "GET",
        "/api/password-resets/requests",
        reset_requests,
        "Members asking for a reset code whom the caller may make one for",
        content="none",
        tags=("accounts",),
    ),
    Route(
        "GET",
        "/api/admin/password-resets",
        reset_log,
        "Who made a reset code for whom and when it was used (administrators)",
        content="none",
        tags=("accounts",),
    ),
]
