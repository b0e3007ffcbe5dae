"""Forgot password, without e-mail: an organiser or an administrator makes a one-time code.

Members sign up with a username or a phone number and no e-mail, so nobody can mail them a
link. As in WhatsApp-like community apps, someone who knows the member (an administrator, or a
moderator or owner of a room they share) makes a code and passes it on in person or by phone.

Who may make one for whom: an administrator for anyone but themselves; anyone else only where
the room rules let them remove the member (permissions.may_remove: a moderator over members, an
owner over moderators), and never for an administrator, whose account holds the whole server.

A code has 60 random bits, so it is kept as its SHA-256 (a slow hash protects guessable
passwords, not random secrets), opens once, within CODE_TTL, and only the newest code of a
member counts. Using it sets the new password and signs out every session so far (the same
cut-off and bus event as "sign out everywhere", so sockets on other nodes close too).
Every code made and used goes into password_reset_audit.

A member may also ask from the sign-in page, by username or phone: the request shows to those
who may make them a code. The answer is the same whether the account exists or not.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from rooms.community.account_rules import login_key
from rooms.community.accounts import Accounts, User, user_from_row
from rooms.community.database import Database
from rooms.community.permissions import may_remove
from rooms.community.schema.accounts import (
    password_reset_audit,
    password_reset_codes,
    password_reset_requests,
    users,
)
from rooms.community.schema.rooms import memberships
from rooms.errors import Forbidden, Invalid, NotFound, Unauthorized

CODE_TTL_MS = 24 * 3_600_000  # a day: long enough to reach the member, short if it leaks
# No 0/O, 1/I/L: read out over the phone and typed on a phone keyboard.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 12 symbols of 31: 59 bits
GROUP = 4  # shown as XXXX-XXXX-XXXX
AUDIT_ROWS = 500
REQUEST_TTL_MS = 7 * 24 * 3_600_000  # a request nobody answered in a week is stale
REQUEST_ROWS = 200


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once to the organiser, never stored
    user_id: int
    expires_at_ms: int


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_code(typed: str) -> str:
    """The code as stored, however it was typed: case, spaces and dashes do not matter. Pure."""
    return "".join(typed.split()).replace("-", "").upper()


def code_hash(typed: str) -> str:
    return hashlib.sha256(normalise_code(typed).encode()).hexdigest()


def may_reset(
    actor_is_admin: bool, target_is_admin: bool, shared_roles: list[tuple[str, str]]
) -> bool:
    """Whether the actor may make a code for another account. `shared_roles` holds the actor's
    and the target's role in each room both belong to. Pure."""
    if actor_is_admin:
        return True
    if target_is_admin:
        return False
    return any(may_remove(mine, theirs, is_self=False) for mine, theirs in shared_roles)


