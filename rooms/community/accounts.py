"""Accounts: register with a username and/or phone number, log in, look up.

Passwords are hashed with argon2id (argon2-cffi) in a worker thread, so a login never stalls
the event loop that forwards media. Unknown logins still pay for one verification, so response
time does not tell whether an account exists. Each hash holds the hasher's memory_cost (64 MiB
by default) while it runs: at most MAX_CONCURRENT_HASHES run at once (a flood of 500
registrations once took 384 MiB, six executor threads' worth), and past MAX_QUEUED_HASHES
waiting, a request is answered `busy` rather than queued without end.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from rooms.community.bus import Bus, user_topic
from rooms.community.database import Database
from rooms.community.events import SessionsRevoked
from rooms.community.regions import check_place, check_rt_rw, regions
from rooms.community.regions.data import loaded_regions
from rooms.community.schema import users
from rooms.errors import Busy, Conflict, Invalid, NotFound, Unauthorized

_T = TypeVar("_T")

USERNAME = re.compile(r"[a-z0-9_.]{3,32}")
PHONE = re.compile(r"\+[0-9]{8,15}")
MIN_PASSWORD, MAX_PASSWORD = 8, 256
MAX_DISPLAY_NAME = 80
REGION_FIELDS = {"province": 80, "city": 80, "rt_rw": 20, "code": 13}
MAX_ORGANISATION = 120
MAX_CONCURRENT_HASHES = 2  # the machines we aim at have 2 cores: 128 MiB of argon2 at most
MAX_QUEUED_HASHES = 64  # running and waiting; a few seconds of work at ~50 ms a hash
BUSY_RETRY_AFTER = 5.0  # seconds


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


@dataclass(frozen=True)
class Registration:
    password: str
    display_name: str
    username: str | None = None
    phone: str | None = None
    organisation: str = ""
    region: Mapping[str, str] | None = None


def normalise_username(value: str) -> str:
    username = value.strip().lower()
    if not USERNAME.fullmatch(username):
        raise Invalid(
            "username must be 3-32 of a-z, 0-9, '_' or '.'", "username", reason="username_format"
        )
    return username


def normalise_phone(value: str) -> str:
    """Indonesian numbers are often written 0812...; store them as +62812..."""
    phone = re.sub(r"[\s-]", "", value)
    if phone.startswith("0"):
        phone = "+62" + phone[1:]
    if not PHONE.fullmatch(phone):
        raise Invalid(
            "phone must be '+' and 8-15 digits (or 08... for Indonesia)",
            "phone",
            reason="phone_format",
        )
    return phone


def login_key(login: str) -> tuple[str, str]:
    """The column a login names and its stored form: ("phone", "+62812...") or ("username",
    "ani"). Pure. One account has one key however its login is written (0812 or +62812)."""
    login = login.strip()
    if login.startswith(("+", "0")):
        try:
            return "phone", normalise_phone(login)
        except Invalid:  # not a phone number after all: usernames may start with a digit
            pass
    return "username", login.lower()


def check_registration(form: Registration) -> dict[str, Any]:
    """The row to insert, or Invalid naming the first bad field. Pure."""
    if form.username is None and form.phone is None:
        raise Invalid("give a username or a phone number", "username", reason="login_missing")
    if not MIN_PASSWORD <= len(form.password) <= MAX_PASSWORD:
        raise Invalid(
            f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
            "password",
            reason="password_length",
        )
    region = {name: "" for name in REGION_FIELDS} | dict(form.region or {})
    profile = check_profile(form.display_name, form.organisation, region)
    return {
        "username": normalise_username(form.username) if form.username is not None else None,
        "phone": normalise_phone(form.phone) if form.phone is not None else None,
        **profile,
    }


def check_profile(
    display_name: str | None, organisation: str | None, region: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The columns a profile edit changes (only what was given), or Invalid. Pure."""
    row: dict[str, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if not 0 < len(display_name) <= MAX_DISPLAY_NAME:
            raise Invalid(
                f"display_name must be 1-{MAX_DISPLAY_NAME} characters",
                "display_name",
                reason="display_name_length",
            )
        row["display_name"] = display_name
    if organisation is not None:
        if len(organisation.strip()) > MAX_ORGANISATION:
            raise Invalid(
                f"organisation is at most {MAX_ORGANISATION} characters",
                "organisation",
                reason="organisation_length",
            )
        row["organisation"] = organisation.strip()
    if region is not None:
        unknown = set(region) - set(REGION_FIELDS)
        if unknown:
            raise Invalid(
                f"region has no field {sorted(unknown)[0]!r}", "region", reason="region_format"
            )
        for name, limit in REGION_FIELDS.items():
            if name not in region:
                continue
            value = region[name]
            if not isinstance(value, str) or len(value.strip()) > limit:
                raise Invalid(
                    f"region.{name} is text of at most {limit} characters",
                    "region",
                    reason="region_format",
                )
            row[name] = value.strip()
        row.update(_place_columns(row))
    return row


def _place_columns(row: dict[str, Any]) -> dict[str, str]:
    """RT/RW in one spelling; a region code checked against the official list, and its
    province and regency (or city) names in place of whatever names came with it."""
    out: dict[str, str] = {}
    if "rt_rw" in row:
        out["rt_rw"] = check_rt_rw(row.pop("rt_rw"), "region")
    if "code" in row:
        # RT/RW without a village is allowed on a profile (older profiles have it), so the
        # place is checked without it.
        out["region_code"] = check_place(row.pop("code"))["region_code"]
        path = regions().path(out["region_code"]) if out["region_code"] else []
        out["province"] = path[0].name if path else row.get("province", "")
        out["city"] = path[1].name if len(path) > 1 else row.get("city", "")
    return out


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
        self._hasher = hasher
        self._clock = clock
        self._bus = bus
        self._dummy_hash: str | None = None
        self._hashing = asyncio.Semaphore(MAX_CONCURRENT_HASHES)
        self._queued = 0

    async def register(self, form: Registration, is_admin: bool = False) -> User:
        if form.region and form.region.get("code"):
            await loaded_regions()  # the first load takes a second: not on the event loop
        row = check_registration(form)
        row["password_hash"] = await self._argon2(self._hasher.hash, form.password)
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
        stored = row.password_hash if row is not None else await self._dummy()
        if not await self._matches(stored, password):
            row = None
        if row is None:
            raise Unauthorized("wrong login or password", "password", reason="wrong_login")
        if self._hasher.check_needs_rehash(row.password_hash):
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
        if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
            raise Invalid(
                f"new_password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                "new_password",
                reason="password_length",
            )
        await self.check_own_password(user, current, "current_password")
        new_hash = await self._argon2(self._hasher.hash, new)
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
        if not await self._matches(stored, password):
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
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise Invalid(
                f"{field} must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                field,
                reason="password_length",
            )
        return await self._argon2(self._hasher.hash, password)

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
        new_hash = await self._argon2(self._hasher.hash, password)
        async with self._db.write() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=new_hash)
            )

    async def _matches(self, stored_hash: str, password: str) -> bool:
        """argon2 verification in a worker thread: it takes tens of milliseconds."""
        try:
            return bool(await self._argon2(self._hasher.verify, stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._argon2(self._hasher.hash, "not a password")
        return self._dummy_hash

    async def _argon2(self, work: Callable[..., _T], *args: str) -> _T:
        """One argon2 hash or verification in a worker thread, at most MAX_CONCURRENT_HASHES
        at a time; Busy when MAX_QUEUED_HASHES are already running or waiting."""
        if self._queued >= MAX_QUEUED_HASHES:
            raise Busy(
                "the server is busy checking passwords; try again in a few seconds",
                retry_after=BUSY_RETRY_AFTER,
                reason="password_check_busy",
            )
        self._queued += 1
        try:
            async with self._hashing:
                return await asyncio.to_thread(work, *args)
        finally:
            self._queued -= 1
