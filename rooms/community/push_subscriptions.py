"""Web Push: members' browser subscriptions, per-room mutes, and who a new message goes to.

Sending is the server's (server/push.py: VAPID-signed HTTP to each push service, RFC 8030/8292,
payloads encrypted with aes128gcm, RFC 8291); this module only keeps and checks what the
browsers gave (docs/api.md "Notifications") and answers, for a message, which subscriptions
should hear of it: the room's members but its author, not those who muted the room unless the
message mentions them by name ("@Siti"), nobody across a block in a direct conversation.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.database import Database
from rooms.community.direct_pairs import DIRECT, blocked_in
from rooms.community.membership import require
from rooms.community.schema.accounts import push_subscriptions, users
from rooms.community.schema.agenda import rsvps
from rooms.community.schema.rooms import memberships, room_mutes, rooms
from rooms.community.service import CommunityService
from rooms.errors import Invalid

MAX_ENDPOINT = 1000
MAX_SUBSCRIPTIONS = 10  # per member: phones and browsers; the oldest goes first


@dataclass(frozen=True)
class Subscription:
    id: int
    user_id: int
    endpoint: str
    p256dh: str
    auth: str


def _b64url(value: str, size: int, field: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{field} is not base64url", field, reason="push_subscription") from exc
    if len(raw) != size:
        raise Invalid(f"{field} must be {size} bytes", field, reason="push_subscription")
    return value


def check_subscription(
    endpoint: str, p256dh: str, auth: str, allow_loopback: bool = False
) -> tuple[str, str, str]:
    """What a browser's PushSubscription gave, or Invalid. The server will POST to `endpoint`,
    so only https URLs with a public host name are taken (not an address inside the server's
    network); plain-http loopback only when `allow_loopback` (tests, development). Pure."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if len(endpoint) > MAX_ENDPOINT or not host:
        raise Invalid("endpoint is not a push service URL", "endpoint", reason="push_subscription")
    if not (parts.scheme == "https" and not _is_private(host)) and not (
        allow_loopback and loopback and parts.scheme in ("http", "https")
    ):
        raise Invalid("endpoint is not a push service URL", "endpoint", reason="push_subscription")
    p256dh = _b64url(p256dh, 65, "p256dh")  # an uncompressed P-256 point (RFC 8291)
    auth = _b64url(auth, 16, "auth")
    return endpoint, p256dh, auth


def _is_private(host: str) -> bool:
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: push services are named hosts
    return not address.is_global


def mentions(text: str, display_name: str) -> bool:
    return bool(display_name) and f"@{display_name}".casefold() in text.casefold()