class PasswordResets:
    def __init__(self, db: Database, accounts: Accounts, clock: Callable[[], float]) -> None:
        self._db = db
        self._accounts = accounts
        self._clock = clock

    async def issue(self, actor: User, target_id: int) -> IssuedCode:
        """A new code for `target_id`, replacing any earlier one, or Forbidden/NotFound."""
        if target_id == actor.id:
            raise Invalid(
                "change your own password on your profile instead", "user_id", reason="reset_self"
            )
        now = self._now_ms()
        code = new_code()
        async with self._db.write() as conn:
            target = (
                await conn.execute(select(users.c.is_admin).where(users.c.id == target_id))
            ).one_or_none()
            if target is None and actor.is_admin:
                raise NotFound("no such account", "user_id")
            if target is not None and target.is_admin and not actor.is_admin:
                raise Forbidden(
                    "only an administrator resets an administrator's password",
                    "user_id",
                    reason="reset_admin",
                )
            shared = await _shared_roles(conn, actor.id, target_id)
            if target is None or not may_reset(actor.is_admin, bool(target.is_admin), shared):
                raise Forbidden(
                    "only an administrator or an organiser of one of the member's rooms "
                    "resets their password",
                    "user_id",
                    reason="reset_not_allowed",
                )
            for table in (password_reset_codes, password_reset_requests):
                await conn.execute(delete(table).where(table.c.user_id == target_id))
            await conn.execute(
                insert(password_reset_codes).values(
                    code_hash=code_hash(code),
                    user_id=target_id,
                    issued_by=actor.id,
                    created_at=now,
                    expires_at=now + CODE_TTL_MS,
                )
            )
            await _audit(conn, actor.id, target_id, "issued", now)
        return IssuedCode(code, target_id, now + CODE_TTL_MS)

    async def redeem(self, typed_code: str, new_password: str) -> User:
        """Set the new password of the code's account and end all its sessions; the account,
        for a fresh session. Unauthorized for a wrong, used or expired code."""
        hashed = code_hash(typed_code)
        await self._check_usable(hashed)  # before the slow hash, and so a bad code comes first
        password_hash = await self._accounts.hash_new_password(new_password)
        now = self._now_ms()
        codes = password_reset_codes
        async with self._db.write() as conn:
            # The conditions again, in the write: two uses at once find one row between them.
            used = await conn.execute(
                update(codes)
                .where(codes.c.code_hash == hashed, codes.c.used_at.is_(None))
                .where(codes.c.expires_at > now)
                .values(used_at=now)
                .returning(codes.c.user_id)
            )
            user_id = used.scalar_one_or_none()
            if user_id is None:
                raise Unauthorized("this code was used already", "code", reason="reset_code_used")
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, sessions_valid_after=now)
            )
            await _audit(conn, None, user_id, "used", now)
            row = (await conn.execute(select(users).where(users.c.id == user_id))).one()
        self._accounts.announce_revocation(user_id, now)
        return user_from_row(row)

    async def request(self, login: str) -> None:
        """A member's "please reset my password". Nothing tells whether the account exists."""
        column, key = login_key(login)
        now = self._now_ms()
        requests = password_reset_requests
        async with self._db.write() as conn:
            found = await conn.execute(select(users.c.id).where(users.c[column] == key))
            user_id = found.scalar_one_or_none()
            if user_id is None:
                return
            await conn.execute(delete(requests).where(requests.c.user_id == user_id))
            await conn.execute(insert(requests).values(user_id=user_id, requested_at=now))

    async def requests_for(self, actor: User) -> list[dict[str, Any]]:
        """The live requests of members `actor` may make a code for, newest first."""
        requests = password_reset_requests
        query = (
            select(requests.c.user_id, requests.c.requested_at, users.c.display_name)
            .join(users, users.c.id == requests.c.user_id)
            .where(requests.c.requested_at > self._now_ms() - REQUEST_TTL_MS)
            .where(requests.c.user_id != actor.id)
            .order_by(requests.c.requested_at.desc())
            .limit(REQUEST_ROWS)
        )
        if not actor.is_admin:
            query = query.where(users.c.is_admin.is_(False), _organises(actor.id))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "user": {"id": row.user_id, "display_name": row.display_name},
                "requested_at": row.requested_at,
            }
            for row in rows
        ]

    async def audit(self, actor: User) -> list[dict[str, Any]]:
        """The newest codes made and used, for administrators."""
        if not actor.is_admin:
            raise Forbidden("only an administrator reads the reset log")
        target, issuer = aliased(users), aliased(users)
        log = password_reset_audit
        query = (
            select(
                log,
                issuer.c.display_name.label("actor_name"),
                target.c.display_name.label("target_name"),
            )
            .outerjoin(issuer, issuer.c.id == log.c.actor_id)
            .outerjoin(target, target.c.id == log.c.target_id)
            .order_by(log.c.id.desc())
            .limit(AUDIT_ROWS)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "action": row.action,
                "at": row.at,
                "actor": {"id": row.actor_id, "display_name": row.actor_name},
                "target": {"id": row.target_id, "display_name": row.target_name},
            }
            for row in rows
        ]

    async def _check_usable(self, hashed: str) -> None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(password_reset_codes).where(password_reset_codes.c.code_hash == hashed)
                )
            ).one_or_none()
        if row is None:
            raise Unauthorized("no such reset code", "code", reason="reset_code_wrong")
        if row.used_at is not None:
            raise Unauthorized("this code was used already", "code", reason="reset_code_used")
        if row.expires_at <= self._now_ms():
            raise Unauthorized("this code has expired", "code", reason="reset_code_expired")

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


async def _shared_roles(
    conn: AsyncConnection, actor_id: int, target_id: int
) -> list[tuple[str, str]]:
    mine, theirs = aliased(memberships), aliased(memberships)
    rows = await conn.execute(
        select(mine.c.role, theirs.c.role.label("their_role"))
        .join(theirs, and_(theirs.c.room_id == mine.c.room_id, theirs.c.user_id == target_id))
        .where(mine.c.user_id == actor_id)
    )
    return [(row.role, row.their_role) for row in rows]


def _organises(actor_id: int) -> ColumnElement[bool]:
    """The requester shares a room where `actor_id` may remove them: permissions.may_remove
    in SQL (a moderator over members, an owner over everyone but owners)."""
    mine, theirs = aliased(memberships), aliased(memberships)
    over = or_(
        and_(mine.c.role == "owner", theirs.c.role != "owner"),
        and_(mine.c.role == "moderator", theirs.c.role == "member"),
    )
    return exists(
        select(mine.c.room_id)
        .join(theirs, theirs.c.room_id == mine.c.room_id)
        .where(mine.c.user_id == actor_id)
        .where(theirs.c.user_id == password_reset_requests.c.user_id, over)
    )


async def _audit(
    conn: AsyncConnection, actor_id: int | None, target_id: int, action: str, now: int
) -> None:
    await conn.execute(
        insert(password_reset_audit).values(
            actor_id=actor_id, target_id=target_id, action=action, at=now
        )
    )
