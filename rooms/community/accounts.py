"""Accounts: register with a username and/or phone number, log in, look up, change the password.

What the fields may hold is rooms/community/account_rules.py; passwords are hashed with argon2id
off the event loop (rooms/community/password_hashing.py). Unknown logins still pay for one
verification, so response time does not tell whether an account exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from rooms.community.account_rules import (
    Registration,
    check_password_length,
    check_profile,
    check_registration,
    login_key,
)
from rooms.community.bus import Bus, user_topic
from rooms.community.database import Database
from rooms.community.events import SessionsRevoked
from rooms.community.password_hashing import PasswordHashing
from rooms.community.regions.data import loaded_regions
from rooms.community.schema.accounts import users
from rooms.errors import Conflict, NotFound, Unauthorized


@dataclass(frozen=True)
class User:
    id: int
    username: str | None
    phone: str | None
    display_name: str
    organisation: str
    province: str
    city: str
    rt_rw: str
    is_admin: bool
    region_code: str = ""  # Kemendagri code (rooms/community/regions), "" for none
    sessions_valid_after: int = 0  # ms since the epoch (rooms/community/sessions.py still_valid)
    # which calendar links still open (rooms/community/calendar_links.py)
    calendar_generation: int = 0

    def public(self) -> dict[str, Any]:
        """What other members see."""
        return {
            "id": self.id,
            "display_name": self.display_name,
            "organisation": self.organisation,
            "region": {
                "code": self.region_code,
                "province": self.province,
                "city": self.city,
                "rt_rw": self.rt_rw,
            },
        }

    def own(self) -> dict[str, Any]:
        """What the account holder sees of themselves."""
        return {
            **self.public(),
            "username": self.username,
            "phone": self.phone,
            "is_admin": self.is_admin,
        }


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        username=row.username,
        phone=row.phone,
        display_name=row.display_name,
        organisation=row.organisation,
        province=row.province,
        city=row.city,
        rt_rw=row.rt_rw,
        is_admin=bool(row.is_admin),
        region_code=row.region_code,
        sessions_valid_after=row.sessions_valid_after,
        calendar_generation=row.calendar_generation,
    )


class Accounts:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        clock: Callable[[], float],
        bus: Bus | None = None,
    ) -> None:
        self._db = db
        self._passwords = PasswordHashing(hasher)
        self._clock = clock
        self._bus = bus

    async def register(self, form: Registration, is_admin: bool = False) -> User:
        if form.region and form.region.get("code"):
            await loaded_regions()  # the first load takes a second: not on the event loop
        row = check_registration(form)
        row["password_hash"] = await self._passwords.hash(form.password)
        row["is_admin"] = is_admin
        row["created_at"] = int(self._clock() * 1000)
        try:
            async with self._db.write() as conn:
                # NULL never equals NULL in SQL, but `column == None` would mean IS NULL.
                keys = [users.c[name] == row[name] for name in ("username", "phone") if row[name]]
                taken = await conn.execute(
                    select(users.c.username, users.c.phone).where(or_(*keys))
                )
                for existing in taken:
                    # A phone-only account has username NULL, like a phone-only registration.
                    same = row["username"] is not None and existing.username == row["username"]
                    field = "username" if same else "phone"
                    raise Conflict(
                        f"this {field} is already registered", field, reason="already_registered"
                    )
                result = await conn.execute(insert(users).values(**row).returning(users))
                return user_from_row(result.one())
        except IntegrityError as exc:  # a concurrent registration won the race
            raise Conflict(
                "this username or phone is already registered",
                "username",
                reason="already_registered",
            ) from exc

    async def login(self, login: str, password: str) -> User:
        column, key = login_key(login)
        async with self._db.read() as conn:
            row = (await conn.execute(select(users).where(users.c[column] == key))).one_or_none()
        stored = row.password_hash if row is not None else await self._passwords.dummy()
        if not await self._passwords.matches(stored, password):
            row = None
        if row is None:
            raise Unauthorized("wrong login or password", "password", reason="wrong_login")
        if self._passwords.needs_rehash(row.password_hash):
            await self._rehash(row.id, password)
        return user_from_row(row)

    async def get(self, user_id: int) -> User:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(users).where(users.c.id == user_id, users.c.erased_at.is_(None))
                )
            ).one_or_none()
        if row is None:  # a deleted account (users.erased_at) is no account
            raise NotFound("no such account", "user_id")
        return user_from_row(row)

    async def update_profile(
        self,
        user: User,
        display_name: str | None = None,
        organisation: str | None = None,
        region: Mapping[str, Any] | None = None,
    ) -> User:
        if region and region.get("code"):
            await loaded_regions()
        changes = check_profile(display_name, organisation, region)
        if changes:
            async with self._db.write() as conn:
                await conn.execute(update(users).where(users.c.id == user.id).values(**changes))
        return await self.get(user.id)

    async def change_password(self, user: User, current: str, new: str) -> None:
        """Check the current password, store the new one, and end every session so far."""
        check_password_length(new, "new_password")
        await self.check_own_password(user, current, "current_password")
        new_hash = await self._passwords.hash(new)
        cutoff = int(self._clock() * 1000)
        async with self._db.write() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(password_hash=new_hash, sessions_valid_after=cutoff)
            )
        self._announce_revocation(user.id, cutoff)

    async def check_own_password(self, user: User, password: str, field: str) -> None:
        """Unauthorized naming `field` unless `password` is the account's: what a signed-in
        member re-enters before changing the password or deleting the account."""
        async with self._db.read() as conn:
            stored = (
                await conn.execute(select(users.c.password_hash).where(users.c.id == user.id))
            ).scalar_one()
        if not await self._passwords.matches(stored, password):
            raise Unauthorized(
                "the current password is wrong", field, reason="wrong_current_password"
            )

    async def revoke_sessions(self, user: User) -> None:
        """Sign out everywhere: every session issued before now stops working."""
        cutoff = int(self._clock() * 1000)
        async with self._db.write() as conn:
            await conn.execute(
                update(users).where(users.c.id == user.id).values(sessions_valid_after=cutoff)
            )
        self._announce_revocation(user.id, cutoff)

    async def hash_new_password(self, password: str, field: str = "new_password") -> str:
        """A new password checked against the registration rules, hashed like every other
        (for a reset: rooms/community/password_reset.py stores it with the code's use)."""
        check_password_length(password, field)
        return await self._passwords.hash(password)

    def announce_revocation(self, user_id: int, cutoff_ms: int) -> None:
        """After a write that moved sessions_valid_after: close the older sessions' sockets."""
        self._announce_revocation(user_id, cutoff_ms)

    def _announce_revocation(self, user_id: int, cutoff_ms: int) -> None:
        """Open feed sockets of the older sessions close now, not at their next request."""
        if self._bus is not None:
            event: SessionsRevoked = {"type": "sessions_revoked", "before_ms": cutoff_ms}
            self._bus.publish(user_topic(user_id), event)

    async def set_admin(self, user_id: int, is_admin: bool) -> None:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(users).where(users.c.id == user_id).values(is_admin=is_admin)
            )
            if result.rowcount == 0:
                raise NotFound("no such account", "user_id")

    async def _rehash(self, user_id: int, password: str) -> None:
        new_hash = await self._passwords.hash(password)
        async with self._db.write() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=new_hash)
            )