class PushSettings(CommunityService):
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], allow_loopback: bool = False
    ) -> None:
        super().__init__(db, bus, clock)
        self.allow_loopback = allow_loopback

    async def subscribe(self, user: User, endpoint: str, p256dh: str, auth: str) -> None:
        """Keep a browser's subscription (again: its keys are refreshed; an endpoint moves to
        whoever signs in on that browser). A member keeps their newest few."""
        endpoint, p256dh, auth = check_subscription(endpoint, p256dh, auth, self.allow_loopback)
        now = self._now()
        async with self._db.write() as conn:
            await conn.execute(
                delete(push_subscriptions).where(push_subscriptions.c.endpoint == endpoint)
            )
            await conn.execute(
                insert(push_subscriptions).values(
                    user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now
                )
            )
            await _keep_newest(conn, user.id)

    async def unsubscribe(self, user: User, endpoint: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                delete(push_subscriptions).where(
                    push_subscriptions.c.endpoint == endpoint,
                    push_subscriptions.c.user_id == user.id,
                )
            )

    async def forget(self, subscription_id: int) -> None:
        """The push service said the subscription is gone (404 or 410, RFC 8030 section 7.3)."""
        async with self._db.write() as conn:
            await conn.execute(
                delete(push_subscriptions).where(push_subscriptions.c.id == subscription_id)
            )

    async def set_muted(self, user: User, room_id: int, muted: bool) -> dict[str, Any]:
        async with self._db.write() as conn:
            await require(conn, room_id, user.id, "post")  # members only
            await conn.execute(
                delete(room_mutes).where(
                    room_mutes.c.room_id == room_id, room_mutes.c.user_id == user.id
                )
            )
            if muted:
                await conn.execute(
                    insert(room_mutes).values(
                        room_id=room_id, user_id=user.id, created_at=self._now()
                    )
                )
        return {"room_id": room_id, "muted": muted}

    async def muted_rooms(self, user: User) -> list[int]:
        async with self._db.read() as conn:
            result = await conn.execute(
                select(room_mutes.c.room_id).where(room_mutes.c.user_id == user.id)
            )
            return sorted(result.scalars())

    async def for_message(
        self, message: dict[str, Any]
    ) -> tuple[str, list[tuple[Subscription, bool]]]:
        """The room's name as its members see it, and (subscription, mentioned) for each
        browser to tell of `message` (a rendered Message)."""
        room_id, author_id = message["room_id"], message["author"]["id"]
        async with self._db.read() as conn:
            kind, name = (
                await conn.execute(select(rooms.c.kind, rooms.c.name).where(rooms.c.id == room_id))
            ).one()
            if kind == DIRECT and await blocked_in(conn, room_id, author_id):
                return name, []
            rows = await _member_subscriptions(conn, room_id, author_id)
        out = []
        for row in rows:
            mentioned = mentions(message["text"], row.display_name)
            if row.muted and not mentioned:
                continue
            sub = Subscription(row.id, row.user_id, row.endpoint, row.p256dh, row.auth)
            out.append((sub, mentioned))
        return (message["author"]["display_name"] if kind == DIRECT else name), out

    async def for_reminder(self, room_id: int, event_id: int) -> tuple[str, list[Subscription]]:
        """The room's name and the browsers of its members to remind of an event: muted or
        not (a mute is for chatter, not for a meeting about to start), all but those who
        answered "no"."""
        async with self._db.read() as conn:
            name = (
                await conn.execute(select(rooms.c.name).where(rooms.c.id == room_id))
            ).scalar_one()
            rows = await _reminded_subscriptions(conn, room_id, event_id)
        return name, [Subscription(r.id, r.user_id, r.endpoint, r.p256dh, r.auth) for r in rows]


async def _reminded_subscriptions(conn: AsyncConnection, room_id: int, event_id: int) -> list[Any]:
    said_no = (
        select(rsvps.c.user_id)
        .where(
            rsvps.c.event_id == event_id,
            rsvps.c.user_id == push_subscriptions.c.user_id,
            rsvps.c.response == "no",
        )
        .exists()
    )
    result = await conn.execute(
        select(push_subscriptions)
        .join(memberships, memberships.c.user_id == push_subscriptions.c.user_id)
        .where(memberships.c.room_id == room_id, ~said_no)
        .order_by(push_subscriptions.c.id)
    )
    return list(result)


async def _member_subscriptions(conn: AsyncConnection, room_id: int, author_id: int) -> list[Any]:
    muted = (
        select(room_mutes.c.user_id)
        .where(
            room_mutes.c.room_id == room_id, room_mutes.c.user_id == push_subscriptions.c.user_id
        )
        .exists()
    )
    result = await conn.execute(
        select(push_subscriptions, users.c.display_name, muted.label("muted"))
        .join(memberships, memberships.c.user_id == push_subscriptions.c.user_id)
        .join(users, users.c.id == push_subscriptions.c.user_id)
        .where(memberships.c.room_id == room_id, memberships.c.user_id != author_id)
        .order_by(push_subscriptions.c.id)
    )
    return list(result)


async def _keep_newest(conn: AsyncConnection, user_id: int) -> None:
    ids = (
        await conn.execute(
            select(push_subscriptions.c.id)
            .where(push_subscriptions.c.user_id == user_id)
            .order_by(push_subscriptions.c.id.desc())
        )
    ).scalars()
    old = list(ids)[MAX_SUBSCRIPTIONS:]
    if old:
        await conn.execute(delete(push_subscriptions).where(push_subscriptions.c.id.in_(old)))
