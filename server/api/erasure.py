"""Deleting an account (docs/api.md "Deleting an account"; what goes and what stays:
rooms/community/erasure.py and docs/security.md): by the member with their password, or by an
administrator, whose deletions the administrators' audit log lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import desc, select

from rooms.community.account_rules import MAX_PASSWORD
from rooms.community.erasure import Erased
from rooms.community.schema.accounts import admin_audit
from rooms.community.timefmt import utc_iso
from rooms.errors import Forbidden, Invalid
from server.api.contexts import CONTEXTS_KEY
from server.api.fields import Field
from server.api.limits import check_password
from server.api.routing import Call, Route

AUDIT_ROWS = 500


async def delete_me(call: Call) -> None:
    accounts = call.community.accounts
    # The same back-off as logging in: a stolen session must not guess its way to deleting.
    await check_password(
        call.request,
        f"id:{call.me.id}",
        "password",
        lambda: accounts.check_own_password(call.me, call.body["password"], "password"),
    )
    await _remove_files(call, await call.community.erasure.erase(call.me.id))


async def delete_member(call: Call) -> None:
    if not call.me.is_admin:
        raise Forbidden("only an administrator deletes another member's account")
    target = call.path["user_id"]
    if target == call.me.id:
        raise Invalid(
            "delete your own account from your profile, with your password",
            "user_id",
            reason="delete_self_here",
        )
    await _remove_files(call, await call.community.erasure.erase(target, by_admin=call.me))


async def _remove_files(call: Call, erased: Erased) -> None:
    """The listing photos' files belong to the marketplace's store, the partial files of
    unfinished uploads to the resumable uploads'."""
    await call.community.resumable.remove_partial_files(erased.upload_tokens)
    market = call.request.app[CONTEXTS_KEY].market
    if market is not None and erased.listing_photos:
        await market.listings.photos.remove_files(erased.listing_photos)


async def admin_audit_log(call: Call) -> dict[str, Any]:
    if not call.me.is_admin:
        raise Forbidden("only an administrator reads the administrators' audit log")
    async with call.community.db.read() as conn:
        rows = await conn.execute(
            select(admin_audit)
            .order_by(desc(admin_audit.c.at), desc(admin_audit.c.id))
            .limit(AUDIT_ROWS)
        )
        return {
            "rows": [
                {
                    "admin_id": row.admin_id,
                    "action": row.action,
                    "target_id": row.target_id,
                    "at": utc_iso(row.at),
                }
                for row in rows
            ]
        }


TAGS = ("accounts",)
ROUTES = [
    Route(
        "POST",
        "/api/me/delete",
        delete_me,
        "Delete one's own account (password again); see what goes and what stays",
        status=204,
        body=(Field("password", required=True, max_length=MAX_PASSWORD),),
        tags=TAGS,
    ),
    Route(
        "DELETE",
        "/api/users/{user_id}",
        delete_member,
        "An administrator deletes a member's account (written to the audit log)",
        status=204,
        content="none",
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/admin/audit",
        admin_audit_log,
        "What administrators did to members' accounts, newest first (administrators)",
        content="none",
        tags=TAGS,
    ),
]
